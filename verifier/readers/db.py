"""Reading a ledger database directly, read-only, in bounded chunks (SQLAlchemy Core + SQL).

Role: the fsck's own small reader. It knows the table and column names (documented in
docs/formats.md) but not the ledger's store module: the auditor's tool must not depend on
the code it audits. Everything is streamed by keyset pagination in index order, so memory
stays bounded whatever the ledger's size.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI, the SQLAlchemy ORM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Engine, bindparam, create_engine, event, inspect, text
from sqlalchemy.exc import DBAPIError, NoSuchModuleError
from sqlalchemy.pool import NullPool

from ledger.core.errors import MalformedError
from verifier.readers import SourceUnavailable

EventRow = tuple[int, str, str, bytes, bytes]  # idx, event_id, project_id, leaf, canonical
REQUIRED = ("log_info", "events", "tree_hashes", "checkpoints")
_NEXT_PG = "SELECT min(idx) FROM events WHERE idx >= %s AND idx < %s"
_EVENTS_AT = text("SELECT idx, event_id, project_id, leaf_hash, canonical FROM events "
                  "WHERE idx IN :ids ORDER BY idx").bindparams(bindparam("ids", expanding=True))
# The first bytes of each event (a sealed blob's magic and scope id), paged by index.
_HEADS = ("SELECT idx, substr(canonical, 1, :n_bytes) FROM events "
          "WHERE idx >= :lo AND idx <= :hi ORDER BY idx LIMIT :n")
# Rows at an integer index only: a hash moved to 5.5 is at no index the API reads a proof
# node from (it asks for 5), so it is missing, not in place by order. (PostgreSQL's
# column is BIGINT: it holds no other kind.)
_HASHES_RAW = ("SELECT hash FROM tree_hashes WHERE idx >= ? AND idx < ? "
               "AND typeof(idx) = 'integer' ORDER BY idx")
# The stored hashes of [?1, ?2) held against ?3, the expected ones joined (32 bytes each):
# how many rows, how many at an integer index equal to the expected hash at that offset.
# SQLite compares, so no row becomes a Python object; a BLOB never equals TEXT or a number,
# as bytes never equal str or int.
_HASHES_SAME = ("SELECT count(*), sum(typeof(idx) = 'integer' AND "
                "hash = substr(?3, (idx - ?1) * 32 + 1, 32)) "
                "FROM tree_hashes WHERE idx >= ?1 AND idx < ?2")
# A range of the log for a worker: no event id (only a problem needs it: ``event_ids``).
_RANGE = ("SELECT idx, project_id, leaf_hash, canonical FROM events "
          "WHERE idx >= ? AND idx < ? ORDER BY idx")
_RANGE_PAGE = ("SELECT idx, project_id, leaf_hash, canonical FROM events "
               "WHERE idx >= :lo AND idx < :hi ORDER BY idx LIMIT :n")
_RANGE_PG = ("SELECT idx, project_id, leaf_hash, canonical FROM events "
             "WHERE idx >= %s AND idx < %s ORDER BY idx")
RangeRow = tuple[int, str, bytes, bytes]  # idx, project_id, leaf, canonical
LOWEST = -(2 ** 63)  # below any index: the first range reads from the very first row
_HASHES = "SELECT hash FROM tree_hashes WHERE idx >= :lo AND idx < :hi ORDER BY idx"
_HASHES_PG = "SELECT hash FROM tree_hashes WHERE idx >= %s AND idx < %s ORDER BY idx"
_CHECKPOINTS = ("SELECT size, root, note FROM checkpoints WHERE size > :after "
                "ORDER BY size LIMIT :n")
BatchRow = tuple[int, int, bytes, str]  # first_idx, count, root, promise_note
_BATCHES = ("SELECT first_idx, count, root, promise_note FROM receipt_batches "
            "WHERE first_idx >= :lo AND first_idx < :hi ORDER BY first_idx LIMIT :n")
_BATCHES_ACROSS = ("SELECT first_idx, count, root, promise_note FROM receipt_batches "
                   "WHERE first_idx < :x AND first_idx + count > :x ORDER BY first_idx")
_BATCH_END_BEFORE = "SELECT max(first_idx + count) FROM receipt_batches WHERE first_idx < :x"


def database_url(target: str) -> str:
    """A SQLAlchemy URL, or a path to a SQLite file turned into one."""
    if "://" in target:
        return target
    path = Path(target)
    if not path.is_file():
        raise MalformedError(f"no database file {target} (give a path or a SQLAlchemy URL)")
    return f"sqlite:///{path.resolve()}"


def _read_only_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver sends no BEGIN before a SELECT: ours
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA query_only=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # a read transaction: in WAL mode every read in it sees the database as of its first
        # read, and writers are not held up
        conn.exec_driver_sql("BEGIN")


def _windows(pg: Any, query: str, lo: int, hi: int, chunk: int) -> Iterator[list[Any]]:
    """Rows of ``query`` (bounds lo, hi) in index windows of ``chunk``, in binary format
    (bytea arrives as bytes). A window bounds the work of each query whatever plan the
    server picks (a page ``… ORDER BY idx LIMIT n`` over the rest of the log is sorted in
    full when the planner misjudges the rows, each page again); an empty window jumps to the
    next index present, so a gap costs one query."""
    with pg.cursor(binary=True) as cur:
        while lo < hi:
            cur.execute(query, (lo, min(hi, lo + chunk)))
            rows = cur.fetchall()
            if rows:
                yield rows
                lo = int(rows[-1][0]) + 1
                continue
            cur.execute(_NEXT_PG, (lo, hi))
            found = cur.fetchone()
            if found is None or found[0] is None:
                return
            lo = int(found[0])


def _cursor_chunks(raw: Any, query: str, params: tuple[int, ...], chunk: int
                   ) -> Iterator[list[Any]]:
    """One streaming cursor of the driver (SQLite), ``chunk`` rows at a time."""
    cur = raw.cursor()
    cur.arraysize = chunk
    try:
        cur.execute(query, params)
        while rows := cur.fetchmany():
            yield rows
    finally:
        cur.close()


def _pages(conn: Connection, query: str, lo: int, hi: int, chunk: int,
           shape: Callable[[Any], Any]) -> Iterator[list[Any]]:
    """Rows of ``query`` (bounds lo, hi, page size n) through SQLAlchemy, page by page
    (any other database)."""
    statement = text(query)
    while lo < hi:
        rows = [shape(r) for r in conn.execute(statement, {"lo": lo, "hi": hi, "n": chunk})]
        if not rows:
            return
        yield rows
        lo = int(rows[-1][0]) + 1


def _rechunk(pages: Iterator[list[Any]], chunk: int) -> Iterator[list[Any]]:
    """The rows again in lists of ``chunk`` (the last shorter), as a cursor's ``fetchmany``
    gives them: the fsck's chunks are counted in rows."""
    buf: list[Any] = []
    for rows in pages:
        buf.extend(rows)
        while len(buf) >= chunk:
            yield buf[:chunk]
            del buf[:chunk]
    if buf:
        yield buf


