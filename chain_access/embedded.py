"""The embedded chain: py-evm in process, persisted in ``<dir>/evm.sqlite``.

Role: ``open_embedded`` returns an ``EmbeddedChain`` (a ``ChainBackend``) over
web3 → ``EthereumTesterProvider`` → eth-tester (auto-mine: one block per transaction) →
``PersistentPyEVMBackend`` → ``SQLiteKV``. One writer process per directory (enforced with an
exclusive ``flock`` on ``<dir>/writer.lock``); any number of read-only handles in other
processes, which always see the latest committed head. DEV ONLY as a trust anchor: whoever
holds the directory can rewrite it; it proves nothing against its operator.

Must not import: ``ledger.*``, ``verifier.*``, FastAPI.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from eth_account import Account
from eth_utils.address import to_canonical_address, to_checksum_address
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider

from chain_access.abi_codec import Abi, decode_revert
from chain_access.base import BlockId, PreparedTx, TxRef
from chain_access.errors import ChainInUse, ChainUnavailable
from chain_access.kvstore import SQLiteKV
from chain_access.pyevm_backend import DEV_PRIVATE_KEYS, PersistentPyEVMBackend
from chain_access.web3_backend import GWEI, Web3Backend

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3.types import RPCEndpoint, RPCResponse

DB_FILE = "evm.sqlite"
LOCK_FILE = "writer.lock"


def dev_accounts() -> list[LocalAccount]:
    """The deterministic, genesis-funded DEV-ONLY accounts; index 0 is the faucet."""
    return [Account.from_key(k) for k in DEV_PRIVATE_KEYS]


class _LockedTesterProvider(EthereumTesterProvider):
    """eth-tester is not thread-safe: serialise every request on the chain's lock."""

    def __init__(self, tester: Any, lock: threading.RLock, chain_id: int) -> None:
        from web3.providers.eth_tester.defaults import API_ENDPOINTS

        # web3's eth-tester endpoints hard-code eth_chainId; report the real one.
        endpoints = {ns: dict(fns) for ns, fns in API_ENDPOINTS.items()}
        endpoints["eth"]["chainId"] = lambda *_: chain_id
        super().__init__(tester, api_endpoints=endpoints)
        self._lock = lock

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        with self._lock:
            return super().make_request(method, params)


def _acquire_writer_lock(directory: Path) -> IO[str]:
    handle = (directory / LOCK_FILE).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise ChainInUse(f"embedded chain {directory} is in use by another process (a running "
                         "`witness serve` anchors it itself: let it, or stop it first)") from None
    return handle


class EmbeddedChain(Web3Backend):
    """A ``ChainBackend`` over the persistent in-process py-evm chain."""

    def __init__(self, directory: Path, kv: SQLiteKV, evm: PersistentPyEVMBackend,
                 lock: threading.RLock, writer_lock: IO[str] | None) -> None:
        from eth_tester import EthereumTester

        tester = EthereumTester(evm, auto_mine_transactions=True)
        w3 = Web3(_LockedTesterProvider(tester, lock, int(evm.chain.chain_id)))
        super().__init__(w3, description=f"embedded:{directory}", readonly=kv.readonly)
        self.directory = directory
        self._kv = kv
        self._evm = evm
        self._lock = lock
        self._writer_lock = writer_lock
        self._closed = False

    @property
    def evm(self) -> PersistentPyEVMBackend:
        """The eth-tester backend (py-evm chain at ``.chain``), for tests and tools."""
        return self._evm

    @property
    def faucet(self) -> LocalAccount:
        return dev_accounts()[0]

    def _eth_call(self, tx: dict[str, Any], block: BlockId, abi: Abi | None) -> bytes:
        """Simulate directly on py-evm: eth-tester loses custom revert data on the way."""
        raw: dict[str, Any] = {
            "from": to_canonical_address(tx.get("from") or self.faucet.address),
            "to": to_canonical_address(tx["to"]) if tx.get("to") else b"",
            "data": bytes(tx.get("data") or b""),
            "value": int(tx.get("value") or 0),
        }
        if tx.get("gas"):
            raw["gas"] = int(tx["gas"])
        with self._lock:
            self._check_open()
            ok, out = self._evm.simulate(raw, block)
        if not ok:
            raise decode_revert(out, abi)
        return out

    def _fee_fields(self) -> dict[str, int]:
        base = self._w3.eth.get_block("latest").get("baseFeePerGas") or 0
        return {"maxFeePerGas": 2 * int(base) + GWEI, "maxPriorityFeePerGas": GWEI}

    def _confirmed_depth(self, rec: Any) -> int:
        return self.confirmations  # single operator, instant finality: nothing to wait for

    def _check_open(self) -> None:
        if self._closed:
            raise ChainUnavailable(f"{self.description} is closed")

    def fund(self, address: str, wei: int) -> TxRef:
        """Send ``wei`` from the DEV-ONLY faucet (genesis-funded) to ``address``."""
        self._require_writable()
        faucet = self.faucet
        to = to_checksum_address(address)
        nonce = self.nonce(faucet.address)
        tx: dict[str, Any] = {"to": to, "value": int(wei), "gas": 21_000, "nonce": nonce,
                              "chainId": self.chain_id(), "data": b"", **self._fee_fields()}
        signed = faucet.sign_transaction(tx)
        prepared = PreparedTx(tx_hash=bytes(signed.hash), raw=bytes(signed.raw_transaction),
                              nonce=nonce, sender=faucet.address, to=to)
        return self.send_prepared(prepared)

    def disk_usage(self) -> int:
        """Bytes used by the store (database file plus WAL)."""
        files = [self.directory / DB_FILE, self.directory / (DB_FILE + "-wal")]
        return sum(p.stat().st_size for p in files if p.exists())

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._kv.close()
            if self._writer_lock is not None:
                self._writer_lock.close()  # releases the flock


def open_embedded(path: Path | str, *, readonly: bool = False, chain_id: int | None = None,
                  synchronous: str = "FULL") -> EmbeddedChain:
    """Open (creating on first write-open) the embedded chain stored under directory ``path``.

    ``chain_id`` is used only when the chain is created (default 1337); reopening with a
    different explicit one raises. ``readonly=True`` never creates anything and refuses writes.
    """
    directory = Path(path)
    db_path = directory / DB_FILE
    if readonly and not db_path.exists():
        raise ChainUnavailable(f"no embedded chain at {directory} (missing {DB_FILE})")
    writer_lock = None
    if not readonly:
        directory.mkdir(parents=True, exist_ok=True)
        writer_lock = _acquire_writer_lock(directory)
    try:
        kv = SQLiteKV(db_path, readonly=readonly, synchronous=synchronous)
        evm = PersistentPyEVMBackend(kv, chain_id=chain_id, readonly=readonly)
    except BaseException:
        if writer_lock is not None:
            writer_lock.close()
        raise
    return EmbeddedChain(directory, kv, evm, threading.RLock(), writer_lock)


__all__: Sequence[str] = ("EmbeddedChain", "dev_accounts", "open_embedded")
