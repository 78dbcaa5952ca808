"""The one interface over every EVM chain the ledger anchors to or the verifier reads.

Role: value types (``BlockInfo``, ``TxRef``, ``TxReceipt``, ``LogEntry``, ``PreparedTx``) and
the ``ChainBackend`` ABC implemented by the embedded py-evm chain and the JSON-RPC backend.
Addresses are 0x-prefixed hex strings (checksummed on output); hashes are raw ``bytes``.

Must not import: ``ledger.*``, ``verifier.*``, FastAPI, py-evm, eth-tester (stdlib + typing).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3

Abi = Sequence[dict[str, Any]]
BlockId = int | str  # a number or "latest" / "earliest"


@dataclass(frozen=True)
class BlockInfo:
    number: int
    hash: bytes
    timestamp: int


@dataclass(frozen=True)
class TxRef:
    """A mined transaction: where it landed and whether it succeeded (status 1) or not (0)."""

    tx_hash: bytes
    block_number: int
    block_hash: bytes
    gas_used: int
    status: int


@dataclass(frozen=True)
class LogEntry:
    address: str
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    block_hash: bytes
    tx_hash: bytes
    log_index: int


@dataclass(frozen=True)
class TxReceipt(TxRef):
    """A receipt found on chain (for reconciliation after a crash)."""

    contract_address: str | None
    logs: tuple[LogEntry, ...]

    def ref(self) -> TxRef:
        return TxRef(self.tx_hash, self.block_number, self.block_hash, self.gas_used,
                     self.status)


@dataclass(frozen=True)
class PreparedTx:
    """A signed transaction not yet broadcast.

    Record ``tx_hash``/``nonce``/``raw`` as an intent before ``send_prepared`` so a restart can
    find it with ``receipt(tx_hash)`` or broadcast the very same bytes again (no double send).
    """

    tx_hash: bytes
    raw: bytes
    nonce: int
    sender: str
    to: str | None


class ChainBackend(ABC):
    """Read and write access to one EVM chain. All methods raise ``ChainError`` subclasses."""

    confirmations: int = 0

    @property
    @abstractmethod
    def web3(self) -> Web3:
        """The underlying ``web3.Web3`` for anything this interface does not cover."""

    @property
    @abstractmethod
    def readonly(self) -> bool: ...

    @property
    @abstractmethod
    def description(self) -> str:
        """Human-readable location: ``embedded:/path`` or the URL (without credentials)."""

    # -- reads -----------------------------------------------------------------------
    @abstractmethod
    def chain_id(self) -> int: ...

    @abstractmethod
    def genesis_hash(self) -> bytes: ...

    @abstractmethod
    def block_number(self) -> int: ...

    @abstractmethod
    def get_block(self, n: BlockId = "latest") -> BlockInfo: ...

    @abstractmethod
    def get_code(self, address: str, block: BlockId = "latest") -> bytes: ...

    @abstractmethod
    def balance(self, address: str) -> int: ...

    @abstractmethod
    def nonce(self, address: str) -> int:
        """Next nonce of ``address`` including transactions pending in the node's pool."""

    @abstractmethod
    def call(self, address: str, abi: Abi, fn_name: str, args: Sequence[Any] = (),
             block: BlockId = "latest") -> Any:
        """``eth_call``; a single output is returned bare, several as a tuple."""

    @abstractmethod
    def receipt(self, tx_hash: bytes) -> TxReceipt | None:
        """The receipt of a mined transaction, or None if unknown / still pending."""

    def transaction_to(self, tx_hash: bytes) -> str | None:
        """The recipient of a known transaction (None: a contract creation)."""
        raise NotImplementedError

    @abstractmethod
    def get_logs(self, address: str, from_block: int = 0, to_block: BlockId = "latest",
                 topics: Sequence[bytes | None] | None = None) -> list[LogEntry]: ...

    # -- writes ----------------------------------------------------------------------
    @abstractmethod
    def deploy(self, abi: Abi, bytecode: bytes | str, args: Sequence[Any],
               sender: LocalAccount, gas: int | None = None) -> tuple[str, TxRef]: ...

    @abstractmethod
    def prepare_transact(self, address: str, abi: Abi, fn_name: str, args: Sequence[Any],
                         sender: LocalAccount, gas: int | None = None,
                         nonce: int | None = None) -> PreparedTx:
        """Simulate (raising ``ChainRevert``), estimate gas, sign; do not broadcast."""

    @abstractmethod
    def send_prepared(self, tx: PreparedTx, abi: Abi | None = None) -> TxRef:
        """Broadcast (idempotent if already known/mined), wait for receipt + confirmations."""

    def transact(self, address: str, abi: Abi, fn_name: str, args: Sequence[Any],
                 sender: LocalAccount, gas: int | None = None) -> TxRef:
        """Prepare, send, wait. A mined-but-reverted transaction raises ``ChainRevert``."""
        return self.send_prepared(
            self.prepare_transact(address, abi, fn_name, args, sender, gas), abi)

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files / connections. The handle must not be used afterwards."""
