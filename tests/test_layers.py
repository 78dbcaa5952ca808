"""Import layering (docs/design.md): the contracts in ``.importlinter``, checked by
``lint-imports``, and the two rules import-linter cannot express, checked here with ``ast``.

- ``.importlinter``: ``ledger.core`` imports no other part of the project; the verifier,
  ``chain_access`` and ``witness_cosign`` import only ``ledger.core`` of the ledger (the
  verifier also ``chain_access``, and neither FastAPI nor Starlette); the ledger imports
  neither the API nor the verifier. Indirect imports count too.
- here: ``ledger.core`` imports only the standard library, ``cryptography`` and ``rfc8785``
  (import-linter forbids named packages, it cannot allow a list); the verifier never
  ``sqlalchemy.orm`` (import-linter sees external packages whole: ``sqlalchemy`` is allowed);
  and the contracts' lists of the ledger's service modules name every one of them.
"""

from __future__ import annotations

import ast
import configparser
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".importlinter"
STDLIB = frozenset(sys.stdlib_module_names)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
# Contracts that forbid the ledger's service (every part of ledger but ledger.core).
BELOW_THE_SERVICE = ("core-is-pure", "verifier-trusts-no-service",
                     "chain-access-below-the-ledger", "cosign-on-the-core")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    if not LINT_IMPORTS.exists():
        unavailable(f"import-linter is not installed ({LINT_IMPORTS} missing)")
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def _config() -> configparser.ConfigParser:
    config = configparser.ConfigParser()
    config.read(CONFIG, encoding="utf-8")
    return config


def test_lint_imports_keeps_every_contract() -> None:
    proc = _lint_imports(ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"Contracts: {len(_contracts())} kept, 0 broken." in proc.stdout


def _contracts() -> list[str]:
    return [s.split(":")[-1] for s in _config().sections() if s.startswith("importlinter:")]


def test_the_contracts_name_every_service_module() -> None:
    service = {f"ledger.{p.stem if p.is_file() else p.name}" for p in (ROOT / "ledger").iterdir()
               if (p.suffix == ".py" and p.stem != "__init__")
               or (p.is_dir() and (p / "__init__.py").exists())} - {"ledger.core"}
    config = _config()
    assert set(BELOW_THE_SERVICE) <= set(_contracts())
    for contract in BELOW_THE_SERVICE:
        forbidden = set(config[f"importlinter:contract:{contract}"]["forbidden_modules"].split())
        assert service - forbidden == set(), contract


def test_the_contracts_catch_a_violation(tmp_path: Path) -> None:
    """The same contracts over a skeleton of the packages where the core imports the log
    and the verifier the store and FastAPI: lint-imports must refuse it."""
    config = _config()
    roots = set(config["importlinter"]["root_packages"].split())
    for section in config.sections():
        for key in ("source_modules", "forbidden_modules"):
            for module in config[section].get(key, "").split():
                if module.split(".")[0] in roots:
                    package = tmp_path.joinpath(*module.split("."))
                    package.mkdir(parents=True, exist_ok=True)
                    (package / "__init__.py").touch()
    (tmp_path / "ledger" / "core" / "tree.py").write_text("import ledger.log\n")
    (tmp_path / "verifier" / "cli.py").write_text("from ledger.store import schema\n"
                                                 "import fastapi\n")
    (tmp_path / ".importlinter").write_text(CONFIG.read_text(encoding="utf-8"))
    proc = _lint_imports(tmp_path)
    assert proc.returncode != 0
    assert "ledger.core.tree -> ledger.log" in proc.stdout
    assert "verifier.cli -> ledger.store" in proc.stdout
    assert "verifier.cli -> fastapi" in proc.stdout


# -- what import-linter cannot express --------------------------------------------------------

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, *, is_package: bool = False) -> Iterator[str]:
    """Every module name ``source`` imports (``from a import b`` yields ``a`` and ``a.b``)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - (node.level - 1)])
                base = f"{anchor}.{base}" if base else anchor
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names if alias.name != "*")


def _violations(package: str, bad: Callable[[str], bool]) -> list[str]:
    out = []
    for path in sorted(ROOT.joinpath(*package.split(".")).rglob("*.py")):
        for name in imports_of(path.read_text(encoding="utf-8"), _module_name(path),
                               is_package=path.name == "__init__.py"):
            if bad(name):
                out.append(f"{path.relative_to(ROOT)} imports {name}")
    return out


def core_violation(name: str) -> bool:
    """Outside the standard library, cryptography, rfc8785 and the project (the contracts
    keep the core off the rest of the project)."""
    top = name.split(".")[0]
    return top not in STDLIB | {"cryptography", "rfc8785", "ledger"}


def verifier_violation(name: str) -> bool:
    return name == "sqlalchemy.orm" or name.startswith("sqlalchemy.orm.")


def test_core_imports_only_stdlib_cryptography_rfc8785() -> None:
    assert len(list((ROOT / "ledger" / "core").glob("*.py"))) >= 7
    assert _violations("ledger.core", core_violation) == []


def test_verifier_never_imports_the_orm() -> None:
    assert _violations("verifier", verifier_violation) == []


@pytest.mark.parametrize(
    ("source", "module", "checker", "expected"),
    [
        ("import os, json\nfrom . import hashing", "ledger.core.tree", core_violation, False),
        ("import requests", "ledger.core.tree", core_violation, True),
        ("def f():\n    import sqlalchemy", "ledger.core.x", core_violation, True),
        ("from cryptography.hazmat.primitives import hashes", "ledger.core.x", core_violation,
         False),
        ("from sqlalchemy.orm import Session", "verifier.ledger", verifier_violation, True),
        ("import sqlalchemy\nfrom sqlalchemy import select", "verifier.ledger",
         verifier_violation, False),
    ],
)
def test_checker_itself(source: str, module: str, checker: Callable[[str], bool],
                        expected: bool) -> None:
    names = list(imports_of(source, module))
    assert names
    assert any(checker(n) for n in names) is expected, names
