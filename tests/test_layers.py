"""Import layering (docs/design.md), enforced by parsing every module with ``ast``.

- ``ledger/core``: only the standard library, ``cryptography``, ``rfc8785`` and
  ``ledger.core.*``;
- ``verifier/``: never ``ledger.*`` other than ``ledger.core``, nor ``witness_api``,
  ``fastapi`` or ``sqlalchemy.orm`` (it must run without trusting the center's service);
- ``chain_access/``: never ``ledger.*`` other than ``ledger.core``, nor ``witness_api``;
- ``ledger/`` outside core: never ``witness_api`` or ``verifier``;
- ``witness_cosign/`` (a witness run by others): only ``ledger.core`` of this project.

Directories that do not exist yet are skipped; ``ledger/core`` always exists.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = frozenset(sys.stdlib_module_names)


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


def _files(*parts: str) -> list[Path]:
    root = ROOT.joinpath(*parts)
    return sorted(root.rglob("*.py")) if root.is_dir() else []


def _violations(files: list[Path], bad: Callable[[str], bool]) -> list[str]:
    out = []
    for path in files:
        for name in imports_of(path.read_text(encoding="utf-8"), _module_name(path),
                               is_package=path.name == "__init__.py"):
            if bad(name):
                out.append(f"{path.relative_to(ROOT)} imports {name}")
    return out


def _under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _other_ledger(name: str) -> bool:
    return _under(name, "ledger") and not _under(name, "ledger.core") and name != "ledger"


def core_violation(name: str) -> bool:
    top = name.split(".")[0]
    if top in STDLIB or top in {"cryptography", "rfc8785"}:
        return False
    if name == "ledger":  # "from ledger import core" yields "ledger" and "ledger.core"
        return False
    return not _under(name, "ledger.core")


def verifier_violation(name: str) -> bool:
    return (_other_ledger(name) or _under(name, "witness_api", "fastapi", "sqlalchemy.orm")
            or name.split(".")[0] == "starlette")


def chain_access_violation(name: str) -> bool:
    return _other_ledger(name) or _under(name, "witness_api")


def service_violation(name: str) -> bool:
    return _under(name, "witness_api", "verifier")


def cosign_violation(name: str) -> bool:
    return _other_ledger(name) or _under(name, "witness_api", "verifier", "chain_access")


def test_core_imports_only_stdlib_cryptography_rfc8785() -> None:
    files = _files("ledger", "core")
    assert len(files) >= 7, "ledger/core must exist and hold the core modules"
    assert _violations(files, core_violation) == []


def test_verifier_does_not_import_the_service() -> None:
    files = _files("verifier")
    if not files:
        pytest.skip("verifier/ does not exist yet")
    assert _violations(files, verifier_violation) == []


def test_chain_access_does_not_import_the_service() -> None:
    files = _files("chain_access")
    if not files:
        pytest.skip("chain_access/ does not exist yet")
    assert _violations(files, chain_access_violation) == []


def test_ledger_service_does_not_import_api_or_verifier() -> None:
    core = set(_files("ledger", "core"))
    files = [p for p in _files("ledger") if p not in core]
    assert files, "ledger/ has service modules"
    assert _violations(files, service_violation) == []


def test_witness_cosign_imports_only_the_core() -> None:
    files = _files("witness_cosign")
    if not files:
        pytest.skip("witness_cosign/ does not exist yet")
    assert _violations(files, cosign_violation) == []


@pytest.mark.parametrize(
    ("source", "module", "checker", "expected"),
    [
        ("import os, json\nfrom . import hashing", "ledger.core.tree", core_violation, False),
        ("import requests", "ledger.core.tree", core_violation, True),
        ("from ledger.store import schema", "ledger.core.tree", core_violation, True),
        ("from .. import log", "ledger.core.tree", core_violation, True),
        ("def f():\n    import sqlalchemy", "ledger.core.x", core_violation, True),
        ("from ledger.core.verify import verify_inclusion\nimport chain_access.rpc",
         "verifier.receipt", verifier_violation, False),
        ("from ledger import log", "verifier.receipt", verifier_violation, True),
        ("from sqlalchemy.orm import Session", "verifier.ledger", verifier_violation, True),
        ("import sqlalchemy\nfrom sqlalchemy import select", "verifier.ledger",
         verifier_violation, False),
        ("import fastapi.testclient", "verifier.cli", verifier_violation, True),
        ("from witness_api import app", "chain_access.rpc", chain_access_violation, True),
        ("from ledger.store import schema", "chain_access.rpc", chain_access_violation, True),
        ("from verifier import cli", "ledger.log", service_violation, True),
        ("from ledger.core import tree", "ledger.log", service_violation, False),
        ("from ledger.core.note import split_note", "witness_cosign.protocol",
         cosign_violation, False),
        ("from ledger.log import WitnessLog", "witness_cosign.protocol", cosign_violation, True),
    ],
)
def test_checker_itself(source: str, module: str, checker: Callable[[str], bool],
                        expected: bool) -> None:
    names = list(imports_of(source, module))
    assert names
    assert any(checker(n) for n in names) is expected, names
