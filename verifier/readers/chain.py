"""Read-only access to the registry contract through ``chain_access``.

Role: the few reads the verifier needs (``checkpointAt``, ``checkpointCount``, blocks, a
transaction's receipt and recipient, the registry's CheckpointAnchored events, a log's
frozen state and its successor/predecessor links), with the minimal ABI written out here so
the verifier does not depend on the ledger's artifacts. The registry address is always the
*pinned* one; the log id the pinned one or a successor ``verifier.succession`` followed.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from chain_access import (
    ChainBackend,
    ChainError,
    ChainRevert,
    ChainUnavailable,
    open_chain,
)
from chain_access.registry_events import AnchoredEvent, anchored_in, anchored_topic
from ledger.core.errors import MalformedError
from verifier.readers import SourceUnavailable

_CHECKPOINT = {"type": "tuple", "name": "", "internalType": "struct Checkpoint", "components": [
    {"name": "treeSize", "type": "uint64", "internalType": "uint64"},
    {"name": "root", "type": "bytes32", "internalType": "bytes32"},
    {"name": "timestamp", "type": "uint64", "internalType": "uint64"},
    {"name": "blockNumber", "type": "uint64", "internalType": "uint64"},
]}
REGISTRY_VIEW_ABI: list[dict[str, Any]] = [
    {"type": "function", "name": "checkpointAt", "stateMutability": "view",
     "inputs": [{"name": "logId", "type": "bytes32", "internalType": "bytes32"},
                {"name": "index", "type": "uint256", "internalType": "uint256"}],
     "outputs": [_CHECKPOINT]},
    {"type": "function", "name": "checkpointCount", "stateMutability": "view",
     "inputs": [{"name": "logId", "type": "bytes32", "internalType": "bytes32"}],
     "outputs": [{"name": "", "type": "uint256", "internalType": "uint256"}]},
]


_LOG_ID_IN = [{"name": "logId", "type": "bytes32", "internalType": "bytes32"}]
# The freeze and succession views (docs/verifier.md, "A frozen log and its successor").
SUCCESSION_VIEW_ABI: list[dict[str, Any]] = [
    {"type": "function", "name": "frozenState", "stateMutability": "view", "inputs": _LOG_ID_IN,
     "outputs": [{"name": "frozen", "type": "bool", "internalType": "bool"},
                 {"name": "lastGoodIndex", "type": "uint256", "internalType": "uint256"}]},
    {"type": "function", "name": "predecessorOf", "stateMutability": "view",
     "inputs": _LOG_ID_IN,
     "outputs": [{"name": "predecessor", "type": "bytes32", "internalType": "bytes32"},
                 {"name": "startSize", "type": "uint64", "internalType": "uint64"},
                 {"name": "startRoot", "type": "bytes32", "internalType": "bytes32"}]},
    {"type": "function", "name": "successorOf", "stateMutability": "view", "inputs": _LOG_ID_IN,
     "outputs": [{"name": "", "type": "bytes32", "internalType": "bytes32"}]},
]
_ZERO32 = bytes(32)


@dataclass(frozen=True)
class OnChainCheckpoint:
    index: int
    tree_size: int
    root: bytes
    timestamp: int
    block_number: int


@dataclass(frozen=True)
class ChainTx:
    """A mined transaction as the chain reports it: recipient, outcome, block, and the
    CheckpointAnchored events the pinned registry emitted in it."""

    tx_hash: bytes
    to: str | None
    status: int
    block_number: int
    block_hash: bytes
    anchored: tuple[AnchoredEvent, ...]


@dataclass(frozen=True)
class ChainBlock:
    number: int
    hash: bytes
    timestamp: int


class RegistryReader(Protocol):
    """What the checks need from a chain; tests may supply a fake."""

    def chain_id(self) -> int: ...

    def checkpoint_count(self, log_id: bytes) -> int: ...

    def checkpoint_at(self, log_id: bytes, index: int) -> OnChainCheckpoint | None: ...

    def block(self, number: int) -> ChainBlock | None: ...

    def transaction(self, tx_hash: bytes) -> ChainTx | None: ...

    def anchoring_tx(self, log_id: bytes, index: int, block_number: int) -> bytes | None:
        """The transaction whose CheckpointAnchored event stored checkpoint ``index``."""
        ...

    def frozen_state(self, log_id: bytes) -> tuple[bool, int] | None:
        """(frozen, last good index) of ``log_id``; None when the registry does not know it."""
        ...

    def predecessor_of(self, log_id: bytes) -> tuple[bytes, int, bytes] | None:
        """(predecessor, start size, start root) of a successor log; None when ``log_id`` is
        unknown or continues no log."""
        ...

    def successor_of(self, log_id: bytes) -> bytes | None:
        """The successor registered for the frozen ``log_id``; None when there is none."""
        ...


class ChainRegistryReader:
    """A :class:`RegistryReader` over a ``chain_access`` backend and the pinned registry."""

    def __init__(self, backend: ChainBackend, registry: str) -> None:
        self.backend = backend
        self.registry = registry

    def chain_id(self) -> int:
        return int(_guard(self.backend.chain_id))

    def checkpoint_count(self, log_id: bytes) -> int:
        try:
            return int(_guard(self.backend.call, self.registry, REGISTRY_VIEW_ABI,
                              "checkpointCount", [log_id]))
        except ChainRevert:  # a registry that does not know the log holds none of it
            return 0

    def checkpoint_at(self, log_id: bytes, index: int) -> OnChainCheckpoint | None:
        try:
            out = _guard(self.backend.call, self.registry, REGISTRY_VIEW_ABI, "checkpointAt",
                         [log_id, index])
        except ChainRevert:
            return None
        size, root, timestamp, block = out
        return OnChainCheckpoint(index, int(size), bytes(root), int(timestamp), int(block))

    def block(self, number: int) -> ChainBlock | None:
        if number > int(_guard(self.backend.block_number)):
            return None
        info = _guard(self.backend.get_block, number)
        return ChainBlock(int(info.number), bytes(info.hash), int(info.timestamp))

    def transaction(self, tx_hash: bytes) -> ChainTx | None:
        rec = _guard(self.backend.receipt, tx_hash)
        if rec is None:
            return None
        to = _guard(self.backend.transaction_to, tx_hash)
        return ChainTx(bytes(rec.tx_hash), to, int(rec.status), int(rec.block_number),
                       bytes(rec.block_hash), anchored_in(rec.logs, self.registry))

    def anchoring_tx(self, log_id: bytes, index: int, block_number: int) -> bytes | None:
        found = _guard(self.backend.get_logs, self.registry, block_number, block_number,
                       [anchored_topic(), log_id, index.to_bytes(32, "big")])
        return bytes(found[0].tx_hash) if found else None

    def _succession_view(self, fn: str, log_id: bytes) -> Any:
        try:
            return _guard(self.backend.call, self.registry, SUCCESSION_VIEW_ABI, fn, [log_id])
        except ChainRevert:  # UnknownLog, or a registry without these views
            return None

    def frozen_state(self, log_id: bytes) -> tuple[bool, int] | None:
        out = self._succession_view("frozenState", log_id)
        return None if out is None else (bool(out[0]), int(out[1]))

    def predecessor_of(self, log_id: bytes) -> tuple[bytes, int, bytes] | None:
        out = self._succession_view("predecessorOf", log_id)
        if out is None or bytes(out[0]) == _ZERO32:
            return None
        return bytes(out[0]), int(out[1]), bytes(out[2])

    def successor_of(self, log_id: bytes) -> bytes | None:
        out = self._succession_view("successorOf", log_id)
        return None if out is None or bytes(out) == _ZERO32 else bytes(out)

    def close(self) -> None:
        self.backend.close()


def _guard(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except ChainRevert:
        raise
    except ChainUnavailable as exc:
        raise SourceUnavailable(f"chain unreachable: {exc}") from exc
    except ChainError as exc:
        raise SourceUnavailable(f"chain error: {exc}") from exc


def open_registry(spec: str, chain_id: int, registry: str,
                  genesis_hash: str | None = None) -> ChainRegistryReader:
    """Open ``spec`` read-only and check it is the pinned chain (chain id, and the genesis
    hash when pinned) with code at the registry; the backend is closed on refusal."""
    try:
        backend = open_chain(spec, None, readonly=True)
    except ChainUnavailable as exc:
        raise SourceUnavailable(f"chain {spec} unreachable: {exc}") from exc
    except ChainError as exc:
        raise MalformedError(f"cannot open chain {spec}: {exc}") from exc
    reader = ChainRegistryReader(backend, registry)
    try:
        _check_identity(reader, spec, chain_id, registry, genesis_hash)
    except BaseException:
        reader.close()
        raise
    return reader


def _check_identity(reader: ChainRegistryReader, spec: str, chain_id: int, registry: str,
                    genesis_hash: str | None) -> None:
    actual = reader.chain_id()
    if actual != chain_id:
        raise MalformedError(f"the chain at {spec} has chain id {actual}, the policy pins "
                             f"{chain_id}: refusing to check against another chain")
    if genesis_hash is not None:
        genesis = bytes(_guard(reader.backend.genesis_hash)).hex()
        if genesis != genesis_hash.lower().removeprefix("0x"):
            raise MalformedError(f"the chain at {spec} has genesis 0x{genesis}, the policy "
                                 f"pins {genesis_hash}: refusing to check against another "
                                 f"chain (reset or replaced)")
    if not _guard(reader.backend.get_code, registry):
        raise MalformedError(f"no contract at the pinned registry {registry} on {spec}")


def find_size(reader: RegistryReader, log_id: bytes, size: int) -> OnChainCheckpoint | None:
    """The on-chain checkpoint of exactly ``size`` (sizes increase on chain: binary search)."""
    lo, hi = 0, reader.checkpoint_count(log_id)
    while lo < hi:
        mid = (lo + hi) // 2
        found = reader.checkpoint_at(log_id, mid)
        if found is None:
            return None
        if found.tree_size == size:
            return found
        if found.tree_size < size:
            lo = mid + 1
        else:
            hi = mid
    return None


def chain_checkpoints(reader: RegistryReader, log_id: bytes) -> list[OnChainCheckpoint]:
    """Every checkpoint of ``log_id`` on chain, in index order (one call each)."""
    out = []
    for index in range(reader.checkpoint_count(log_id)):
        found = reader.checkpoint_at(log_id, index)
        if found is None:
            break
        out.append(found)
    return out
