"""``ChainBackend`` over any ``web3.Web3``: the shared implementation of both backends.

Role: reads, local signing (eth-account), broadcasting, waiting for receipts and confirmations,
and the mapping of web3 / transport exceptions to the ``ChainError`` family. The embedded chain
subclasses it and overrides only what py-evm does better in process (revert data, fees).

Must not import: ``ledger.*``, ``verifier.*``, FastAPI, py-evm, eth-tester.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import requests
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.exceptions import (
    BlockNotFound,
    ContractLogicError,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
)

from chain_access.abi_codec import (
    Abi,
    as_bytes,
    decode_output,
    decode_revert,
    encode_call,
    encode_deploy,
)
from chain_access.base import BlockId, BlockInfo, ChainBackend, LogEntry, PreparedTx, TxReceipt
from chain_access.base import TxRef as TxRef
from chain_access.errors import (
    ChainError,
    ChainReadOnly,
    ChainRevert,
    ChainTimeout,
    ChainUnavailable,
)

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

GWEI = 10**9
_ALREADY_SENT = ("already known", "known transaction", "nonce too low", "already imported")


def _revert_data_of(exc: ContractLogicError) -> bytes:
    data = exc.data
    if isinstance(data, dict):  # some nodes nest it: {"data": "0x..."}
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        return as_bytes(data)
    return b""


@contextmanager
def chain_errors(where: str, abi: Abi | None = None) -> Iterator[None]:
    """Map transport and node exceptions raised inside the block to ``ChainError``s."""
    try:
        yield
    except ChainError:
        raise
    except ContractLogicError as exc:
        raise decode_revert(_revert_data_of(exc), abi) from exc
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
            ConnectionError, TimeoutError) as exc:
        raise ChainUnavailable(f"{where}: chain endpoint unreachable: {exc}") from exc
    except Web3Exception as exc:
        raise ChainError(f"{where}: {exc}") from exc


def _log_entry(log: Any) -> LogEntry:
    return LogEntry(
        address=to_checksum_address(log["address"]),
        topics=tuple(bytes(t) for t in log["topics"]),
        data=bytes(log["data"]),
        block_number=int(log["blockNumber"]),
        block_hash=bytes(log["blockHash"]),
        tx_hash=bytes(log["transactionHash"]),
        log_index=int(log["logIndex"]),
    )


def _to_receipt(r: Any) -> TxReceipt:
    addr = r.get("contractAddress")
    return TxReceipt(
        tx_hash=bytes(r["transactionHash"]),
        block_number=int(r["blockNumber"]),
        block_hash=bytes(r["blockHash"]),
        gas_used=int(r["gasUsed"]),
        status=int(r["status"]),
        contract_address=to_checksum_address(addr) if addr else None,
        logs=tuple(_log_entry(lg) for lg in r.get("logs", [])),
    )


class Web3Backend(ChainBackend):
    """A chain reached through a ``Web3`` instance (HTTP JSON-RPC or an in-process provider)."""

    def __init__(self, w3: Web3, *, description: str, readonly: bool = False,
                 confirmations: int = 0, timeout: float = 120.0, poll: float = 0.5) -> None:
        self._w3 = w3
        self._description = description
        self._readonly = readonly
        self.confirmations = confirmations
        self.timeout = timeout
        self.poll = poll
        self._chain_id: int | None = None
        self._genesis: bytes | None = None

    @property
    def web3(self) -> Web3:
        return self._w3

    @property
    def readonly(self) -> bool:
        return self._readonly

    @property
    def description(self) -> str:
        return self._description

    def _where(self, op: str) -> str:
        return f"{op} on {self._description}"

    # -- reads -----------------------------------------------------------------------
    def chain_id(self) -> int:
        if self._chain_id is None:
            with chain_errors(self._where("eth_chainId")):
                self._chain_id = int(self._w3.eth.chain_id)
        return self._chain_id

    def genesis_hash(self) -> bytes:
        if self._genesis is None:
            self._genesis = self.get_block(0).hash
        return self._genesis

    def block_number(self) -> int:
        with chain_errors(self._where("eth_blockNumber")):
            return int(self._w3.eth.block_number)

    def get_block(self, n: BlockId = "latest") -> BlockInfo:
        with chain_errors(self._where(f"eth_getBlockByNumber({n})")):
            try:
                blk = self._w3.eth.get_block(n)  # type: ignore[arg-type]
            except BlockNotFound as exc:
                raise ChainError(f"block {n} not found on {self._description}") from exc
        return BlockInfo(int(blk["number"]), bytes(blk["hash"]), int(blk["timestamp"]))

    def get_code(self, address: str, block: BlockId = "latest") -> bytes:
        with chain_errors(self._where("eth_getCode")):
            return bytes(self._w3.eth.get_code(to_checksum_address(address),
                                               block))  # type: ignore[arg-type]

    def balance(self, address: str) -> int:
        with chain_errors(self._where("eth_getBalance")):
            return int(self._w3.eth.get_balance(to_checksum_address(address)))

    def nonce(self, address: str) -> int:
        with chain_errors(self._where("eth_getTransactionCount")):
            return int(self._w3.eth.get_transaction_count(to_checksum_address(address),
                                                          "pending"))

    def _eth_call(self, tx: dict[str, Any], block: BlockId, abi: Abi | None) -> bytes:
        """Raw ``eth_call``; a revert raises ``ChainRevert`` with the revert data."""
        with chain_errors(self._where("eth_call"), abi):
            return bytes(self._w3.eth.call(tx, block))  # type: ignore[arg-type]

    def call(self, address: str, abi: Abi, fn_name: str, args: Sequence[Any] = (),
             block: BlockId = "latest") -> Any:
        tx = {"to": to_checksum_address(address), "data": encode_call(abi, fn_name, args)}
        out = self._eth_call(tx, block, abi)
        return decode_output(abi, fn_name, len(args), out)

    def receipt(self, tx_hash: bytes) -> TxReceipt | None:
        with chain_errors(self._where("eth_getTransactionReceipt")):
            try:
                r = self._w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound:
                return None
        if r is None or r.get("blockNumber") is None:
            return None
        return _to_receipt(r)

    def transaction_to(self, tx_hash: bytes) -> str | None:
        """The recipient of a known transaction (None for a contract creation); a read for
        verifiers, which must know a transaction was sent to the registry itself."""
        with chain_errors(self._where("eth_getTransactionByHash")):
            try:
                t = self._w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound as exc:
                raise ChainError(f"transaction 0x{tx_hash.hex()} not found") from exc
        to = t.get("to")
        return to_checksum_address(to) if to else None

    def get_logs(self, address: str, from_block: int = 0, to_block: BlockId = "latest",
                 topics: Sequence[bytes | None] | None = None) -> list[LogEntry]:
        params: dict[str, Any] = {"address": to_checksum_address(address),
                                  "fromBlock": from_block, "toBlock": to_block}
        if topics:
            params["topics"] = [None if t is None else "0x" + t.hex() for t in topics]
        with chain_errors(self._where("eth_getLogs")):
            return [_log_entry(lg) for lg in self._w3.eth.get_logs(params)]  # type: ignore[arg-type]

    # -- writes ----------------------------------------------------------------------
    def _require_writable(self) -> None:
        if self._readonly:
            raise ChainReadOnly(f"{self._description} is open read-only")

    def _fee_fields(self) -> dict[str, int]:
        with chain_errors(self._where("fees")):
            base = self._w3.eth.get_block("latest").get("baseFeePerGas")
            if base is None:
                return {"gasPrice": int(self._w3.eth.gas_price)}
            try:
                prio = int(self._w3.eth.max_priority_fee)
            except (Web3RPCError, ValueError, NotImplementedError):
                prio = GWEI
        return {"maxFeePerGas": 2 * int(base) + prio, "maxPriorityFeePerGas": prio}

    def _estimate(self, tx: dict[str, Any], abi: Abi | None) -> int:
        with chain_errors(self._where("eth_estimateGas"), abi):
            est = int(self._w3.eth.estimate_gas(tx))  # type: ignore[arg-type]
        return est + est // 5 + 10_000

    def _prepare(self, to: str | None, data: bytes, sender: LocalAccount, gas: int | None,
                 nonce: int | None, abi: Abi | None) -> PreparedTx:
        self._require_writable()
        frm = to_checksum_address(sender.address)
        base: dict[str, Any] = {"from": frm, "data": data, "value": 0}
        if to is not None:
            base["to"] = to_checksum_address(to)
        self._eth_call(base, "latest", abi)  # surfaces a revert with its data before sending
        tx = dict(base, chainId=self.chain_id(),
                  nonce=self.nonce(frm) if nonce is None else nonce,
                  gas=gas if gas is not None else self._estimate(base, abi),
                  **self._fee_fields())
        del tx["from"]
        signed = sender.sign_transaction(tx)
        return PreparedTx(tx_hash=bytes(signed.hash), raw=bytes(signed.raw_transaction),
                          nonce=int(tx["nonce"]), sender=frm, to=base.get("to"))

    def prepare_transact(self, address: str, abi: Abi, fn_name: str, args: Sequence[Any],
                         sender: LocalAccount, gas: int | None = None,
                         nonce: int | None = None) -> PreparedTx:
        return self._prepare(address, encode_call(abi, fn_name, args), sender, gas, nonce, abi)

    def deploy(self, abi: Abi, bytecode: bytes | str, args: Sequence[Any],
               sender: LocalAccount, gas: int | None = None) -> tuple[str, TxRef]:
        prepared = self._prepare(None, encode_deploy(abi, bytecode, args), sender, gas, None,
                                 abi)
        ref = self.send_prepared(prepared, abi)
        rec = self.receipt(ref.tx_hash)
        if rec is None or rec.contract_address is None:
            raise ChainError(f"deployment {ref.tx_hash.hex()} has no contract address")
        return rec.contract_address, ref

    def _broadcast(self, tx: PreparedTx) -> None:
        with chain_errors(self._where("eth_sendRawTransaction")):
            try:
                self._w3.eth.send_raw_transaction(tx.raw)
            except Web3RPCError as exc:
                msg = str(exc).lower()
                if not any(s in msg for s in _ALREADY_SENT):
                    raise
                if "nonce too low" in msg and self.receipt(tx.tx_hash) is None:
                    raise ChainError(f"nonce {tx.nonce} of {tx.sender} already used by "
                                     f"another transaction") from exc

    def send_prepared(self, tx: PreparedTx, abi: Abi | None = None) -> TxRef:
        self._require_writable()
        if self.receipt(tx.tx_hash) is None:
            self._broadcast(tx)
        rec = self._wait_confirmed(tx)
        if rec.status != 1:
            raise self._mined_revert(rec, abi)
        return rec.ref()

    def _confirmed_depth(self, rec: TxReceipt) -> int:
        return self.block_number() - rec.block_number

    def _wait_confirmed(self, tx: PreparedTx) -> TxReceipt:
        """Poll until the receipt is ``confirmations`` blocks deep and still canonical."""
        deadline = time.monotonic() + self.timeout
        while True:
            rec = self.receipt(tx.tx_hash)
            if rec is not None and self._confirmed_depth(rec) >= self.confirmations:
                return rec
            if time.monotonic() > deadline:
                state = "unconfirmed" if rec is not None else "not mined"
                raise ChainTimeout(f"transaction 0x{tx.tx_hash.hex()} {state} after "
                                   f"{self.timeout:.0f}s on {self._description}",
                                   tx_hash=tx.tx_hash)
            time.sleep(self.poll)

    def _mined_revert(self, rec: TxReceipt, abi: Abi | None) -> ChainRevert:
        """Replay a mined, failed transaction at its parent block to recover the revert data."""
        with chain_errors(self._where("eth_getTransactionByHash")):
            t = self._w3.eth.get_transaction(rec.tx_hash)  # type: ignore[arg-type]
        replay = {"from": t["from"], "to": t.get("to"), "data": bytes(t["input"]),
                  "value": int(t["value"]), "gas": int(t["gas"])}
        try:
            self._eth_call(replay, rec.block_number - 1, abi)
        except ChainRevert as rev:
            return decode_revert(rev.data, abi, tx_hash=rec.tx_hash)
        except ChainError:
            pass
        return ChainRevert(b"", tx_hash=rec.tx_hash,
                           message=f"transaction 0x{rec.tx_hash.hex()} failed (status 0)")
