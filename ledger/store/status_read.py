"""The log's state as ``witness status`` and ``/readyz`` read it: plain SQL, read only.

``LogReader`` asks its few questions (identity, size, latest checkpoint, what waits for a
checkpoint or an anchor) through any DB-API-style query function, so the same SQL serves
two ways in:

- ``for_database``: a ``Database`` (SQLAlchemy), as the service and every other command
  hold it, and ``witness status`` on a URL other than a plain SQLite file (PostgreSQL);
- ``sqlite_file_reader``: the standard library's ``sqlite3`` on the default SQLite file,
  which spares ``witness status`` the import of SQLAlchemy, most of its start-up time.

Nothing here imports SQLAlchemy. Must not import the API or the verifier.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ledger.clock import Clock

if TYPE_CHECKING:
    from ledger.store.database import Database

Query = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]
"""Run one SQL statement with its parameters in a read transaction of its own; its rows."""

SQLITE_FILE_PREFIX = "sqlite:///"


class LogReader:
    """Read-only questions about one log; ``mark`` is the driver's parameter marker."""

    def __init__(self, query: Query, mark: str, clock: Clock) -> None:
        self._query = query
        self._mark = mark
        self.clock = clock

    def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self._query(sql.replace("?", self._mark), params)

    def _one(self, sql: str, *params: Any) -> Any:
        rows = self._rows(sql, *params)
        return rows[0][0] if rows else None

    def info(self) -> dict[str, str]:
        """The ``log_info`` facts: origin, first key, chain bindings."""
        return {str(k): str(v) for k, v in self._rows("SELECT key, value FROM log_info")}

    def size(self) -> int:
        top = self._one("SELECT MAX(idx) FROM events")
        return 0 if top is None else int(top) + 1

    def latest_checkpoint(self) -> tuple[int, bytes, str] | None:
        """(size, root, created_at) of the newest checkpoint, if any."""
        rows = self._rows("SELECT size, root, created_at FROM checkpoints "
                          "ORDER BY size DESC LIMIT 1")
        return None if not rows else (int(rows[0][0]), bytes(rows[0][1]), str(rows[0][2]))

    def received_at(self, index: int) -> str | None:
        stamp = self._one("SELECT received_at FROM events WHERE idx = ?", index)
        return None if stamp is None else str(stamp)

    def oldest_unsealed(self) -> tuple[int, float] | None:
        """(index, seconds since it was received) of the oldest event no checkpoint covers;
        None when the latest checkpoint covers the whole log."""
        sealed = int(self._one("SELECT MAX(size) FROM checkpoints") or 0)
        received = self.received_at(sealed)
        return None if received is None else (sealed, self.age_seconds(received))

    def anchored(self, chain_id: int, registry: str) -> tuple[int, str | None]:
        """(size of the largest checkpoint anchored, when the latest anchor was confirmed)
        on the chain of ``chain_id`` and ``registry``."""
        rows = self._rows("SELECT MAX(checkpoint_size), MAX(confirmed_at) FROM anchors "
                          "WHERE chain_id = ? AND registry = ?", chain_id, registry)
        size, last = rows[0] if rows else (None, None)
        return int(size or 0), None if last is None else str(last)

    def age_seconds(self, stamp: str) -> float:
        """Seconds from ``stamp`` (an ISO time with its offset, as the log writes them) to
        now, by the log's clock."""
        return (datetime.fromisoformat(self.clock())
                - datetime.fromisoformat(stamp)).total_seconds()


def for_database(db: Database, clock: Clock) -> LogReader:
    """A reader over a ``Database``: each question in a read transaction of its own, so one
    that fails (a PostgreSQL transaction aborted by it) does not fail the next."""

    def query(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with db.read() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql, tuple(params)).all()]

    return LogReader(query, "?" if db.is_sqlite else "%s", clock)


def sqlite_file(url: str) -> str | None:
    """The file of a plain SQLite URL (``sqlite:///path``, no query, no escapes), as
    SQLAlchemy reads it; None for any other URL (those go through SQLAlchemy)."""
    if not url.startswith(SQLITE_FILE_PREFIX):
        return None
    path = url.removeprefix(SQLITE_FILE_PREFIX)
    if not path or path == ":memory:" or path.startswith("file:") or any(c in path for c in "?%"):
        return None
    return path


def shown_sqlite_url(path: str) -> str:
    """The URL of the SQLite file ``path`` as the ledger shows database URLs (SQLAlchemy's
    ``render_as_string``: the path percent-encoded but for ``/``, space and ``+``)."""
    return SQLITE_FILE_PREFIX + quote(path, safe=" +/")


@contextmanager
def sqlite_file_reader(path: str, clock: Clock) -> Iterator[LogReader]:
    """A reader on the SQLite file ``path``, opened read only on its first question: a path
    that names no file fails that question (``sqlite3.OperationalError``) instead of
    creating an empty database."""
    uri = "file:" + quote(os.path.abspath(path)) + "?mode=ro"
    opened: list[sqlite3.Connection] = []

    def query(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        if not opened:  # timeout: wait out a writer's WAL checkpoint, as the service does
            opened.append(sqlite3.connect(uri, uri=True, timeout=60, isolation_level=None))
        return opened[0].execute(sql, tuple(params)).fetchall()

    try:
        yield LogReader(query, "?", clock)
    finally:
        for conn in opened:
            conn.close()
