"""witness-verify: check receipts, project bundles and a whole ledger without trusting the center.

Role: the standalone verifier (docs/design.md, §7). The public functions return a
:class:`~verifier.report.Report`; the CLI (``verifier.cli``) and the API call the same ones.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI, the SQLAlchemy ORM. It may
import the standard library, third-party libraries, ``ledger.core`` and ``chain_access``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from verifier.bundle_check import check_bundle
    from verifier.ledger_check import check_ledger
    from verifier.policy import TrustPolicy
    from verifier.receipt_check import check_receipt
    from verifier.report import Problem, Report

__all__ = ["Problem", "Report", "TrustPolicy", "check_bundle", "check_ledger", "check_receipt"]

_HOMES = {"check_bundle": "verifier.bundle_check", "check_ledger": "verifier.ledger_check",
          "TrustPolicy": "verifier.policy", "check_receipt": "verifier.receipt_check",
          "Problem": "verifier.report", "Report": "verifier.report"}


def __getattr__(name: str) -> Any:
    """The public names, imported on first use (a CLI that only lists its commands, or reads
    one file, does not load every check and the chain libraries)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'verifier' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
