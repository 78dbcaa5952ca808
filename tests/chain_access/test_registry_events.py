"""The CheckpointAnchored event decoded through its ABI (chain_access.registry_events): the
fields it encodes, and a log that only looks like it refused or skipped, never misread."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_abi.abi import encode

from chain_access import ChainError, LogEntry
from chain_access.identity import keccak256
from chain_access.registry_events import (
    ANCHORED_EVENT,
    ANCHORED_SIGNATURE,
    AnchoredEvent,
    anchored_in,
    anchored_topic,
    decode_anchored,
)

REGISTRY = "0x" + "ab" * 20
LOG_ID = bytes(range(32))
ROOT = bytes(range(32, 64))


def _log(*, index: int = 7, size: int = 42, timestamp: int = 1_700_000_000,
         address: str = REGISTRY, topics: tuple[bytes, ...] | None = None,
         data: bytes | None = None) -> LogEntry:
    topics = topics if topics is not None else (
        anchored_topic(), LOG_ID, index.to_bytes(32, "big"))
    data = data if data is not None else encode(["uint64", "bytes32", "uint64"],
                                                [size, ROOT, timestamp])
    return LogEntry(address, topics, data, 5, b"\x01" * 32, b"\x02" * 32, 0)


def test_the_topic_is_the_contract_signature() -> None:
    assert ANCHORED_SIGNATURE == "CheckpointAnchored(bytes32,uint256,uint64,bytes32,uint64)"
    assert anchored_topic() == keccak256(ANCHORED_SIGNATURE.encode())


def test_every_field_is_decoded() -> None:
    entry = _log(index=2**255 + 1, size=2**64 - 1)
    event = decode_anchored(entry.topics, entry.data)
    assert event == AnchoredEvent(LOG_ID, 2**255 + 1, 2**64 - 1, ROOT)
    assert event.timestamp == 1_700_000_000


@pytest.mark.parametrize(("change", "match"), [
    ({"data": b"\x00" * 64}, "does not decode"),  # the timestamp missing: no longer sliced
    ({"topics": (b"\x00" * 32,)}, "not a CheckpointAnchored"),
    ({"topics": ()}, "not a CheckpointAnchored"),
])
def test_a_log_that_is_not_the_event_is_refused(change: dict[str, object], match: str) -> None:
    entry = _log(**change)  # type: ignore[arg-type]
    with pytest.raises(ChainError, match=match):
        decode_anchored(entry.topics, entry.data)


def test_a_uint64_field_out_of_range_does_not_decode() -> None:
    data = encode(["uint256", "bytes32", "uint64"], [2**64, ROOT, 1])
    with pytest.raises(ChainError, match="does not decode"):
        decode_anchored(_log().topics, data)


def test_only_the_registrys_decodable_events_are_taken() -> None:
    logs = [_log(index=1), _log(address="0x" + "cd" * 20), _log(data=b"\x00" * 32),
            _log(topics=(b"\x11" * 32, LOG_ID, bytes(32))), _log(index=2)]
    assert [e.index for e in anchored_in(logs, REGISTRY.upper().replace("0X", "0x"))] == [1, 2]


def test_the_decoder_s_abi_is_the_compiled_contract_s() -> None:
    """chain_access sits below the ledger and may not read its artifact, so the event's ABI
    is written out there: it must stay the compiled contract's."""
    artifact = (Path(__file__).resolve().parents[2] / "ledger" / "anchoring" / "artifacts"
                / "WitnessRegistry.json")
    compiled = [e for e in json.loads(artifact.read_text(encoding="utf-8"))["abi"]
                if e.get("type") == "event" and e.get("name") == "CheckpointAnchored"]
    assert len(compiled) == 1
    plain = {**compiled[0], "inputs": [{k: v for k, v in i.items() if k != "internalType"}
                                       for i in compiled[0]["inputs"]]}
    assert plain == ANCHORED_EVENT
