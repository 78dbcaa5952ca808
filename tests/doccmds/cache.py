"""Keeping the prepared log between runs, while the code that made it is unchanged.

Building the log the pages run against takes a dozen CLI runs; a later run whose sources
(every file of the packages, pyproject.toml, the builder itself) hash the same copies the
prepared data directory, the files and the facts (tokens, lead id…) instead. A run on a
fresh checkout (CI) builds it. The cache lives in the system's temporary directory, one
entry per source hash; a stale entry is never read again, and only the newest few are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(tempfile.gettempdir()) / "witness-doc-commands-cache"
SOURCES = ("ledger", "witness_api", "chain_access", "verifier", "witness_cosign",
           "pyproject.toml", "tests/doccmds/world.py")
FACTS = ("tokens", "lead_id", "revocable_id", "bid_index", "vkey")
KEEP = 3


def source_key() -> str:
    digest = hashlib.sha256()
    for source in SOURCES:
        path = ROOT / source
        files = [path] if path.is_file() else sorted(
            p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for file in files:
            digest.update(str(file.relative_to(ROOT)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:20]


def load(key: str, home: Path, template: Path, fixtures: Path) -> dict[str, Any] | None:
    """The cached facts, with the data directory and files copied into place; or None."""
    entry = CACHE / key
    if not (entry / "facts.json").is_file():
        return None
    shutil.copytree(entry / "home", home)
    shutil.copytree(entry / "home", template)
    shutil.copytree(entry / "fixtures", fixtures)
    facts: dict[str, Any] = json.loads((entry / "facts.json").read_text(encoding="utf-8"))
    return facts


def store(key: str, template: Path, fixtures: Path, facts: dict[str, Any]) -> None:
    """Save an entry (written aside, then renamed: a reader never sees half of one)."""
    CACHE.mkdir(mode=0o700, exist_ok=True)
    entry = CACHE / key
    if entry.exists():
        return
    partial = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=CACHE))
    shutil.copytree(template, partial / "home")
    shutil.copytree(fixtures, partial / "fixtures")
    facts_file = partial / "facts.json"
    facts_file.write_text(json.dumps({k: facts[k] for k in FACTS}), encoding="utf-8")
    os.chmod(facts_file, 0o600)  # test tokens of a throwaway log, still not for others
    try:
        partial.rename(entry)
    except OSError:  # another run stored it first
        shutil.rmtree(partial, ignore_errors=True)
    entries = sorted((p for p in CACHE.iterdir() if not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
