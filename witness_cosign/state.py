"""The witness's memory: for each log origin, the last (size, root) it cosigned.

Kept in SQLite with ``synchronous=FULL``: an advance is committed in one transaction,
taken with ``BEGIN IMMEDIATE`` (so two requests, or two processes, never both advance
from the same size), and is durable before the cosignature leaves the process. Forgetting
an advance would let the witness later cosign a fork of what it already vouched for.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
_SCHEMA = ("CREATE TABLE IF NOT EXISTS cosigned (origin TEXT PRIMARY KEY, size INTEGER NOT "
           "NULL, root BLOB NOT NULL, updated_at TEXT NOT NULL)")


class WitnessState:
    """The per-origin (size, root) table of one witness home."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        with self._connect() as conn:
            conn.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    def latest(self, origin: str) -> tuple[int, bytes]:
        """(size, root) last cosigned for ``origin``; (0, b"") before the first."""
        conn = self._connect()
        try:
            row = conn.execute("SELECT size, root FROM cosigned WHERE origin = ?",
                               (origin,)).fetchone()
        finally:
            conn.close()
        return (0, b"") if row is None else (int(row[0]), bytes(row[1]))

    def advance(self, origin: str, decide: Callable[[int, bytes], T],
                size: int, root: bytes) -> T:
        """Run ``decide(current size, current root)`` inside one write transaction; if it
        returns (does not raise), store (size, root) for ``origin`` and commit."""
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
                row = conn.execute("SELECT size, root FROM cosigned WHERE origin = ?",
                                   (origin,)).fetchone()
                current = (0, b"") if row is None else (int(row[0]), bytes(row[1]))
                result = decide(*current)
                conn.execute(
                    "INSERT INTO cosigned (origin, size, root, updated_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(origin) DO UPDATE SET size = excluded.size, "
                    "root = excluded.root, updated_at = excluded.updated_at",
                    (origin, size, root, datetime.now(UTC).isoformat(timespec="seconds")))
                conn.execute("COMMIT")
                return result
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                conn.close()
