"""Readers: how the verifier gets its material (files, HTTP, the chain, a database).

Role: bounded, read-only access; a source that cannot be reached raises
:class:`SourceUnavailable` (exit 3), material that cannot be parsed raises
``ledger.core.errors.MalformedError`` (exit 2).

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI, the SQLAlchemy ORM.
"""

from __future__ import annotations

# One home in the core: the command lines map it to exit 3 (ledger.core.exit_codes).
from ledger.core.errors import SourceUnavailable

__all__ = ["SourceUnavailable"]
