"""SQLite key-value store implementing py-evm's ``AtomicDatabaseAPI``.

Role: the file-backed database under the embedded chain (blocks, state trie nodes, receipts,
canonical head). One table ``kv(key BLOB PRIMARY KEY, value BLOB)`` in WAL mode, so one writer
process and any number of reader processes can use the file at the same time. Every py-evm
atomic batch is committed as ONE SQLite transaction, so a reader never sees half a block.

Must not import: ``ledger.*``, ``verifier.*``, FastAPI, web3 (py-evm and stdlib only).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eth.abc import AtomicWriteBatchAPI
from eth.db.atomic import AtomicDBWriteBatch
from eth.db.backends.base import BaseAtomicDB

from chain_access.errors import ChainReadOnly

_SCHEMA = "CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID"


class _Collector:
    """Write target for ``DBDiff.apply_to``: gathers puts and deletes for one transaction."""

    def __init__(self) -> None:
        self.puts: dict[bytes, bytes] = {}
        self.deletes: set[bytes] = set()

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self.deletes.discard(key)
        self.puts[key] = value

    def __delitem__(self, key: bytes) -> None:
        self.puts.pop(key, None)
        self.deletes.add(key)

    def __getitem__(self, key: bytes) -> bytes:  # pragma: no cover - never read by apply_to
        raise KeyError(key)


class SQLiteKV(BaseAtomicDB):
    """A py-evm atomic database stored in one SQLite file.

    ``readonly=True`` opens the file with ``mode=ro``: every write raises ``ChainReadOnly``.
    ``synchronous`` is SQLite's PRAGMA (``FULL``: a committed block survives power loss;
    ``NORMAL``: faster, the last blocks may be lost on power loss but the file stays consistent).
    """

    def __init__(self, path: Path, *, readonly: bool = False, synchronous: str = "FULL") -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._lock = threading.RLock()
        if readonly:
            uri = f"file:{self.path}?mode=ro"
            self._conn = sqlite3.connect(uri, uri=True, isolation_level=None,
                                         check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(str(self.path), isolation_level=None,
                                         check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(f"PRAGMA synchronous={synchronous}")
            self._conn.execute(_SCHEMA)
        self._conn.execute("PRAGMA busy_timeout=10000")

    # -- reads -------------------------------------------------------------------------
    def __getitem__(self, key: bytes) -> bytes:
        with self._lock:
            row = self._conn.execute("SELECT value FROM kv WHERE key=?", (key,)).fetchone()
        if row is None:
            raise KeyError(key)
        return bytes(row[0])

    def _exists(self, key: bytes) -> bool:
        with self._lock:
            row = self._conn.execute("SELECT 1 FROM kv WHERE key=?", (key,)).fetchone()
        return row is not None

    # -- writes ------------------------------------------------------------------------
    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._write({key: value}, set())

    def __delitem__(self, key: bytes) -> None:
        if not self._exists(key):
            raise KeyError(key)
        self._write({}, {key})

    def _write(self, puts: dict[bytes, bytes], deletes: set[bytes]) -> None:
        """Apply puts and deletes in one SQLite transaction (all or nothing)."""
        if self.readonly:
            raise ChainReadOnly(f"embedded chain store {self.path} is open read-only")
        if not puts and not deletes:
            return
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                if deletes:
                    self._conn.executemany("DELETE FROM kv WHERE key=?",
                                           [(k,) for k in deletes])
                if puts:
                    self._conn.executemany(
                        "INSERT OR REPLACE INTO kv(key, value) VALUES (?, ?)",
                        list(puts.items()))
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def atomic_batch(self) -> Iterator[AtomicWriteBatchAPI]:
        """Yield a readable write batch; on clean exit commit it as one SQLite transaction."""
        batch = AtomicDBWriteBatch(self)
        try:
            yield batch
            collector = _Collector()
            batch._diff().apply_to(collector, apply_deletes=True)  # type: ignore[arg-type]
            self._write(collector.puts, collector.deletes)
        finally:
            # Close the batch so it cannot be used outside its context (as py-evm does).
            batch._track_diff = None  # type: ignore[assignment]
            batch._write_target_db = None  # type: ignore[assignment]

    # -- maintenance -------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Number of keys and bytes used by the database file (without WAL)."""
        with self._lock:
            count = self._conn.execute("SELECT count(*) FROM kv").fetchone()[0]
        return {"keys": int(count), "bytes": self.path.stat().st_size}

    def close(self) -> None:
        with self._lock:
            if not self.readonly:
                # A reader may hold a snapshot: then the next writer checkpoints instead.
                with contextlib.suppress(sqlite3.OperationalError):
                    self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()
