"""The witness log's SQL: the few queries and inserts on its hot paths (SQLAlchemy Core,
raw driver ``executemany``/``COPY`` where compilation per call would cost too much).

Used by ``ledger.log`` only. Must not import the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from ledger.core import tree
from ledger.core.anchor_ref import AnchorRef
from ledger.core.errors import WitnessError
from ledger.store.database import driver_rows, in_lists
from ledger.store.schema import SEALED_TYPE, anchors, events, log_info, receipt_batches


def log_size(conn: Connection) -> int:
    top = conn.execute(select(func.max(events.c.idx))).scalar()
    return 0 if top is None else int(top) + 1


def _mark(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def read_hash_map(conn: Connection, indexes: Sequence[int]) -> dict[int, bytes]:
    """The stored hashes found among ``indexes`` (absent ones are simply not in the map)."""
    if not indexes:
        return {}
    wanted = sorted(set(indexes))
    rows = driver_rows(  # the proof hot path: no per-query SQL compilation
        conn, f"SELECT idx, hash FROM tree_hashes WHERE idx IN "
        f"({', '.join([_mark(conn)] * len(wanted))})", tuple(wanted))
    return {int(i): bytes(h) for i, h in rows}


def proof_checkpoint(conn: Connection, size: int | None) -> tuple[int, bytes, str] | None:
    """(size, root, note) of the checkpoint of ``size``, or of the latest one (None: none)."""
    if size is None:
        rows = driver_rows(conn, "SELECT size, root, note FROM checkpoints "
                          "ORDER BY size DESC LIMIT 1", ())
    else:
        rows = driver_rows(conn, "SELECT size, root, note FROM checkpoints WHERE size = "
                          f"{_mark(conn)}", (size,))
    return None if not rows else (int(rows[0][0]), bytes(rows[0][1]), str(rows[0][2]))


class StoredHashCache:
    """Stored tree hashes already read, for read transactions only.

    A stored hash never changes once committed (the table is append-only; the database
    refuses updates and deletes), so one read is enough for the life of a process: the upper
    nodes of a proof path, shared by every proof in the same tree, then cost a dict lookup
    instead of an index lookup each. Only hashes that were found are kept (a missing one may
    be appended later), and only from committed reads (a write transaction's own rows could
    still roll back). Bounded: emptied when full, refilled by the next reads."""

    def __init__(self, limit: int = 1 << 17) -> None:
        self._hashes: dict[int, bytes] = {}
        self.limit = limit

    def __len__(self) -> int:
        return len(self._hashes)

    def read(self, conn: Connection, indexes: Sequence[int]) -> dict[int, bytes]:
        """``read_hash_map`` through the cache."""
        kept = self._hashes
        found = {i: h for i in indexes if (h := kept.get(i)) is not None}
        if len(found) < len(indexes):
            fetched = read_hash_map(conn, [i for i in indexes if i not in found])
            if len(kept) + len(fetched) > self.limit:
                kept.clear()
            kept.update(fetched)
            found.update(fetched)
        return found


def read_hashes(conn: Connection, indexes: Sequence[int],
                cache: StoredHashCache | None = None) -> list[bytes]:
    """The stored hashes at ``indexes``, in order; all of them must exist."""
    found = read_hash_map(conn, indexes) if cache is None else cache.read(conn, indexes)
    missing = [i for i in indexes if i not in found]
    if missing:
        raise WitnessError(f"stored tree hashes missing: {missing[:5]}")
    return [found[i] for i in indexes]


def read_frontier(conn: Connection, size: int) -> tree.Frontier:
    plan = tree.frontier_plan(size)
    return tree.frontier_from(size, read_hashes(conn, plan.indexes))


_KNOWN_COLUMNS = ("event_id, idx, submission_digest, leaf_hash, received_at, canonical, "
                  "project_id, seal_scope")


def known_events(conn: Connection, stored_ids: Mapping[str, str]) -> dict[str, tuple[Any, ...]]:
    """Rows of events already in the log, by submitted id. ``stored_ids`` maps each id as
    stored (plain, or blinded for a sealed record) to the submitted id."""
    # Straight to the driver: SQLAlchemy renders an expanding IN of a batch's 1–2 thousand
    # ids anew on every call, which cost more than the lookup itself.
    ids = sorted(stored_ids)
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    rows: list[Any] = []
    for part in in_lists(ids):
        rows += conn.exec_driver_sql(
            f"SELECT {_KNOWN_COLUMNS} FROM events WHERE event_id IN "
            f"({', '.join([mark] * len(part))})", tuple(part)).all()
    return {stored_ids[r[0]]: (int(r[1]), bytes(r[2]), bytes(r[3]), r[4], bytes(r[5]), r[6],
                               r[7]) for r in rows}


HEADS_MAX_QUERY = (
    select(events.c.project_id, func.max(events.c.project_seq).label("seq"))
    .where(events.c.project_id.in_(bindparam("pids", expanding=True)))
    .group_by(events.c.project_id)
    .subquery()
)
# One query for the heads of all the projects of a batch (was one query per project):
# the newest (project_seq, leaf_hash) of each, found through uq_events_project_seq.
PROJECT_HEADS_QUERY = select(events.c.project_id, events.c.project_seq, events.c.leaf_hash).join(
    HEADS_MAX_QUERY,
    (events.c.project_id == HEADS_MAX_QUERY.c.project_id)
    & (events.c.project_seq == HEADS_MAX_QUERY.c.seq),
)


def project_heads(conn: Connection, project_ids: set[str]) -> dict[str, tuple[int, bytes]]:
    if not project_ids:
        return {}
    rows = conn.execute(PROJECT_HEADS_QUERY, {"pids": sorted(project_ids)}).all()
    return {r[0]: (int(r[1]), bytes(r[2])) for r in rows}


EVENT_COLUMNS = ("idx", "event_id", "project_id", "project_seq", "event_type", "actor_org",
                  "received_at", "leaf_hash", "submission_digest", "canonical", "seal_scope",
                  "submitter")
LEAF_COLUMN = EVENT_COLUMNS.index("leaf_hash")
SUBMITTER_KEY = "_submitter"
"""Key of a validated event mapping carrying the submitting token's id (never canonical)."""
HASH_COLUMNS = ("idx", "hash")


BATCH_COLUMNS = ("first_idx", "count", "root", "promise_note")
BATCH_AT_QUERY = (
    select(receipt_batches.c.first_idx, receipt_batches.c.count, receipt_batches.c.promise_note)
    .where(receipt_batches.c.first_idx <= bindparam("i"))
    .order_by(receipt_batches.c.first_idx.desc()).limit(1)
)


def receipt_batch(conn: Connection, index: int) -> tuple[int, list[bytes], str] | None:
    """The signed batch holding ``index``: its first index, its leaf hashes in log order and
    its promise note; None for an event appended before receipt v2."""
    row = conn.execute(BATCH_AT_QUERY, {"i": index}).first()
    if row is None or index >= int(row[0]) + int(row[1]):
        return None
    first, count = int(row[0]), int(row[1])
    return first, leaf_range(conn, first, count), str(row[2])


def leaf_range(conn: Connection, first: int, count: int) -> list[bytes]:
    """The leaf hashes of [first, first + count) in one range query over the log's stored
    tree: its rows are small, where an ``events`` row holds the event bytes (a cold read of
    a batch from there is megabytes). There leaf k+1 follows leaf k and the subtrees k
    completes, one per trailing 1-bit of k (``ledger.core.tree``)."""
    wanted, at = [], tree.stored_hash_index(0, first)
    for k in range(first, first + count):
        wanted.append(at)
        at += ((k + 1) & -(k + 1)).bit_length()  # 1 + trailing 1-bits of k
    mark = _mark(conn)
    found: dict[int, bytes] = dict(conn.exec_driver_sql(
        f"SELECT idx, hash FROM tree_hashes WHERE idx >= {mark} AND idx <= {mark}",
        (wanted[0], wanted[-1])).all())
    missing = [i for i in wanted if i not in found]
    if missing:
        raise WitnessError(f"stored leaf hashes missing: {missing[:5]}")
    return [bytes(found[i]) for i in wanted]