class LedgerDB:
    """A read-only view of one ledger database."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.engine = create_engine(url, poolclass=NullPool)
        except (NoSuchModuleError, ValueError) as exc:
            raise MalformedError(f"bad database URL: {exc}") from exc
        # One snapshot per connection: the check reads the log's size first and the rest
        # after, while the service may go on appending. Read in later views, what it appends
        # meanwhile (a receipt batch, tree hashes, a checkpoint beyond the size) would look
        # like a truncated log, a false finding about an intact ledger.
        if self.engine.dialect.name == "sqlite":
            _read_only_sqlite(self.engine)
        else:
            self.engine = self.engine.execution_options(isolation_level="REPEATABLE READ")
        self._batches: bool | None = None

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        try:
            conn = self.engine.connect()
        except DBAPIError as exc:
            raise SourceUnavailable(f"database unreachable: {str(exc.orig)[:200]}") from exc
        try:
            with conn:
                self._check_schema(conn)
                yield conn
        finally:
            self.engine.dispose()

    def _check_schema(self, conn: Connection) -> None:
        for table in REQUIRED:
            try:
                conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).all()
            except DBAPIError as exc:
                conn.rollback()
                raise MalformedError(f"not a witness ledger database: no table {table}") from exc

    def log_info(self, conn: Connection) -> dict[str, str]:
        return {str(k): str(v) for k, v in conn.execute(text("SELECT key, value FROM log_info"))}

    def size(self, conn: Connection) -> int:
        top = conn.execute(text("SELECT max(idx) FROM events")).scalar()
        return 0 if top is None else int(top) + 1

    def _sqlite(self, conn: Connection) -> Any:
        """The driver's own connection when the database is SQLite (the fast path), else None:
        one streaming cursor, no per-row SQLAlchemy objects (rows are plain tuples of int,
        str and bytes)."""
        if self.engine.dialect.name != "sqlite":
            return None
        return conn.connection.driver_connection

    def _psycopg(self, conn: Connection) -> Any:
        """The driver's own connection on PostgreSQL through psycopg (3), else None."""
        if self.engine.dialect.driver != "psycopg":
            return None
        return conn.connection.driver_connection

    def range_chunks(self, conn: Connection, lo: int, hi: int, chunk: int
                     ) -> Iterator[list[RangeRow]]:
        """Rows with lo <= index < hi in index order, ``chunk`` at a time, through the
        driver's own cursor (no SQLAlchemy rows): one streaming cursor on SQLite, pages in
        binary format on PostgreSQL (bytea arrives as bytes, not hex text to decode)."""
        raw = self._sqlite(conn)
        if raw is not None:
            yield from _cursor_chunks(raw, _RANGE, (lo, hi), chunk)
            return
        pg = self._psycopg(conn)
        if pg is not None:
            yield from _rechunk(_windows(pg, _RANGE_PG, lo, hi, chunk), chunk)
            return
        yield from _pages(conn, _RANGE_PAGE, lo, hi, chunk,
                          lambda r: (int(r[0]), r[1], bytes(r[2]), bytes(r[3])))

    def event_ids(self, conn: Connection, lo: int, hi: int) -> dict[int, str]:
        """Event id by index for lo <= index <= hi."""
        query = text("SELECT idx, event_id FROM events WHERE idx >= :lo AND idx <= :hi")
        return {int(i): str(e) for i, e in conn.execute(query, {"lo": lo, "hi": hi})}

    def checkpoint_sizes(self, conn: Connection, lo: int, hi: int) -> list[int]:
        """Sizes of the checkpoint rows with lo < size <= hi, ascending."""
        query = text("SELECT size FROM checkpoints WHERE size > :lo AND size <= :hi "
                     "ORDER BY size")
        return [int(r[0]) for r in conn.execute(query, {"lo": lo, "hi": hi})]

    def events_at(self, conn: Connection, indexes: list[int]) -> list[EventRow]:
        """The events at these indexes (those present), in index order: one query."""
        if not indexes:
            return []
        rows = conn.execute(_EVENTS_AT, {"ids": indexes}).all()
        return [(int(r[0]), r[1], r[2], bytes(r[3]), bytes(r[4])) for r in rows]

    def event_heads(self, conn: Connection, lo: int, hi: int, n_bytes: int,
                    chunk: int = 5000) -> Iterator[tuple[int, bytes]]:
        """(index, first ``n_bytes`` of the stored event) for lo <= index <= hi, paged."""
        query = text(_HEADS)
        while lo <= hi:
            rows = conn.execute(query, {"lo": lo, "hi": hi, "n": chunk,
                                        "n_bytes": n_bytes}).all()
            yield from ((int(r[0]), bytes(r[1] or b"")) for r in rows)
            if len(rows) < chunk:
                return
            lo = int(rows[-1][0]) + 1

    def tree_range(self, conn: Connection, lo: int, hi: int) -> list[bytes]:
        """Stored hashes with stored index in [lo, hi), in order (gaps simply missing)."""
        raw = self._sqlite(conn)
        if raw is not None:
            return [r[0] for r in raw.execute(_HASHES_RAW, (lo, hi))]
        pg = self._psycopg(conn)
        if pg is not None:
            with pg.cursor(binary=True) as cur:
                cur.execute(_HASHES_PG, (lo, hi))
                return [r[0] for r in cur.fetchall()]
        return list(conn.execute(text(_HASHES), {"lo": lo, "hi": hi}).scalars().all())

    def tree_range_same(self, conn: Connection, lo: int, expected: Sequence[bytes | None],
                        holes: Sequence[int] = ()) -> list[bytes] | None:
        """Whether the stored hashes with stored index in [lo, lo + len(expected)) are
        ``expected`` but at the positions ``holes`` (None there: another range's nodes),
        decided inside SQLite: the stored hashes at the holes when every index of the range
        has its row (the index is unique) and each other one holds the expected hash, i.e.
        when ``tree_range`` would return that list with those hashes in the holes. None when
        they are not, or it cannot tell (not SQLite, a value that is not 32 bytes): the
        caller then reads them (``tree_range``)."""
        raw = self._sqlite(conn)
        n = len(expected)
        if raw is None or not n:
            return None
        at: list[Any] = []
        hashes = cast("list[bytes]", expected)
        if holes:
            where = [lo + i for i in holes]
            marks = ", ".join("?" * len(where))
            # blobs only: any other value is read the long way (which raises what it raised)
            got = dict(raw.execute(f"SELECT idx, hash FROM tree_hashes WHERE idx IN ({marks}) "
                                   "AND typeof(hash) = 'blob'", where).fetchall())
            at = [got.get(i) for i in where]
            hashes = list(hashes)
            for i, h in zip(holes, at, strict=True):
                hashes[i] = h  # the stored hash held against itself
        try:
            joined = b"".join(hashes)
        except TypeError:  # a hole without its row, or a stored value that is no blob
            return None
        if len(joined) != 32 * n or set(map(len, hashes)) != {32}:
            return None
        count, same = raw.execute(_HASHES_SAME, (lo, lo + n, joined)).fetchone()
        return at if count == n and same == n else None

    def tree_count_from(self, conn: Connection, lo: int) -> int:
        query = text("SELECT count(*) FROM tree_hashes WHERE idx >= :lo")
        return int(conn.execute(query, {"lo": lo}).scalar() or 0)

    def checkpoints(self, conn: Connection, chunk: int = 1000) -> Iterator[tuple[int, bytes, str]]:
        """Checkpoint rows (size, root, note) in size order, paged."""
        after = -1
        while True:
            rows = conn.execute(text(_CHECKPOINTS), {"after": after, "n": chunk}).all()
            yield from ((int(r[0]), bytes(r[1]), str(r[2])) for r in rows)
            if len(rows) < chunk:
                return
            after = int(rows[-1][0])

    def prime(self, conn: Connection) -> None:
        """Ask now what the readers ask of the schema once (a process forked after it,
        reusing this object, inherits the answer)."""
        self._has_batches(conn)

    def _has_batches(self, conn: Connection) -> bool:
        """Whether the log has the receipt batch table (a log from before receipt v2 has
        not; looked up once)."""
        if self._batches is None:
            self._batches = inspect(conn).has_table("receipt_batches")
        return self._batches

    def batch_rows(self, conn: Connection, lo: int, hi: int, chunk: int = 1000
                   ) -> Iterator[BatchRow]:
        """Receipt batch rows with lo <= first index < hi, in first-index order, paged."""
        if not self._has_batches(conn):
            return
        while lo < hi:
            rows = conn.execute(text(_BATCHES), {"lo": lo, "hi": hi, "n": chunk}).all()
            yield from ((int(r[0]), int(r[1]), bytes(r[2]), str(r[3])) for r in rows)
            if len(rows) < chunk:
                return
            lo = int(rows[-1][0]) + 1

    def batches_across(self, conn: Connection, x: int) -> list[BatchRow]:
        """The receipt batch rows that start below ``x`` and end after it (one, unless rows
        overlap), in first-index order."""
        if not self._has_batches(conn):
            return []
        return [(int(r[0]), int(r[1]), bytes(r[2]), str(r[3]))
                for r in conn.execute(text(_BATCHES_ACROSS), {"x": x})]

    def batch_end_before(self, conn: Connection, x: int) -> int | None:
        """The furthest end (first + count) of the receipt batch rows starting below ``x``."""
        if not self._has_batches(conn):
            return None
        end = conn.execute(text(_BATCH_END_BEFORE), {"x": x}).scalar()
        return None if end is None else int(end)

    def rotation_events(self, conn: Connection) -> list[tuple[int, bytes]]:
        """(index, canonical bytes) of the log's key rotation events (LOG_KEY_ROTATED, the
        ledger's own project ``ledger``), in index order. The type column only finds them:
        the fsck reads the statement from the bytes, which the main pass ties to the tree."""
        rows = conn.execute(text("SELECT idx, canonical FROM events WHERE project_id = "
                                 "'ledger' AND event_type = 'LOG_KEY_ROTATED' ORDER BY idx"))
        return [(int(r[0]), bytes(r[1])) for r in rows]

    def checkpoint_root(self, conn: Connection, size: int) -> bytes | None:
        row = conn.execute(text("SELECT root FROM checkpoints WHERE size = :s"), {"s": size})
        value = row.scalar()
        return None if value is None else bytes(value)

    def anchors(self, conn: Connection) -> list[dict[str, Any]]:
        """Anchor rows (an empty list on a database from before anchoring)."""
        try:
            rows = conn.execute(text("SELECT * FROM anchors ORDER BY checkpoint_size")).mappings()
            return [dict(r) for r in rows]
        except DBAPIError:
            conn.rollback()
            return []

    def cosignatures(self, conn: Connection) -> list[tuple[int, str, str]]:
        """(checkpoint size, stored cosignature line, the checkpoint's note) of every stored
        cosignature; none in a log older than witness cosigning."""
        if not inspect(conn).has_table("cosignatures"):
            return []
        return [(int(s), str(line), str(note)) for s, line, note in conn.execute(text(
            "SELECT c.checkpoint_size, c.line, k.note FROM cosignatures c "
            "JOIN checkpoints k ON k.size = c.checkpoint_size ORDER BY c.checkpoint_size"))]

    def latest_checkpoint(self, conn: Connection) -> tuple[int, str] | None:
        """(size, note) of the newest checkpoint, None before the first."""
        row = conn.execute(text("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1")
                           ).first()
        return None if row is None else (int(row[0]), str(row[1]))
