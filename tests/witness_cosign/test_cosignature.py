"""The cosignature format (C2SP tlog-cosignature) and the trust policy's witness fields."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.cosignature import (
    COSIGNATURE_ALG,
    Cosigner,
    WitnessKey,
    cosigned_message,
    count_cosignatures,
)
from ledger.core.errors import MalformedError
from ledger.core.note import Checkpoint, NoteSigner, split_note
from verifier.policy import build, parse_policy

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
WITNESS = Cosigner("witness.example/w1", KEY)
BODY = Checkpoint("example.com/log", 42, bytes(32)).body()


def test_line_layout_follows_the_spec() -> None:
    line = WITNESS.cosign(BODY, 1_700_000_000)
    assert line.startswith("\u2014 witness.example/w1 ") and line.endswith("\n")
    raw = base64.b64decode(line.split(" ")[2])
    public = WITNESS.public.public_key
    expected_hash = hashlib.sha256(b"witness.example/w1\n\x04" + public).digest()[:4]
    assert raw[:4] == expected_hash and len(raw) == 4 + 8 + 64
    assert int.from_bytes(raw[4:12], "big") == 1_700_000_000
    assert cosigned_message(BODY, 7) == b"cosignature/v1\ntime 7\n" + BODY.encode()
    vkey = WITNESS.public.vkey()
    assert vkey == f"witness.example/w1+{expected_hash.hex()}+" + base64.b64encode(
        bytes([COSIGNATURE_ALG]) + public).decode()
    assert WitnessKey.from_vkey(vkey) == WITNESS.public


def test_a_log_key_is_not_a_witness_key_and_back() -> None:
    log_vkey = NoteSigner("witness.example/w1", KEY).verifier.vkey()
    with pytest.raises(MalformedError, match="0x04"):
        WitnessKey.from_vkey(log_vkey)
    name, _, rest = WITNESS.public.vkey().split("+", 2)
    with pytest.raises(MalformedError, match="hash"):
        WitnessKey.from_vkey(f"{name}+{'0' * 8}+{rest}")


@settings(max_examples=50, deadline=None)
@given(size=st.integers(0, 2**63), root=st.binary(min_size=32, max_size=32),
       when=st.integers(0, 2**63 - 1), flip=st.integers(0, 71))
def test_cosignatures_verify_only_over_their_checkpoint(size: int, root: bytes, when: int,
                                                        flip: int) -> None:
    body = Checkpoint("example.com/log", size, root).body()
    note = f"{body}\n{WITNESS.cosign(body, when)}"
    text, sigs = split_note(note)
    count = count_cosignatures(text, sigs, [WITNESS.public])
    assert count.valid == {"witness.example/w1": when} and count.invalid == ()
    other = Checkpoint("example.com/log", size, bytes(b ^ 1 for b in root)).body()
    assert count_cosignatures(other, sigs, [WITNESS.public]).invalid == ("witness.example/w1",)
    name, key_hash, sig = sigs[0]
    bad = bytearray(sig)
    bad[flip] ^= 1
    assert count_cosignatures(text, [(name, key_hash, bytes(bad))], [WITNESS.public]).valid == {}


def test_a_witness_counts_once_and_strangers_are_ignored() -> None:
    stranger = Cosigner("stranger.example", Ed25519PrivateKey.generate())
    lines = WITNESS.cosign(BODY, 1) + WITNESS.cosign(BODY, 2) + stranger.cosign(BODY, 1)
    text, sigs = split_note(f"{BODY}\n{lines}")
    count = count_cosignatures(text, sigs, [WITNESS.public])
    assert list(count.valid) == ["witness.example/w1"] and count.invalid == ()


def test_policy_witness_fields_are_strict() -> None:
    log_vkey = NoteSigner("example.com/log", Ed25519PrivateKey.generate()).verifier.vkey()
    doc = {"format": "witness-trust/v1", "log_key": log_vkey,
           "witnesses": [WITNESS.public.vkey()], "witness_quorum": 1}
    policy = build(key=None, base=parse_policy(doc))
    assert policy.witness_quorum == 1 and policy.to_json()["witnesses"] == doc["witnesses"]
    assert build(key=log_vkey).to_json()["witness_quorum"] == 0
    for field, value, message in (("witnesses", "x", "list"), ("witnesses", [1], "list"),
                                  ("witness_quorum", "1", "int"), ("witness_quorum", 2, "between"),
                                  ("witness_quorum", -1, "between"),
                                  ("witnesses", [log_vkey], "0x04"),
                                  ("witnesses", [WITNESS.public.vkey()] * 2, "twice")):
        with pytest.raises(MalformedError, match=message):
            build(key=None, base=parse_policy({**doc, field: value}))
