"""Where an event's proof stands: recorded, in a signed checkpoint, or anchored on chain.

One read per page (the latest checkpoint size and the primary chain's anchors), then a
lookup per event: an event at index i is *checkpointed* once a signed checkpoint of size
> i exists and *anchored* once such a checkpoint is anchored on the log's primary chain —
the first one is where its receipt's proof leads (``WitnessLog.anchored_proof``), so its
block number is the one the receipt names.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from sqlalchemy import func, select

from ledger.log import WitnessLog
from ledger.store.log_queries import primary_chain
from ledger.store.schema import anchors, checkpoints


@dataclass(frozen=True)
class Anchor:
    """One anchored checkpoint on the primary chain."""

    checkpoint_size: int
    block_number: int
    block_timestamp: int
    tx_hash: str


@dataclass(frozen=True)
class ProofStatus:
    status: str  # recorded | checkpointed | anchored
    anchor: Anchor | None = None


@dataclass(frozen=True)
class ProofBook:
    """The log's checkpoint and anchor state at one moment."""

    latest_checkpoint: int
    anchors: list[Anchor] = field(default_factory=list)  # by checkpoint size

    def of(self, index: int) -> ProofStatus:
        sizes = [a.checkpoint_size for a in self.anchors]
        at = bisect.bisect_right(sizes, index)
        if at < len(self.anchors):
            return ProofStatus("anchored", self.anchors[at])
        if self.latest_checkpoint > index:
            return ProofStatus("checkpointed")
        return ProofStatus("recorded")

    @property
    def latest_anchor(self) -> Anchor | None:
        return self.anchors[-1] if self.anchors else None


def proof_book(log: WitnessLog) -> ProofBook:
    with log.db.read() as conn:
        latest = conn.execute(select(func.max(checkpoints.c.size))).scalar()
        chain = primary_chain(conn)
        rows = [] if chain is None else conn.execute(
            select(anchors.c.checkpoint_size, anchors.c.block_number,
                   anchors.c.block_timestamp, anchors.c.tx_hash)
            .where(anchors.c.chain_id == chain[0], anchors.c.registry == chain[1])
            .order_by(anchors.c.checkpoint_size)).all()
    found = [Anchor(int(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in rows]
    return ProofBook(int(latest or 0), found)
