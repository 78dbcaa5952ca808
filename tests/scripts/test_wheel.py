"""The shipped wheels (scripts/build_wheels.py) install and run without the checkout.

witness-verify ships ledger/core, verifier and chain_access; witness-ledger ships the rest with
its run-time data (registry artifact, migrations, calendar, law texts, the portal's templates
and static files) and depends on witness-verify. Each installs into a fresh virtualenv whose
third-party libraries are links into this project's .venv (no index is asked); the project's
own code there comes from the wheels only, and every command runs outside the repository.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from packaging.requirements import Requirement

from scripts.build_wheels import VERIFY_SHIPS, build_all, load_toml, main_packages, wheel_files

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(sysconfig.get_paths()["purelib"])
VERIFY_BASE = ("cryptography", "rfc8785", "click")
NOT_IN_VERIFIER = ("fastapi", "sqlalchemy", "web3", "eth", "eth_tester", "uvicorn")
EVENT_TYPES = ("PROJECT_REGISTERED", "ANNOUNCEMENT_PUBLISHED")


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(witness-verify, witness-ledger), built once."""
    return build_all(tmp_path_factory.mktemp("dist"))


def _checkout_files() -> set[str]:
    """Every file of the shipped packages in the checkout, bytecode and dotfiles aside."""
    tops = main_packages(load_toml(ROOT / "pyproject.toml"))
    return {p.relative_to(ROOT).as_posix() for top in tops for p in (ROOT / top).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
            and not p.name.startswith(".")}


def _metadata(wheel: Path) -> tuple[list[str], str]:
    """(Requires-Dist lines, entry_points.txt) of a wheel."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        meta = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA")))
        entry = archive.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt")))
    requires = [line.split(":", 1)[1].strip() for line in meta.decode().splitlines()
                if line.startswith("Requires-Dist:")]
    return requires, entry.decode()


def test_the_two_wheels_ship_every_package_file_once(wheels: tuple[Path, Path]) -> None:
    verify_files, main_files = (wheel_files(w) for w in wheels)
    assert not verify_files & main_files
    assert verify_files | main_files == _checkout_files()
    assert all(f.startswith(VERIFY_SHIPS) for f in verify_files)
    assert not any(f.startswith(VERIFY_SHIPS) for f in main_files)
    assert "ledger/anchoring/artifacts/WitnessRegistry.json" in main_files
    assert "ledger/rules/data/calendar_cn.json" in main_files
    assert any(n.startswith("ledger/rules/data/laws/招标投标法") for n in main_files)
    assert any(n.startswith("ledger/store/migrations/versions/0008") for n in main_files)


def test_the_verifier_needs_only_its_base_and_the_ledger_needs_the_verifier(
        wheels: tuple[Path, Path]) -> None:
    (verify_reqs, verify_entry), (main_reqs, main_entry) = (_metadata(w) for w in wheels)
    base = sorted(Requirement(r).name for r in verify_reqs if Requirement(r).marker is None)
    assert base == sorted(VERIFY_BASE)
    extras = {str(Requirement(r).marker) for r in verify_reqs if Requirement(r).marker}
    assert extras == {'extra == "chain"', 'extra == "db"'}
    version = load_toml(ROOT / "pyproject.toml")["project"]["version"]
    assert f"witness-verify=={version}" in main_reqs
    assert "witness-verify =" in verify_entry and "witness-verify" not in main_entry
    assert "witness =" in main_entry


# --- fresh virtualenvs -----------------------------------------------------------------

def _closure(names: tuple[str, ...]) -> set[str]:
    """The installed distributions ``names`` need (base requirements, recursively)."""
    todo, seen = list(names), set()
    while todo:
        dist = importlib.metadata.distribution(todo.pop())
        if dist.name.lower() in seen:
            continue
        seen.add(dist.name.lower())
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


def _top_entries(dists: set[str]) -> set[str]:
    """The site-packages entries (packages, modules, metadata) of ``dists``."""
    out = set()
    for name in dists:
        out |= {Path(str(f)).parts[0] for f in importlib.metadata.distribution(name).files or []}
    return {e for e in out if not e.endswith(".pth") and e != ".." and (SITE / e).exists()}


def _third_party_entries() -> set[str]:
    """Every entry of this .venv except the project's own code and its editable hooks."""
    ours = set(main_packages(load_toml(ROOT / "pyproject.toml"))) | {"tests"}
    return {e.name for e in SITE.iterdir()
            if e.name not in ours and not e.name.endswith(".pth")
            and not e.name.startswith(("witness_ledger", "witness_verify", "__editable__"))}


def _venv(where: Path, entries: set[str], wheels: tuple[Path, ...]) -> Path:
    """A fresh virtualenv seeing only ``entries`` of this .venv; ``wheels`` installed by pip
    without an index. Its bin directory."""
    links = where / "third-party"
    links.mkdir(parents=True)
    for entry in entries:
        (links / entry).symlink_to(SITE / entry)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where / "venv")],
                   check=True, timeout=60)
    site = where / "venv" / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    (site / "site-packages" / "third_party.pth").write_text(f"{links}\n", encoding="utf-8")
    bindir = where / "venv" / "bin"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(bindir / "python"), "install",
                    "-q", "--no-index", "--find-links", str(wheels[0].parent),
                    *map(str, wheels)], check=True, timeout=300, capture_output=True)
    return bindir


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV") and not k.startswith("WITNESS_")}
    return {**env, "WITNESS_HOME": str(home), "WITNESS_CHAIN": "embedded"}


