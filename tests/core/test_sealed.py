"""Sealed blobs and BIDS_UNSEALED payloads (ledger.core.sealed): the committed vectors, and
properties of sealing (round trip, padding hides the size class, AAD binds the leaf)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core import errors, sealed
from ledger.core.errors import MalformedError, WitnessError
from ledger.core.hashing import leaf_hash

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "sealed.json")
                     .read_text(encoding="utf-8"))


def _error(name: str | None) -> type[WitnessError]:
    cls = getattr(sealed, str(name), None) or getattr(errors, str(name))
    assert issubclass(cls, WitnessError)
    return cls


@pytest.mark.parametrize("case", VECTORS["blobs"], ids=[c["name"] for c in VECTORS["blobs"]])
def test_blob_vectors(case: dict[str, Any]) -> None:
    key, blob = base64.b64decode(case["key"]), base64.b64decode(case["blob"])
    leaf = bytes.fromhex(case["leaf_hash"])
    if case["expected"] == "valid":
        plain = sealed.open_blob(key, blob, leaf)
        assert plain.decode() == case["plaintext"] and leaf_hash(plain) == leaf
        assert sealed.blob_scope_id(blob).hex() == VECTORS["scope_id"]
        return
    with pytest.raises(_error(case["error"])):
        sealed.open_blob(key, blob, leaf)


@pytest.mark.parametrize("case", VECTORS["releases"],
                         ids=[c["name"] for c in VECTORS["releases"]])
def test_release_vectors(case: dict[str, Any]) -> None:
    env = {"type": "BIDS_UNSEALED", "project_id": "P-1", "section_id": "P-1-S01",
           "payload": case["payload"]}
    if case["expected"] == "valid":
        release = sealed.parse_release(env)
        assert release.indexes == tuple(case["payload"]["sealed_indexes"])
        assert release.scope_id.hex() == case["payload"]["scope_id"]
        return
    with pytest.raises(MalformedError):
        sealed.parse_release(env)


def _unpad_by_strip(padded: bytes) -> bytes | None:
    """The padding's definition: zeros stripped, then a 0x80 last (None: malformed)."""
    end = padded.rstrip(b"\x00")
    return end[:-1] if end.endswith(b"\x80") else None


# bytes drawn mostly from the three that matter, so that near-misses are common
_PAD_BYTES = st.lists(st.sampled_from([0, 0, 0, 0x80, 0x80, 1, 0xFF]), max_size=40).map(bytes)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_PAD_BYTES, st.binary(max_size=64)), st.integers(0, 70))
def test_unpad_is_the_strip_definition(data: bytes, zeros: int) -> None:
    padded = data + bytes(zeros)
    want = _unpad_by_strip(padded)
    if want is None:
        with pytest.raises(sealed.SealedPayloadError):
            sealed._unpad(padded)
    else:
        assert sealed._unpad(padded) == want


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=9000), st.binary(min_size=32, max_size=32),
       st.binary(min_size=12, max_size=12))
def test_round_trip_and_padding(plain: bytes, key: bytes, nonce: bytes) -> None:
    leaf = leaf_hash(plain)
    blob = sealed.seal_blob(key, plain, leaf, nonce)
    assert sealed.is_sealed_blob(blob) and sealed.open_blob(key, blob, leaf) == plain
    assert (len(blob) - 48) % sealed.PAD_BLOCK == 0  # header 32 + GCM tag 16
    with pytest.raises(sealed.SealedPayloadError):
        sealed.open_blob(key, blob, leaf_hash(plain + b"x"))
