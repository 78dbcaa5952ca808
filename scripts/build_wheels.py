"""Build the two wheels that are shipped: witness-verify and witness-ledger.

Role: a build script. Bidders, supervisors and regulators install only ``witness-verify`` (the
pure core ``ledger/core``, ``verifier`` and the chain reader ``chain_access``, with the chain
and database libraries as the ``[chain]`` and ``[db]`` extras); the center installs
``witness-ledger``, which ships every other package and depends on ``witness-verify`` of the
same version, so that no file has two owners when both are installed.

The root ``pyproject.toml`` stays the description of the development install (every package
in one, ``pip install -e '.[dev]'``); each wheel is built from a staged copy of the files it
ships and a ``pyproject.toml`` generated here: the main one from the root file, the verifier's
from ``packaging/witness-verify/pyproject.toml``, whose requirements take the version ranges
the root file gives them.
Usage: ``python scripts/build_wheels.py [-o DIR] [--no-build-isolation]`` (default ``dist/``).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VERIFY_DIR = ROOT / "packaging" / "witness-verify"
# What witness-verify ships (paths from the root); witness-ledger ships none of it.
VERIFY_SHIPS = ("ledger/__init__.py", "ledger/core", "verifier", "chain_access")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class BuildError(Exception):
    """A wheel cannot be built as asked (said in one line)."""


# --- pyproject documents ---------------------------------------------------------------

def load_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)


def _value(value: Any) -> str:
    """A TOML value. JSON's string escapes are a subset of TOML's basic-string escapes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise BuildError(f"cannot write {type(value).__name__} to pyproject.toml")


def toml_text(doc: dict[str, Any], prefix: tuple[str, ...] = ()) -> str:
    """``doc`` as TOML: values first, then each sub-table under its own header."""
    lines = [f"[{'.'.join(_key(k) for k in prefix)}]"] if prefix else []
    lines += [f"{_key(k)} = {_value(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    text = "\n".join(lines) + "\n" if lines else ""
    for name, table in doc.items():
        if isinstance(table, dict):
            text += "\n" + toml_text(table, (*prefix, name))
    return text


def requirement_name(spec: str) -> str:
    """The normalised project name of a requirement (PEP 503: case and ``-_.`` runs)."""
    found = _NAME.match(spec.strip())
    if found is None:
        raise BuildError(f"not a requirement: {spec!r}")
    return re.sub(r"[-_.]+", "-", found.group(0)).lower()


def pinned_like_root(names: Sequence[str], root_deps: Sequence[str]) -> list[str]:
    """Each bare name in ``names`` as the root's requirement of it (extras, range, marker)."""
    by_name = {requirement_name(spec): spec for spec in root_deps}
    missing = [n for n in names if requirement_name(n) not in by_name]
    if missing:
        raise BuildError(f"packaging/witness-verify requires {', '.join(missing)}, which the "
                         f"root pyproject.toml does not list: add it there first")
    return [by_name[requirement_name(n)] for n in names]


def verify_pyproject(root: dict[str, Any], template: dict[str, Any]) -> dict[str, Any]:
    """The witness-verify pyproject: the template, the root's version and version ranges."""
    deps = root["project"]["dependencies"]
    project = {**template["project"], "version": root["project"]["version"]}
    project["dependencies"] = pinned_like_root(project["dependencies"], deps)
    project["optional-dependencies"] = {
        extra: pinned_like_root(names, deps)
        for extra, names in project.get("optional-dependencies", {}).items()}
    return {**template, "project": project}


def main_pyproject(root: dict[str, Any], verify: dict[str, Any]) -> dict[str, Any]:
    """The witness-ledger pyproject: the root's, depending on witness-verify of its own
    version, without the commands witness-verify installs."""
    project = dict(root["project"])
    verify_project = verify["project"]
    project["dependencies"] = [*project["dependencies"],
                               f"{verify_project['name']}=={project['version']}"]
    theirs = verify_project.get("scripts", {})
    project["scripts"] = {k: v for k, v in project.get("scripts", {}).items() if k not in theirs}
    return {"build-system": root["build-system"], "project": project,
            "tool": {"setuptools": root["tool"]["setuptools"]}}


def write_pyproject(stage: Path, doc: dict[str, Any]) -> None:
    text = toml_text(doc)
    if tomllib.loads(text) != doc:  # the writer above knows only what pyproject files use
        raise BuildError(f"the generated {stage.name} pyproject.toml does not read back")
    (stage / "pyproject.toml").write_text(text, encoding="utf-8")


# --- staging ---------------------------------------------------------------------------

def _ignore(skip: frozenset[str]) -> Callable[[str, list[str]], set[str]]:
    """A copytree filter: bytecode, and the paths in ``skip`` (relative to the root)."""
    def ignore(directory: str, names: list[str]) -> set[str]:
        here = Path(directory).relative_to(ROOT)
        return {n for n in names if n == "__pycache__" or n.endswith(".pyc")
                or (here / n).as_posix() in skip}
    return ignore


def copy_sources(stage: Path, paths: Sequence[str], skip: frozenset[str] = frozenset()) -> None:
    """Copy each root-relative file or directory in ``paths`` into ``stage``."""
    for rel in paths:
        src, dst = ROOT / rel, stage / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=_ignore(skip))
        else:
            shutil.copy2(src, dst)


