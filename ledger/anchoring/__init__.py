"""Anchoring the log's checkpoints on an EVM chain: the registry binding and the anchorer.

Must not import the API or the verifier.
"""

from ledger.anchoring.anchorer import AnchorDivergence, Anchorer, AnchorOutcome, ForeignCheckpoint
from ledger.anchoring.binding import ChainBinding, bind_chain, open_bound_chain, read_binding
from ledger.anchoring.health import readiness

__all__ = [
    "AnchorDivergence",
    "AnchorOutcome",
    "Anchorer",
    "ChainBinding",
    "ForeignCheckpoint",
    "bind_chain",
    "open_bound_chain",
    "read_binding",
    "readiness",
]
