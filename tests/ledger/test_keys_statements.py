"""Log key rotation statements and the key chain a verifier follows (no database, no chain):
the format, every way a statement can fail to hand over, the size window of a new key, and
the trust policy carrying the rotations without changing its fingerprint."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.core.errors import MalformedError, SignatureError
from ledger.core.key_rotation import (
    KeyRotation,
    KeyRotationError,
    LogKeys,
    follow_rotations,
    open_rotation,
    sign_rotation,
)
from ledger.core.note import Checkpoint, NoteSigner, sign_checkpoint
from ledger.core.trust import policy_fingerprint
from verifier.policy import build, parse_policy

ORIGIN = "rotation.test/log"


def signer(label: str, origin: str = ORIGIN) -> NoteSigner:
    seed = hashlib.sha256(f"rotation test key {label}".encode()).digest()
    return NoteSigner(origin, Ed25519PrivateKey.from_private_bytes(seed))


K0, K1, K2, MALLORY = signer("0"), signer("1"), signer("2"), signer("mallory")


def statement(old: NoteSigner, new: NoteSigner, after: int = 10) -> str:
    return sign_rotation(KeyRotation(ORIGIN, old.verifier, new.verifier, after), old, new)


def checkpoint(key: NoteSigner, size: int) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, bytes([size % 256]) * 32), key)


def test_statement_round_trips_and_carries_both_signatures() -> None:
    note = statement(K0, K1)
    body, _, sigs = note.partition("\n\n")
    assert body.split("\n") == ["witness-log-key-rotation/v1", ORIGIN,
                                f"old {K0.verifier.vkey()}", f"new {K1.verifier.vkey()}",
                                "after 10"]
    assert len(sigs.strip().split("\n")) == 2
    rotation = open_rotation(note, K0.verifier, ORIGIN)
    assert (rotation.old, rotation.new, rotation.after) == (K0.verifier, K1.verifier, 10)


@pytest.mark.parametrize("case", ["forged by another key", "no new-key signature",
                                  "another origin", "not from the trusted key", "same key"])
def test_a_statement_that_does_not_hand_over_is_refused(case: str) -> None:
    if case == "forged by another key":  # claims to come from K0, signed by Mallory
        body = KeyRotation(ORIGIN, K0.verifier, MALLORY.verifier, 10).body()
        note, trusted = MALLORY.sign(body), K0.verifier
    elif case == "no new-key signature":
        note, trusted = K0.sign(KeyRotation(ORIGIN, K0.verifier, K1.verifier, 3).body()), \
            K0.verifier
    elif case == "another origin":
        other = KeyRotation("other.test/log", K0.verifier, K1.verifier, 3)
        note, trusted = sign_rotation(other, K0, K1), K0.verifier
    elif case == "not from the trusted key":  # a valid K1 → K2 hand-over, K0 still trusted
        note, trusted = statement(K1, K2), K0.verifier
    else:
        note, trusted = sign_rotation(KeyRotation(ORIGIN, K0.verifier, K0.verifier, 3), K0,
                                      K0), K0.verifier
    with pytest.raises(KeyRotationError) as info:
        open_rotation(note, trusted, ORIGIN)
    assert info.value.code == "key_rotation"


def test_the_chain_is_followed_in_order_from_the_pinned_key() -> None:
    keys = follow_rotations(K0.verifier, ORIGIN, [statement(K0, K1, 10), statement(K1, K2, 20)])
    assert keys.keys == (K0.verifier, K1.verifier, K2.verifier)
    assert keys.after == (0, 10, 20)
    with pytest.raises(KeyRotationError, match="rotation 0"):
        follow_rotations(K0.verifier, ORIGIN, [statement(K1, K2, 20)])
    with pytest.raises(KeyRotationError, match="goes back"):
        follow_rotations(K0.verifier, ORIGIN, [statement(K0, K1, 10), statement(K1, K2, 5)])


def test_a_new_key_signs_only_sizes_above_its_hand_over() -> None:
    keys = follow_rotations(K0.verifier, ORIGIN, [statement(K0, K1, 10)])
    assert keys.open_checkpoint(checkpoint(K0, 11), ORIGIN)[1] == 0  # the hand-over checkpoint
    assert keys.open_checkpoint(checkpoint(K1, 12), ORIGIN)[1] == 1
    with pytest.raises(KeyRotationError, match="only sizes above 10"):
        keys.open_checkpoint(checkpoint(K1, 10), ORIGIN)
    assert LogKeys.pinned(K0.verifier).open_checkpoint(checkpoint(K0, 0), ORIGIN)[0].size == 0


def test_a_key_no_rotation_reaches_is_refused_and_named() -> None:
    keys = LogKeys.pinned(K0.verifier)
    with pytest.raises(SignatureError, match="no valid rotation from the pinned key"):
        keys.open_checkpoint(checkpoint(K1, 12), ORIGIN)
    with pytest.raises(SignatureError):  # a key of another name: just not trusted
        keys.open(signer("x", "elsewhere.test/log").sign("hello\n"))


def _policy_doc(rotations: list[str] | None) -> dict[str, object]:
    doc: dict[str, object] = {
        "format": "witness-trust/v1", "origin": ORIGIN, "log_key": K0.verifier.vkey(),
        "chain": {"chain_id": 1337, "registry": "0x" + "11" * 20, "log_id": "0x" + "22" * 32,
                  "endpoint": None, "genesis_hash": None},
        "upgrade_path": "/v1/receipts/{index}", "witnesses": [], "witness_quorum": 0}
    return doc | ({"log_key_rotations": rotations} if rotations is not None else {})


def test_a_policy_carries_rotations_and_keeps_its_fingerprint() -> None:
    rotations = [statement(K0, K1, 10), statement(K1, K2, 20)]
    before, after = _policy_doc(None), _policy_doc(rotations)
    assert policy_fingerprint(before) == policy_fingerprint(after)
    policy = build(key=None, base=parse_policy(after))
    assert policy.log_keys.current == K2.verifier
    assert policy.fingerprint == build(key=None, base=parse_policy(before)).fingerprint
    assert policy.to_json()["log_key_rotations"] == rotations
    # a flag pinning another key drops the file's rotations (they start from the file's key)
    assert build(key=K1.verifier.vkey(), base=parse_policy(after)).log_keys.keys == (
        K1.verifier,)


def test_a_policy_with_a_forged_rotation_is_refused_whole() -> None:
    forged = MALLORY.sign(KeyRotation(ORIGIN, K0.verifier, MALLORY.verifier, 10).body())
    with pytest.raises(KeyRotationError):
        build(key=None, base=parse_policy(_policy_doc([forged])))
    with pytest.raises(MalformedError, match="log_key_rotations"):
        parse_policy(_policy_doc(["x"] * 65))