def _run(bindir: Path, *argv: str, cwd: Path,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(bindir / argv[0]), *argv[1:]], cwd=cwd, env=_env(cwd / "home"),
                          capture_output=True, text=True, timeout=120, check=False)
    assert not check or done.returncode == 0, f"{argv}: {done.stdout}{done.stderr}"
    return done


@pytest.fixture(scope="module")
def full(wheels: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both wheels in a fresh virtualenv; its bin directory."""
    return _venv(tmp_path_factory.mktemp("full"), _third_party_entries(), wheels)


@pytest.fixture(scope="module")
def work(full: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A working directory outside the repository with an initialised log holding the
    example events, their receipts (not yet in a checkpoint) and the trust policy."""
    cwd = tmp_path_factory.mktemp("work")
    script = ("import json, sys\nfrom ledger.events.examples import example_event\n"
              "for t in sys.argv[1:]:\n"
              "    print(json.dumps(example_event(t), ensure_ascii=False))\n")
    events = _run(full, "python", "-c", script, *EVENT_TYPES, cwd=cwd).stdout
    (cwd / "events.jsonl").write_text(events, encoding="utf-8")
    _run(full, "witness", "init", cwd=cwd)
    _run(full, "witness", "ingest", "--no-progress", "events.jsonl", "-o", "receipts.jsonl",
         cwd=cwd)
    last = (cwd / "receipts.jsonl").read_text(encoding="utf-8").splitlines()[-1]
    (cwd / "pending.json").write_text(last + "\n", encoding="utf-8")
    _run(full, "witness", "trust-policy", "export", "-o", "trust.json", cwd=cwd)
    return cwd


def test_the_installed_code_comes_from_the_wheels(full: Path, work: Path) -> None:
    script = ("import chain_access, ledger, ledger.core, verifier, witness_api, witness_cosign\n"
              "for m in (chain_access, ledger, ledger.core, verifier, witness_api, "
              "witness_cosign): print(m.__file__)")
    files = _run(full, "python", "-c", script, cwd=work).stdout.split()
    venv = full.parent.resolve()
    assert len(files) == 6 and all(Path(f).resolve().is_relative_to(venv) for f in files)


@pytest.fixture
def serving(full: Path, work: Path) -> Iterator[str]:
    """``witness serve`` of the installed wheel on a free port; its base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([str(full / "witness"), "serve", "--port", str(port)], cwd=work,
                            env=_env(work / "home"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.3)
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)


def test_the_ledger_wheel_logs_anchors_and_verifies(full: Path, work: Path) -> None:
    _run(full, "witness", "checkpoint", cwd=work)
    _run(full, "witness", "anchor", cwd=work)
    event_id = f"EV-{EVENT_TYPES[-1]}-0001"
    _run(full, "witness", "receipt", "--event-id", event_id, "-o", "anchored.json", cwd=work)
    done = _run(full, "witness-verify", "--policy", "trust.json", "--json", "receipt",
                "anchored.json", cwd=work)
    assert json.loads(done.stdout)["outcome"] == "intact", done.stdout


def test_the_ledger_wheel_serves_the_api_and_portal(serving: str, work: Path) -> None:
    log = httpx.get(f"{serving}/v1/log", timeout=10)
    origin = json.loads((work / "trust.json").read_text(encoding="utf-8"))["origin"]
    assert log.status_code == 200 and log.json()["origin"] == origin
    assert log.json()["size"] > len(EVENT_TYPES)  # the log's own first event, then ours
    home = httpx.get(f"{serving}/", timeout=10, follow_redirects=True)
    if home.status_code == 404 and not (ROOT / "witness_api" / "portal" / "templates").is_dir():
        return  # no portal in this checkout yet: the API alone
    assert home.status_code == 200 and home.headers["content-type"].startswith("text/html")


def test_the_verifier_wheel_alone_checks_a_receipt_offline(
        wheels: tuple[Path, Path], work: Path, tmp_path: Path) -> None:
    bindir = _venv(tmp_path, _top_entries(_closure(VERIFY_BASE)), wheels[:1])
    cwd = tmp_path / "bidder"
    cwd.mkdir()
    for name in ("trust.json", "pending.json"):
        shutil.copy(work / name, cwd / name)
    probe = "import importlib.util as u, sys; print([m for m in sys.argv[1:] if u.find_spec(m)])"
    assert _run(bindir, "python", "-c", probe, *NOT_IN_VERIFIER, cwd=cwd).stdout.strip() == "[]"
    assert "receipt" in _run(bindir, "witness-verify", "--help", cwd=cwd).stdout
    done = _run(bindir, "witness-verify", "--policy", "trust.json", "--offline", "--json",
                "receipt", "pending.json", cwd=cwd)
    assert json.loads(done.stdout)["outcome"] == "pending", done.stdout
    on_chain = _run(bindir, "witness-verify", "--policy", "trust.json", "receipt",
                    "pending.json", cwd=cwd, check=False)
    assert on_chain.returncode == 2 and "witness-verify[chain]" in on_chain.stderr
    fsck = _run(bindir, "witness-verify", "--policy", "trust.json", "--offline", "ledger",
                "--db", "nowhere.db", cwd=cwd, check=False)
    assert fsck.returncode == 2 and "witness-verify[db]" in fsck.stderr
    assert len(on_chain.stderr.splitlines()) == len(fsck.stderr.splitlines()) == 1
