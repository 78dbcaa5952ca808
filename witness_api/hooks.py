"""Optional hooks looked up at app build time (not import time).

``ledger.anchoring.readiness(settings) -> (name, ok, detail)``: when the anchoring package
provides it, ``/readyz`` also reports the chain and the anchoring lag.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def find(module: str, name: str) -> Callable[..., Any] | None:
    """``module.name`` if that module imports and has it, else None."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    func = getattr(mod, name, None)
    return func if callable(func) else None