def main_packages(root: dict[str, Any]) -> list[str]:
    """The top-level package directories the root's ``packages.find`` includes."""
    patterns = root["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted(d.name for d in ROOT.iterdir()
                  if (d / "__init__.py").is_file()
                  and any(fnmatch.fnmatchcase(d.name, p) for p in patterns))


def stage_verify(stage: Path, doc: dict[str, Any]) -> None:
    copy_sources(stage, VERIFY_SHIPS)
    shutil.copy2(VERIFY_DIR / "README.md", stage / "README.md")
    write_pyproject(stage, doc)


def stage_main(stage: Path, root: dict[str, Any], doc: dict[str, Any]) -> None:
    tops = [t for t in main_packages(root) if t not in VERIFY_SHIPS]
    copy_sources(stage, tops, frozenset(VERIFY_SHIPS))
    shutil.copy2(ROOT / "README.md", stage / "README.md")
    write_pyproject(stage, doc)


# --- building --------------------------------------------------------------------------

def build_wheel(stage: Path, out_dir: Path, isolation: bool) -> Path:
    """``pip wheel`` the staged project into ``out_dir``; the wheel's path."""
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out_dir),
           str(stage), *([] if isolation else ["--no-build-isolation"])]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise BuildError(f"building {stage.name} failed: " + " | ".join(tail))
    project = load_toml(stage / "pyproject.toml")["project"]
    name = project["name"].replace("-", "_")
    (wheel,) = out_dir.glob(f"{name}-{project['version']}-*.whl")
    return wheel


def wheel_files(wheel: Path) -> set[str]:
    """The files a wheel installs, its own metadata directory aside."""
    with zipfile.ZipFile(wheel) as archive:
        return {n for n in archive.namelist() if ".dist-info/" not in n}


def check_disjoint(first: Path, second: Path) -> None:
    shared = wheel_files(first) & wheel_files(second)
    if shared:
        raise BuildError(f"{first.name} and {second.name} both ship "
                         f"{', '.join(sorted(shared)[:5])}")


def build_all(out_dir: Path, isolation: bool = True) -> tuple[Path, Path]:
    """Build (witness-verify, witness-ledger) into ``out_dir``."""
    root = load_toml(ROOT / "pyproject.toml")
    verify = verify_pyproject(root, load_toml(VERIFY_DIR / "pyproject.toml"))
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="witness-wheels-") as tmp:
        stage_verify(Path(tmp, "witness-verify"), verify)
        stage_main(Path(tmp, "witness-ledger"), root, main_pyproject(root, verify))
        verify_wheel = build_wheel(Path(tmp, "witness-verify"), out_dir, isolation)
        main_wheel = build_wheel(Path(tmp, "witness-ledger"), out_dir, isolation)
    check_disjoint(verify_wheel, main_wheel)
    return verify_wheel, main_wheel


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--out-dir", type=Path, default=ROOT / "dist",
                        help="where to write the wheels (default dist/)")
    parser.add_argument("--no-build-isolation", action="store_true",
                        help="build with the setuptools installed here (>=77; no download)")
    args = parser.parse_args(argv)
    try:
        wheels = build_all(args.out_dir.resolve(), isolation=not args.no_build_isolation)
    except BuildError as exc:
        print(f"build_wheels: {exc}", file=sys.stderr)
        return 1
    for wheel in wheels:
        print(wheel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
