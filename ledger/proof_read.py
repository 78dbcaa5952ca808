"""The inclusion-proof read: the API's hottest query, in two statements by primary key.

One statement reads the checkpoint row (size, root, note) — of the size asked for, or the
latest — and one reads the leaf with the proof's stored hashes (level 0 of the stored hashes
is the leaf, so the events table is not touched). The root of a checkpointed size comes from
its row; only a size without a checkpoint needs the root's hashes as well. Must not import
the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, select

from ledger.core import tree
from ledger.core.errors import InvalidRequestError, WitnessError
from ledger.errors import NotFoundError
from ledger.store import log_queries as q
from ledger.store.schema import events


@dataclass(frozen=True)
class InclusionAnswer:
    """An inclusion proof with everything it links: leaf, root and checkpoint of ``size``."""

    index: int
    size: int
    leaf_hash: bytes
    root: bytes
    proof: list[bytes]
    checkpoint_note: str | None


def read_inclusion(
    conn: Connection, index: int, size: int | None,
    visible: Callable[[bytes], bool] | None, require_size: Callable[[Connection, int], None],
    cache: q.StoredHashCache | None = None,
) -> InclusionAnswer:
    """``visible(canonical_bytes)`` may hide the event: it is then reported missing, before
    any other check; ``require_size`` refuses a size beyond the log; ``cache``: the
    process's stored hashes already read (``conn`` must be a read transaction)."""
    leaf_at = tree.stored_hash_index(0, index)
    if visible is not None:
        _require_visible(conn, index, visible)
    head = q.proof_checkpoint(conn, size)
    size = head[0] if size is None and head else size
    # Without a tree that holds it, the event's own 404 comes before other refusals.
    if (size is None or index >= size) and not q.read_hash_map(conn, [leaf_at]):
        raise NotFoundError(f"no event at index {index}")
    if size is None:
        raise InvalidRequestError("no checkpoint yet: pass size")
    plan = tree.inclusion_plan(index, size)
    require_size(conn, size)
    root_plan = tree.plan_ranges([] if head else [(0, size)])
    wanted = [*plan.indexes, *root_plan.indexes]
    found = (q.read_hash_map(conn, [leaf_at, *wanted]) if cache is None
             else cache.read(conn, [leaf_at, *wanted]))
    if leaf_at not in found:
        raise NotFoundError(f"no event at index {index}")
    if any(i not in found for i in wanted):
        raise WitnessError(f"stored tree hashes missing for the proof of {index} in {size}")
    hashes = [found[i] for i in wanted]
    split = len(plan.indexes)
    root = head[1] if head else tree.compute_ranges(root_plan, hashes[split:])[0]
    return InclusionAnswer(index, size, found[leaf_at], root,
                           tree.compute_ranges(plan, hashes[:split]), head[2] if head else None)


def _require_visible(conn: Connection, index: int, visible: Callable[[bytes], bool]) -> None:
    row = conn.execute(select(events.c.canonical).where(events.c.idx == index)).first()
    if row is None or not visible(bytes(row[0])):
        raise NotFoundError(f"no event at index {index}")
