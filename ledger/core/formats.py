"""Format identifiers written by the ledger and read by the verifier: one home for each,
so the writer and the reader cannot drift apart."""

from __future__ import annotations

from typing import Final

BUNDLE_FORMAT: Final = "witness-bundle/v1"
"""Project bundles and lead packages (docs/verifier.md, docs/leads.md)."""
