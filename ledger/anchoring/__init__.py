"""Anchoring the log's checkpoints on an EVM chain: the registry binding and the anchorer.

The names below load on first use (PEP 562): reading the state of anchoring
(``readiness_checks``, ``witness status``) must not pay for the EVM signing libraries the
anchorer needs.

Must not import the API or the verifier.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledger.anchoring.anchorer import (
        AnchorDivergence,
        Anchorer,
        AnchorOutcome,
        ForeignCheckpoint,
    )
    from ledger.anchoring.binding import (
        ChainBinding,
        bind_chain,
        open_bound_chain,
        read_binding,
    )
    from ledger.anchoring.health import readiness

_HOMES = {
    "AnchorDivergence": "anchorer", "AnchorOutcome": "anchorer", "Anchorer": "anchorer",
    "ForeignCheckpoint": "anchorer", "ChainBinding": "binding", "bind_chain": "binding",
    "open_bound_chain": "binding", "read_binding": "binding", "readiness": "health",
}

__all__ = [  # noqa: RUF022 (grouped by home)
    "AnchorDivergence", "AnchorOutcome", "Anchorer", "ForeignCheckpoint",
    "ChainBinding", "bind_chain", "open_bound_chain", "read_binding", "readiness",
]


def __getattr__(name: str) -> Any:
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
