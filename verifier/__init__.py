"""witness-verify: check receipts, project bundles and a whole ledger without trusting the center.

Role: the standalone verifier (docs/design.md, §7). The public functions return a
:class:`~verifier.report.Report`; the CLI (``verifier.cli``) and the API call the same ones.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI, the SQLAlchemy ORM. It may
import the standard library, third-party libraries, ``ledger.core`` and ``chain_access``.
"""

from __future__ import annotations

from verifier.bundle_check import check_bundle
from verifier.ledger_check import check_ledger
from verifier.policy import TrustPolicy
from verifier.receipt_check import check_receipt
from verifier.report import Problem, Report

__all__ = ["Problem", "Report", "TrustPolicy", "check_bundle", "check_ledger", "check_receipt"]
