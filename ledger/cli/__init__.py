"""The ``witness`` command line: operate a witness log.

Bad input gives one line on stderr and exit code 2, never a traceback. Must not import the
API or the verifier.
"""

from __future__ import annotations

from ledger.cli.app import main

__all__ = ["main"]
