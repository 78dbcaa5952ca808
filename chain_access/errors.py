"""Typed errors of the chain access layer.

Role: one ``ChainError`` family, part of the ledger's one error hierarchy
(``ledger.core.errors.WitnessError``), so callers (the anchorer, the verifier) catch it and
the command lines map it to exit codes like any other error (``ledger.core.exit_codes``):
``ChainUnavailable`` (a ``SourceUnavailable``: retry later / exit 3), ``ChainRevert`` (the
contract refused, with the raw revert data so custom errors can be decoded), ``ChainMismatch``
(wrong or reset chain), ``ChainReadOnly`` (a write through a read-only handle).

Must not import: ``ledger.*`` other than ``ledger.core``, ``verifier.*``, FastAPI, web3, py-evm.
"""

from __future__ import annotations

from typing import Any

from ledger.core.errors import SourceUnavailable, WitnessError


class ChainError(WitnessError):
    """Base of every error raised by ``chain_access``."""


class ChainUnavailable(ChainError, SourceUnavailable):
    """The endpoint cannot be reached (connection refused, timeout, DNS, closed store)."""

    source = "the chain"


class ChainInUse(ChainUnavailable):
    """An embedded chain another process holds for writing (one writer at a time)."""


class ChainReadOnly(ChainError):
    """A write (deploy, transact, fund) was attempted through a read-only handle."""


class ChainMismatch(ChainError):
    """The chain is not the one expected: chain id, genesis hash or contract code differ."""

    def __init__(self, message: str, *, field: str, expected: Any, actual: Any) -> None:
        super().__init__(message)
        self.field = field
        self.expected = expected
        self.actual = actual


class ChainRevert(ChainError):
    """A call or transaction reverted.

    ``data`` is the raw revert data (may be empty), ``selector`` its first four bytes (None if
    shorter), ``name`` the decoded error name when the ABI (or the standard ``Error(string)`` /
    ``Panic(uint256)``) knows it, ``args`` the decoded arguments when available, ``tx_hash`` the
    mined transaction when the revert happened on chain (status 0) rather than in simulation.
    """

    def __init__(
        self,
        data: bytes,
        *,
        name: str | None = None,
        args: tuple[Any, ...] | None = None,
        tx_hash: bytes | None = None,
        message: str | None = None,
    ) -> None:
        self.data = bytes(data)
        self.selector: bytes | None = self.data[:4] if len(self.data) >= 4 else None
        self.name = name
        self.args_decoded = args
        self.tx_hash = tx_hash
        sel = "0x" + self.selector.hex() if self.selector else "none"
        desc = f"{name}{args if args is not None else ''}" if name else f"selector {sel}"
        super().__init__(message or f"execution reverted: {desc} (data 0x{self.data.hex()})")


class ChainTimeout(ChainUnavailable):
    """A sent transaction was not mined (or not confirmed) within the timeout."""

    def __init__(self, message: str, *, tx_hash: bytes) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash
