"""The log the pages' commands run against: built once per test session, the real way.

``witness init`` on a temporary data directory bound to the embedded EVM chain; the trail of
one 沈阳 works project, LN-SY-2025-0317, from the demo generator with a planted short
deadline and with the ids the pages use (the bid BID-0317-07 of 91210202MAN944122Q);
``witness ingest``, ``witness rules run`` (which raises the lead), ``witness lead transfer``
to 沈阳市发展和改革委员会, ``witness anchor``; tokens from ``witness token create``; then
``witness serve`` on a free port. A copy of the data directory taken before the server starts
is the template of the blocks marked ``own-home``. The prepared log is kept between runs
while the sources that made it are unchanged (cache.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ledger.demo import generate_project, write_jsonl
from tests.doccmds import cache

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ORIGIN = "ggzy.ln.example/witness"
PROJECT = "LN-SY-2025-0317"
BID_EVENT = "BID-0317-07"
BIDDER = "91210202MAN944122Q"
LEAD_DEPARTMENT = "沈阳市发展和改革委员会"
PROJECT_DEPARTMENT = "沈阳市住房和城乡建设局"
BID_FILE = "投标文件.lntf"
START_TIMEOUT_S = 120.0


@dataclass
class World:
    """Everything a page's commands may take as given (see table.py)."""

    root: Path
    home: Path
    template: Path
    fixtures: Path
    api: str = ""
    tokens: dict[str, str] = field(default_factory=dict)
    lead_id: str = ""
    revocable_id: str = ""
    bid_index: int = 0
    vkey: str = ""
    setup_seconds: float = 0.0
    server: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        """The environment every command starts from (a page may change it)."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("WITNESS_")}
        base.update(PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                    WITNESS_HOME=str(self.home), API=self.api, BASE=self.api,
                    TOKEN=self.tokens["admin"], INDEX=str(self.bid_index), LOG_VKEY=self.vkey,
                    PYTHONUNBUFFERED="1", WITNESS_API_ACCESS_LOG="false")
        for role, token in self.tokens.items():
            base[role.upper()] = base[f"{role.upper()}_TOKEN"] = token
        return base


def cli(home: Path, *args: str, timeout: float = 300) -> str:
    """Run a console script of this virtualenv on ``home``; its stdout, or an error."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WITNESS_")}
    proc = subprocess.run([str(BIN / args[0]), *args[1:]], capture_output=True, text=True,
                          env={**env, "WITNESS_HOME": str(home)}, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"setting up the docs' log: `{' '.join(args)}` exited "
                           f"{proc.returncode}: {proc.stderr.strip()[-2000:]}")
    return proc.stdout


def write_trail(fixtures: Path) -> None:
    """The demo trail of LN-SY-2025-0317 under the ids the pages use, and the files around it."""
    fixtures.mkdir(parents=True, exist_ok=True)
    project = generate_project(17, "works", {"short_deadline"}, sections=1, bidders=3,
                               project_id=PROJECT)
    trail = fixtures / "events.jsonl"
    ref = write_jsonl([project], trail)
    ref.rename(fixtures / "reference.json")
    bid = next(ev for ev in project.events if ev["type"] == "BID_SUBMITTED")
    content = "辽宁省公共资源交易平台投标文件（文档命令测试）\n".encode() * 64
    (fixtures / BID_FILE).write_bytes(content)
    text = trail.read_text(encoding="utf-8")
    for old, new in ((bid["event_id"], BID_EVENT), (bid["payload"]["bidder_org"], BIDDER),
                     (bid["payload"]["file_hash"], hashlib.sha256(content).hexdigest())):
        text = text.replace(old, new)
    trail.write_text(text, encoding="utf-8")
    events = [json.loads(line) for line in text.splitlines()]
    mine = next(ev for ev in events if ev["event_id"] == BID_EVENT)
    for name in ("bid.json", "bid_submitted.json"):
        (fixtures / name).write_text(json.dumps(mine, ensure_ascii=False, indent=1), "utf-8")
    (fixtures / "batch.json").write_text(json.dumps({"events": events[:20]}, ensure_ascii=False),
                                         "utf-8")


