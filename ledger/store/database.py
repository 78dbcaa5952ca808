"""Engines and transactions for SQLite (WAL, the default) and PostgreSQL.

Writers are serialised so that log indexes are gap-free and race-free across threads and
processes: on SQLite a write transaction starts with ``BEGIN IMMEDIATE`` (the database
write lock), on PostgreSQL it takes a transaction-scoped advisory lock. Reads never block
writers. Must not import the API or the verifier.

On a SQLite file, writers of this module first queue on an exclusive ``flock`` of
``<db>.write-lock`` (and a thread lock within the process). ``BEGIN IMMEDIATE`` alone stays
the correctness guarantee, but SQLite's busy handler polls with sleeps of up to 100 ms, so
several API workers contending for it waited (and p99 grew) far longer than the commits
themselves; a blocking flock hands the lock over as soon as it is released.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from ledger.core.errors import WitnessError

# Arbitrary constant naming "the witness log sequencer" among advisory locks.
SEQUENCER_LOCK_ID = 0x5749544E
MIGRATIONS = Path(__file__).with_name("migrations")
#: Values per ``IN (...)`` list: bound parameters of one statement stay under SQLite's
#: oldest limit (999) with room for a few more.
IN_LIST_MAX = 900

_V = TypeVar("_V")


class StoreError(WitnessError):
    """The database is unreachable, uninitialised or not what it should be."""


def _prepare_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")  # durable: a commit survives power loss
        cur.execute("PRAGMA busy_timeout=60000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("witness_write", False):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:  # a read: the proof path's every request opens one
            driver_rows(conn, "BEGIN", ())


def driver_rows(conn: Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    """The rows of one fixed statement in ``conn``'s transaction: on SQLite straight from
    the driver, since SQLAlchemy's execution context around a statement costs as much as
    the proof path's indexed reads themselves. A driver error is raised as SQLAlchemy's own
    (``DBAPIError.instance``), as ``exec_driver_sql`` would, so callers see no difference.
    Elsewhere through SQLAlchemy (its error handling also invalidates dropped connections)."""
    if conn.dialect.name != "sqlite":
        return list(conn.exec_driver_sql(sql, params).all())
    dbapi = conn.dialect.loaded_dbapi
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
    except dbapi.Error as exc:
        raise DBAPIError.instance(sql, params, exc, dbapi.Error, dialect=conn.dialect) from exc
    finally:
        cursor.close()


def in_lists(values: Sequence[_V]) -> Iterator[Sequence[_V]]:
    """``values`` in slices of at most ``IN_LIST_MAX``, one ``IN (...)`` lookup each."""
    for lo in range(0, len(values), IN_LIST_MAX):
        yield values[lo:lo + IN_LIST_MAX]


class Database:
    """One database: its engine and the two kinds of transaction the ledger uses."""

    def __init__(self, url: str, *, pool: bool = True) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 60}
        if not pool:
            kwargs["poolclass"] = NullPool
        self.engine = create_engine(url, **kwargs)
        self._thread_lock = threading.Lock()
        self._lock_path: str | None = None
        self._lock_fd: int | None = None
        if self.is_sqlite:
            _prepare_sqlite(self.engine)
            database = self.engine.url.database
            if database and database != ":memory:" and not database.startswith("file:"):
                self._lock_path = database + ".write-lock"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction holding the sequencer lock: only one writer at a time appends."""
        with self._writer_queue(), self.engine.connect() as raw:
            conn = raw.execution_options(witness_write=True)
            with conn.begin():
                if not self.is_sqlite:
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEQUENCER_LOCK_ID})
                yield conn

    @contextmanager
    def _writer_queue(self) -> Iterator[None]:
        """SQLite files: wait for the writer flock (see the module docstring); else nothing."""
        if self._lock_path is None:
            yield
            return
        with self._thread_lock:
            fd = self._lock_file()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _lock_file(self) -> int:
        if self._lock_fd is None:
            assert self._lock_path is not None
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._lock_fd

    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision."""
        # alembic loads only to migrate: reading the log (witness status) must not pay for it
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            if conn.in_transaction():
                conn.commit()

    def dispose(self) -> None:
        self.engine.dispose()
        with self._thread_lock:
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
