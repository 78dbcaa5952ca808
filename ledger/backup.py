"""Backup and restore of a witness log: one file, any database to any database.

A backup (``witness-backup/v1``) is a gzip'd tar holding ``manifest.json`` (the log's origin
and key, its size and root, each table's row count and SHA-256), one JSON-lines file per
table read in ONE read transaction (a consistent snapshot while the service runs), and —
unless left out — the key files. Rows are portable (bytes as ``{"$b64": …}``), so a SQLite
log restores into PostgreSQL and back. A restore goes into an empty data directory (and an
empty database), migrates the schema, inserts every row, and then proves the restored log
is the one backed up: the same tree size and root, every table's digest as recorded.

The chain is not in the backup: it is the external witness the restored log is checked
against (``witness-verify ledger``).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import MetaData, func, insert, inspect, select

from ledger.core.errors import MalformedError, WitnessError
from ledger.home import open_log, read_log_info
from ledger.keys import PRIVATE_MODE
from ledger.settings import Settings
from ledger.store.database import Database
from ledger.store.schema import events

BACKUP_FORMAT = "witness-backup/v1"
KEY_FILES = ("log.key", "pseudonym.key", "seal.key", "anchorer.key", "checkpoint.key")
FIRST = ("log_info", "events", "section_phases", "tree_hashes", "checkpoints")
"""Tables restored first (the rest follow in name order); there are no foreign keys, the
order only makes a partial restore easier to read."""
SKIP = {"alembic_version"}  # the restore migrates the schema itself


class BackupError(WitnessError):
    """A backup that cannot be restored as it is: damaged, incomplete or not ours."""


def _encode(value: Any) -> Any:
    return {"$b64": base64.b64encode(value).decode()} if isinstance(value, bytes | memoryview) \
        else value


def _decode(value: Any) -> Any:
    return base64.b64decode(value["$b64"]) if isinstance(value, dict) else value


def _tables(db: Database) -> list[str]:
    names = set(inspect(db.engine).get_table_names()) - SKIP
    return [t for t in FIRST if t in names] + sorted(names - set(FIRST))


def _rows(db: Database, conn: Any, name: str) -> Iterator[bytes]:
    result = conn.execution_options(yield_per=2000).execute(select(_reflect(db, name)))
    for row in result.mappings():
        yield json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False,
                         sort_keys=True).encode() + b"\n"


def _dump_table(db: Database, conn: Any, name: str, tar: tarfile.TarFile) -> dict[str, Any]:
    """One table into the archive through a temporary file (memory stays bounded)."""
    digest, rows = hashlib.sha256(), 0
    with tempfile.TemporaryFile() as tmp:
        for line in _rows(db, conn, name):
            digest.update(line)
            tmp.write(line)
            rows += 1
        info = tarfile.TarInfo(f"tables/{name}.jsonl")
        info.size, info.mode, info.mtime = tmp.tell(), PRIVATE_MODE, 0
        tmp.seek(0)
        tar.addfile(info, tmp)
    return {"rows": rows, "sha256": digest.hexdigest()}


def _reflect(db: Database, name: str) -> Any:
    meta = MetaData()
    meta.reflect(bind=db.engine, only=[name])
    return meta.tables[name]


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), PRIVATE_MODE, 0
    tar.addfile(info, io.BytesIO(data))


def create_backup(settings: Settings, output: Path, *, keys: bool = True) -> dict[str, Any]:
    """Write the backup of the log of ``settings`` to ``output`` (mode 0600); its manifest."""
    log = open_log(settings)
    db = log.db
    tables: dict[str, dict[str, Any]] = {}
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar, \
            db.read() as conn:
        # the snapshot's own size first: rows appended meanwhile are not in this transaction
        size = int(conn.execute(select(func.count()).select_from(events)).scalar() or 0)
        for name in _tables(db):
            tables[name] = _dump_table(db, conn, name, tar)
        info = read_log_info(db)
        manifest: dict[str, Any] = {
            "format": BACKUP_FORMAT, "origin": info["origin"], "vkey": info["vkey"],
            "size": size, "root": log.tree_hash(size).hex() if size else None,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "tables": tables, "keys": []}
        if keys:
            for key in KEY_FILES:
                if (settings.home / key).is_file():
                    _add(tar, f"keys/{key}", (settings.home / key).read_bytes())
                    manifest["keys"].append(key)
        _add(tar, "manifest.json", json.dumps(manifest, indent=2).encode())
    db.dispose()
    return manifest


def _open(path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(path, mode="r:gz")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise MalformedError(f"{path} is not a witness backup: {exc}") from exc


def _member(tar: tarfile.TarFile, name: str) -> IO[bytes]:
    try:
        member = tar.getmember(name)
        handle = tar.extractfile(member) if member.isfile() else None
    except (KeyError, tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"the backup has no readable {name}") from exc
    if handle is None:
        raise BackupError(f"the backup has no readable {name}")
    return handle


def _manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    """The manifest, once every table in the archive has the digest it records."""
    try:
        manifest: dict[str, Any] = json.loads(_member(tar, "manifest.json").read(1 << 20))
        if manifest.get("format") != BACKUP_FORMAT:
            raise BackupError(f"not a {BACKUP_FORMAT} file")
        tables = dict(manifest["tables"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError("the backup's manifest.json is not readable") from exc
    for name, meta in tables.items():
        digest, handle = hashlib.sha256(), _member(tar, f"tables/{name}.jsonl")
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
        if digest.hexdigest() != meta.get("sha256"):
            raise BackupError(f"table {name} is damaged in the backup (its SHA-256 is not "
                              "the one the manifest records)")
    return manifest


def _check_target(home: Path, manifest: dict[str, Any]) -> None:
    clash = [k for k in manifest["keys"] if (home / k).exists()]
    if (home / "witness.db").exists() or clash:
        raise BackupError(f"{home} already holds a log or its keys: restore into a new data "
                          "directory")
    missing = [k for k in ("log.key", "pseudonym.key", "seal.key")
               if k not in manifest["keys"] and not (home / k).is_file()]
    if missing:
        raise BackupError(f"the backup has no keys ({', '.join(missing)}): put them in {home} "
                          "first (from where they are kept), then restore")


def restore_backup(path: Path, settings: Settings) -> dict[str, Any]:
    """Restore the backup at ``path`` into the data directory and empty database of
    ``settings``; the manifest, once the restored log proved to be the backed-up one."""
    with _open(path) as tar:
        manifest = _manifest(tar)
        home = settings.home
        _check_target(home, manifest)
        home.mkdir(parents=True, exist_ok=True)
        for key in manifest["keys"]:
            fd = os.open(home / key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
            with os.fdopen(fd, "wb") as out:
                out.write(_member(tar, f"keys/{key}").read(1 << 16))
        db = Database(settings.database_url)
        try:
            db.migrate()
            if read_log_info(db):
                raise BackupError("the target database already holds a log: restore into "
                                  "an empty database")
            _insert_all(db, tar, manifest)
        finally:
            db.dispose()
    _prove(settings, manifest)
    return manifest


def _insert_all(db: Database, tar: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    with db.write() as conn:
        for name in manifest["tables"]:
            table, batch = _reflect(db, name), []
            for line in _member(tar, f"tables/{name}.jsonl"):
                batch.append({k: _decode(v) for k, v in json.loads(line).items()})
                if len(batch) == 1000:
                    conn.execute(insert(table), batch)
                    batch = []
            if batch:
                conn.execute(insert(table), batch)


def _prove(settings: Settings, manifest: dict[str, Any]) -> None:
    log = open_log(settings)
    try:
        size = log.size()
        root = log.tree_hash(size).hex() if size else None
    finally:
        log.db.dispose()
    if (size, root) != (manifest["size"], manifest["root"]):
        raise BackupError(f"the restored log has size {size} root {root}, the backup recorded "
                          f"size {manifest['size']} root {manifest['root']}")
