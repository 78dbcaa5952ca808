"""The registry's CheckpointAnchored event, decoded through its ABI: one decoder for the
anchorer (which records the anchor it sent) and the verifier (which checks it).

``CheckpointAnchored(bytes32 indexed logId, uint256 indexed index, uint64 treeSize,
bytes32 root, uint64 timestamp)`` (contracts/IWitnessRegistry.sol). Topic 0 is the
Keccak-256 of the signature; the indexed fields are the next two topics; the others are the
ABI-encoded data. A log that claims to be the event but does not decode (wrong topic count,
short or malformed data) is a ``ChainError``, not a misread number.

The ABI libraries are imported when an event is decoded, not at import: the verifier's
offline checks import its chain reader without the chain extra. Must not import:
``ledger.*`` other than ``ledger.core``, ``verifier.*``, FastAPI, py-evm, eth-tester.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from chain_access.base import LogEntry
from chain_access.errors import ChainError

ANCHORED_EVENT: dict[str, Any] = {
    "type": "event", "name": "CheckpointAnchored", "anonymous": False,
    "inputs": [
        {"name": "logId", "type": "bytes32", "indexed": True},
        {"name": "index", "type": "uint256", "indexed": True},
        {"name": "treeSize", "type": "uint64", "indexed": False},
        {"name": "root", "type": "bytes32", "indexed": False},
        {"name": "timestamp", "type": "uint64", "indexed": False},
    ],
}


@dataclass(frozen=True)
class AnchoredEvent:
    """One CheckpointAnchored event: which log, its checkpoint index, size and root. The
    block time the registry wrote is kept but not compared (the block says it too)."""

    log_id: bytes
    index: int
    tree_size: int
    root: bytes
    timestamp: int = field(default=0, compare=False)


def event_signature(event: dict[str, Any]) -> str:
    """``Name(type,…)``, whose Keccak-256 is the event's topic 0."""
    types = ",".join(str(i["type"]) for i in event["inputs"])
    return f"{event['name']}({types})"


ANCHORED_SIGNATURE = event_signature(ANCHORED_EVENT)


@cache
def anchored_topic() -> bytes:
    """Topic 0 of CheckpointAnchored."""
    from chain_access.identity import keccak256

    return keccak256(ANCHORED_SIGNATURE.encode())


def decode_event(event: dict[str, Any], topics: tuple[bytes, ...], data: bytes
                 ) -> dict[str, Any]:
    """The named fields of one log of ``event`` (static indexed fields only: topic 0 is the
    signature, then one topic per indexed field)."""
    from eth_abi.abi import decode
    from eth_abi.exceptions import DecodingError

    indexed = [i for i in event["inputs"] if i["indexed"]]
    plain = [i for i in event["inputs"] if not i["indexed"]]
    if len(topics) != 1 + len(indexed):
        raise ChainError(f"{event['name']} log has {len(topics)} topics, "
                         f"expected {1 + len(indexed)}")
    try:
        values = {i["name"]: decode([i["type"]], bytes(t))[0]
                  for i, t in zip(indexed, topics[1:], strict=True)}
        decoded = decode([i["type"] for i in plain], bytes(data))
    except (DecodingError, ValueError, TypeError) as exc:
        raise ChainError(f"{event['name']} log does not decode: {exc}") from exc
    values.update({i["name"]: v for i, v in zip(plain, decoded, strict=True)})
    return values


def decode_anchored(topics: Sequence[bytes], data: bytes) -> AnchoredEvent:
    """The CheckpointAnchored event of a log's ``topics`` and ``data``; ChainError if the
    log is not one or does not decode."""
    if not topics or bytes(topics[0]) != anchored_topic():
        raise ChainError("log is not a CheckpointAnchored event")
    v = decode_event(ANCHORED_EVENT, tuple(bytes(t) for t in topics), data)
    return AnchoredEvent(bytes(v["logId"]), int(v["index"]), int(v["treeSize"]),
                         bytes(v["root"]), int(v["timestamp"]))


def anchored_in(logs: Iterable[LogEntry], registry: str) -> tuple[AnchoredEvent, ...]:
    """The CheckpointAnchored events the contract at ``registry`` emitted among ``logs``, in
    order. A log from elsewhere, another event, or one that does not decode is not one."""
    found = []
    for entry in logs:
        if entry.address.lower() != registry.lower():
            continue
        try:
            found.append(decode_anchored(entry.topics, entry.data))
        except ChainError:
            continue
    return tuple(found)