def insert_many(conn: Connection, table: str, columns: Sequence[str],
                 rows: Sequence[tuple[Any, ...]]) -> None:
    # The hot path: straight to the driver, skipping per-row SQL compilation. SQLite:
    # executemany of one prepared statement. PostgreSQL: COPY (psycopg's executemany sends
    # one prepared statement per row, several times slower).
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        finally:
            cursor.close()
        return
    mark = _mark(conn)
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join([mark] * len(columns))})"
    conn.exec_driver_sql(sql, list(rows))


def submitter_of(event: Mapping[str, Any]) -> str | None:
    value = event.get(SUBMITTER_KEY)
    return str(value) if value else None


def event_row(index: int, event: Mapping[str, Any], seq: int, received_at: str, leaf: bytes,
               digest: bytes, data: bytes) -> tuple[Any, ...]:
    actor = event.get("actor") or {}
    return (index, event["event_id"], event["project_id"], seq, event["type"],
            actor.get("org_id"), received_at, leaf, digest, data, None, submitter_of(event))


def sealed_row(index: int, blinded_id: str, project_id: str, received_at: str, leaf: bytes,
               digest: bytes, blob: bytes, scope_hex: str, submitter: str | None
               ) -> tuple[Any, ...]:
    """A sealed record's row: nothing in it names the bidder or the event type."""
    return (index, blinded_id, project_id, None, SEALED_TYPE, None, received_at, leaf, digest,
            blob, scope_hex, submitter)


def primary_chain(conn: Connection) -> tuple[int, str] | None:
    """(chain id, registry) of the log's first chain (``ledger.anchoring.binding``), if any."""
    rows = dict(conn.execute(select(log_info.c.key, log_info.c.value).where(
        log_info.c.key.in_(("chain.chain_id", "chain.registry")))).all())
    if len(rows) < 2:
        return None
    return int(rows["chain.chain_id"]), rows["chain.registry"]


def anchor_references(conn: Connection, size: int, root: bytes
                      ) -> tuple[AnchorRef | None, list[AnchorRef]]:
    """The anchors of the checkpoint of ``size``: the primary chain's reference (the
    ``anchor`` field of receipts and bundles) and those on every further chain (``anchors``,
    ordered by chain id and registry so that a file is the same each time it is made)."""
    rows = conn.execute(select(anchors).where(anchors.c.checkpoint_size == size)
                        .order_by(anchors.c.chain_id, anchors.c.registry)).all()
    primary = primary_chain(conn)
    first = [r for r in rows if (int(r.chain_id), r.registry) == primary]
    others = [anchor_reference(r, root) for r in rows if (int(r.chain_id), r.registry) != primary]
    return (anchor_reference(first[0], root) if first else None), others


def first_anchored(conn: Connection, index: int) -> int | None:
    """The smallest checkpoint covering ``index`` that is anchored on some chain."""
    size = conn.execute(select(func.min(anchors.c.checkpoint_size))
                        .where(anchors.c.checkpoint_size > index)).scalar()
    return None if size is None else int(size)


def anchor_reference(row: Any, root: bytes) -> AnchorRef:
    """The anchor reference of an ``anchors`` row (its hashes are stored as 0x-hex text)."""
    return AnchorRef(
        chain_id=int(row.chain_id), registry=row.registry, log_id=_unhex(row.log_id),
        chain_index=int(row.chain_index), tree_size=int(row.checkpoint_size), root=root,
        tx_hash=_unhex(row.tx_hash), block_number=int(row.block_number),
        block_hash=_unhex(row.block_hash), block_timestamp=int(row.block_timestamp))


def _unhex(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))