def build(root: Path) -> World:
    """The log, its files and tokens (from the cache when the sources are unchanged), then
    the server."""
    started = time.monotonic()
    world = World(root, root / "witness-data", root / "template-home", root / "fixtures")
    key = cache.source_key()
    facts = cache.load(key, world.home, world.template, world.fixtures)
    if facts is None:
        prepare(world)
        cache.store(key, world.template, world.fixtures, vars(world))
    else:
        for name, value in facts.items():
            setattr(world, name, value)
        # the policy names the embedded chain by its path: this run's copy of it
        cli(world.home, "witness", "trust-policy", "export", "-o",
            str(world.fixtures / "trust.json"))
    start_server(world)
    world.setup_seconds = time.monotonic() - started
    return world


def prepare(world: World) -> None:
    """Build the log the slow way: every step a user would run."""
    write_trail(world.fixtures)
    cli(world.home, "witness", "init", "--origin", ORIGIN)
    shutil.copy(world.fixtures / "reference.json", world.home / "reference.json")
    receipts = world.root / "receipts.jsonl"
    cli(world.home, "witness", "ingest", str(world.fixtures / "events.jsonl"), "-o",
        str(receipts), "--no-progress")
    world.bid_index = _index_of(receipts, BID_EVENT)
    cli(world.home, "witness", "rules", "run")
    leads = json.loads(cli(world.home, "witness", "--json", "leads"))["leads"]
    world.lead_id = next(ld["lead_id"] for ld in leads if ld["project_id"] == PROJECT)
    cli(world.home, "witness", "lead", "transfer", world.lead_id, "--to", LEAD_DEPARTMENT,
        "--by", "见证中心-王工")
    cli(world.home, "witness", "anchor")
    cli(world.home, "witness", "lead", "export", world.lead_id, "-o",
        str(world.fixtures / "lead.json"))
    cli(world.home, "witness", "receipt", "--event-id", f"{world.lead_id}:transferred", "-o",
        str(world.fixtures / "transfer-receipt.json"))
    _tokens_and_keys(world)
    shutil.copytree(world.home, world.template)


def _index_of(receipts: Path, event_id: str) -> int:
    for line in receipts.read_text(encoding="utf-8").splitlines():
        receipt = json.loads(line)
        if json.loads(receipt["canonical_event"])["event_id"] == event_id:
            return int(receipt["index"])
    raise RuntimeError(f"no receipt for {event_id} in {receipts}")


def _tokens_and_keys(world: World) -> None:
    """Tokens of every role and the log's public facts, asked for side by side."""
    scopes: dict[str, tuple[str, ...]] = {
        "admin": (), "ingest": ("--label", "docs test platform"), "bidder": ("--bidder", BIDDER),
        "supervisor": ("--region", "2101"),
        "regulator": ("--department", LEAD_DEPARTMENT, "--department", PROJECT_DEPARTMENT),
        "revocable": ("--label", "to be revoked")}
    def token(role: str) -> list[str]:
        real_role = "ingest" if role == "revocable" else role
        return cli(world.home, "witness", "token", "create", "--role", real_role,
                   *scopes[role]).splitlines()
    with ThreadPoolExecutor(max_workers=3) as pool:
        made = dict(zip(scopes, pool.map(token, scopes), strict=True))
        vkey = pool.submit(cli, world.home, "witness", "pubkey")
        policy = pool.submit(cli, world.home, "witness", "trust-policy", "export", "-o",
                             str(world.fixtures / "trust.json"))
        world.vkey = vkey.result().strip().splitlines()[-1]
        policy.result()
    world.tokens = {role: lines[0].strip() for role, lines in made.items() if role != "revocable"}
    world.revocable_id = made["revocable"][1].split("token id ", 1)[1].split(",", 1)[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(world: World) -> None:
    port = free_port()
    world.api = f"http://127.0.0.1:{port}"
    log = (world.root / "serve.log").open("wb")
    env = {**world.env(), "WITNESS_CHECKPOINT_INTERVAL": "2"}
    world.server = subprocess.Popen(
        [str(BIN / "witness"), "serve", "--port", str(port), "--workers", "1"], env=env,
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    if not wait_healthy(world.api, world.server, START_TIMEOUT_S):
        stop(world.server)
        tail = (world.root / "serve.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"the docs' `witness serve` did not come up:\n{tail}")


def wait_healthy(base: str, proc: subprocess.Popen[Any], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return False


def stop(proc: subprocess.Popen[Any] | None) -> None:
    """Stop a process group started here (SIGTERM, then SIGKILL)."""
    if proc is None or proc.poll() is not None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=30)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue
