"""A persistent py-evm chain behind eth-tester: genesis, reopen, auto-mine, read-only refresh.

Role: subclass eth-tester's ``PyEVMBackend`` so web3's ``EthereumTesterProvider`` serves the
full JSON-RPC surface, while the chain lives in a ``SQLiteKV`` file instead of memory:
- first open writes the metadata (chain id) and a genesis (fixed parameters, plus the creation
  time and a random 32-byte ``extra_data`` salt so that a reset yields a new genesis hash);
- reopen builds the chain from the stored canonical head (genesis is never rebuilt);
- each transaction gets a fresh pending header (wall-clock timestamp, strictly increasing);
- a read-only handle rebuilds its chain view whenever another process moved the head;
- transactions are looked up through py-evm's hash index, not by scanning every block.

Must not import: ``ledger.*``, ``verifier.*``, FastAPI, web3.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from eth.abc import AtomicDatabaseAPI, BlockHeaderAPI
from eth.chains.base import MiningChain
from eth.db.schema import SchemaV1
from eth.exceptions import CanonicalHeadNotFound, HeaderNotFound, Revert
from eth.exceptions import TransactionNotFound as EVMTransactionNotFound
from eth.vm.forks.prague import PragueVM
from eth.vm.spoof import SpoofTransaction
from eth_keys.datatypes import PrivateKey
from eth_tester.backends.pyevm.main import (
    PyEVMBackend,
    _execute_and_revert_transaction,
    get_default_genesis_params,
)
from eth_tester.backends.pyevm.serializers import (
    serialize_transaction,
    serialize_transaction_receipt,
)
from eth_tester.exceptions import TransactionNotFound
from eth_typing import Hash32
from eth_utils.crypto import keccak

from chain_access.errors import ChainError, ChainReadOnly

META_KEY = b"witness-ledger:embedded-chain:meta"
FORMAT_VERSION = 1
DEFAULT_CHAIN_ID = 1337
GAS_LIMIT = 30_000_000
DEV_BALANCE = 10**9 * 10**18  # one billion ether per dev account

# DEV-ONLY deterministic keys: keccak256("witness-ledger embedded dev account <i>").
# Account 0 is the faucet used by ``fund``. Anyone can derive these keys: they protect nothing.
DEV_PRIVATE_KEYS: tuple[bytes, ...] = tuple(
    keccak(f"witness-ledger embedded dev account {i}".encode()) for i in range(3))


def _chain_class(chain_id: int) -> type[MiningChain]:
    """A post-merge (Prague) mining chain with a constant gas limit and the given chain id."""

    class WitnessDevChain(MiningChain):
        vm_configuration = ((0, PragueVM),)  # type: ignore[assignment]

        def create_header_from_parent(self, parent_header: BlockHeaderAPI,
                                      **header_params: Any) -> BlockHeaderAPI:
            header_params["gas_limit"] = parent_header.gas_limit
            return super().create_header_from_parent(parent_header, **header_params)

        def get_transaction_builder(self) -> Any:  # used by eth-tester's tx normalisation
            return self.get_vm().get_transaction_builder()

    WitnessDevChain.chain_id = chain_id
    return WitnessDevChain


def read_meta(db: AtomicDatabaseAPI) -> dict[str, Any] | None:
    try:
        return dict(json.loads(db[META_KEY].decode()))
    except KeyError:
        return None


def _genesis(chain_cls: type[MiningChain], db: AtomicDatabaseAPI) -> MiningChain:
    params = get_default_genesis_params(overrides={
        "gas_limit": GAS_LIMIT,
        "timestamp": int(time.time()),
        "extra_data": os.urandom(32),
    })
    state = {
        PrivateKey(k).public_key.to_canonical_address():
            {"balance": DEV_BALANCE, "nonce": 0, "code": b"", "storage": {}}
        for k in DEV_PRIVATE_KEYS
    }
    chain = chain_cls.from_genesis(db, params, state)  # type: ignore[arg-type]
    assert isinstance(chain, MiningChain)
    return chain


class PersistentPyEVMBackend(PyEVMBackend):  # type: ignore[misc]
    """eth-tester backend whose py-evm chain lives in ``db`` and survives reopening."""

    def __init__(self, db: AtomicDatabaseAPI, *, chain_id: int | None = None,
                 readonly: bool = False) -> None:
        # Deliberately not calling PyEVMBackend.__init__: it would build a fresh in-memory
        # genesis. We set up the same attributes from the persistent db instead.
        self._db = db
        self._readonly = readonly
        self.account_keys = tuple(PrivateKey(k) for k in DEV_PRIVATE_KEYS)
        meta = read_meta(db)
        if meta is None:
            if readonly:
                raise ChainError("embedded chain store has no metadata (never initialised)")
            meta = {"format": FORMAT_VERSION, "chain_id": chain_id or DEFAULT_CHAIN_ID}
            db[META_KEY] = json.dumps(meta).encode()
        if chain_id is not None and chain_id != meta["chain_id"]:
            raise ChainError(f"embedded chain was created with chain id {meta['chain_id']}, "
                             f"not {chain_id}")
        self._chain_cls = _chain_class(int(meta["chain_id"]))
        self._chain: MiningChain = self._open_or_create()
        self._head_hash: bytes = self._chain.get_canonical_head().hash

    def _open_or_create(self) -> MiningChain:
        try:
            self._chain_cls(self._db).get_canonical_head()
        except (CanonicalHeadNotFound, HeaderNotFound):
            if self._readonly:
                raise ChainError("embedded chain store has no genesis yet") from None
            return _genesis(self._chain_cls, self._db)
        return self._chain_cls(self._db)

    # -- the chain view ------------------------------------------------------------------
    @property
    def chain(self) -> MiningChain:
        if self._readonly:
            head = self._db[SchemaV1.make_canonical_head_hash_lookup_key()]
            if head != self._head_hash:  # another process mined: rebuild the pending view
                self._chain = self._chain_cls(self._db)
                self._head_hash = head
        return self._chain

    @chain.setter
    def chain(self, value: MiningChain) -> None:
        self._chain = value

    def reset_to_genesis(self, *args: Any, **kwargs: Any) -> None:
        raise ChainError("the embedded chain is persistent: reset it by using a new data dir")

    # -- writes --------------------------------------------------------------------------
    def _refresh_pending_header(self) -> None:
        """Give an empty pending block the current wall-clock time (> parent's)."""
        chain = self.chain
        if not chain.get_block().transactions:
            chain.header = chain.create_header_from_parent(chain.get_canonical_head())

    def send_raw_transaction(self, raw_transaction: bytes) -> bytes:
        if self._readonly:
            raise ChainReadOnly("embedded chain is open read-only")
        self._refresh_pending_header()
        return bytes(super().send_raw_transaction(raw_transaction))

    def send_transaction(self, transaction: dict[str, Any]) -> bytes:
        if self._readonly:
            raise ChainReadOnly("embedded chain is open read-only")
        self._refresh_pending_header()
        return bytes(super().send_transaction(transaction))

    def mine_blocks(self, num_blocks: int = 1, coinbase: bytes = b"\0" * 20) -> Any:
        if self._readonly:
            raise ChainReadOnly("embedded chain is open read-only")
        return super().mine_blocks(num_blocks, coinbase)

    # -- indexed transaction lookup ------------------------------------------------------
    def _find_transaction(self, tx_hash: bytes) -> tuple[Any, Any, int]:
        chain = self.chain
        try:
            number, index = chain.chaindb.get_transaction_index(Hash32(tx_hash))
        except EVMTransactionNotFound:
            raise TransactionNotFound(f"No transaction 0x{tx_hash.hex()}") from None
        block = chain.get_canonical_block_by_number(number)
        return block, block.transactions[index], index

    def get_transaction_by_hash(self, transaction_hash: bytes) -> Any:
        block, tx, index = self._find_transaction(transaction_hash)
        return serialize_transaction(block, tx, index, False)

    def get_transaction_receipt(self, transaction_hash: bytes) -> Any:
        block, tx, index = self._find_transaction(transaction_hash)
        receipts = block.get_receipts(self.chain.chaindb)
        return serialize_transaction_receipt(block, receipts, tx, index, False,
                                             self.chain.get_vm())

    # -- simulation with raw revert data -------------------------------------------------
    def simulate(self, transaction: dict[str, Any], block_number: Any = "latest"
                 ) -> tuple[bool, bytes]:
        """Run a call without committing. Returns (success, output or raw revert data)."""
        tx = dict(transaction)
        tx.setdefault("gas", self._max_available_gas())
        unsigned = self._get_normalized_and_unsigned_evm_transaction(tx, block_number)
        spoofed = SpoofTransaction(unsigned, from_=tx["from"])
        computation = _execute_and_revert_transaction(self.chain, spoofed, block_number)
        if not computation.is_error:
            return True, bytes(computation.output)
        err = computation.error
        if isinstance(err, Revert) and err.args and isinstance(err.args[0], bytes):
            return False, bytes(err.args[0])
        return False, b""
