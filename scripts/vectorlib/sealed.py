"""Test vectors for sealed records (docs/formats.md §8): blobs and BIDS_UNSEALED payloads.

Deterministic: a fixed TEST scope key, nonce, salt and receive time; the plaintext is the
sealed envelope of the catalogue's example BID_SUBMITTED. Named corruptions carry the
expected outcome and error class, each confirmed with ``ledger.core`` while generating.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.core.canonical import assemble_sealed_envelope, decode_envelope, prepare_event
from ledger.core.errors import WitnessError
from ledger.core.hashing import leaf_hash
from ledger.core.sealed import MAGIC, open_blob, parse_release, scope_id_of, seal_blob
from ledger.events import event_to_json, example_event, parse_event

KEY = hashlib.sha256(b"witness-ledger test vectors: TEST seal key, never trust it").digest()
OTHER_KEY = hashlib.sha256(b"witness-ledger test vectors: another TEST seal key").digest()
NONCE = bytes(range(12))
SALT = hashlib.sha256(b"witness-ledger test vectors: salt").digest()
ORIGIN = "test.example/witness-vectors"


def _outcome(check: Callable[[], Any]) -> tuple[str, str | None]:
    try:
        check()
    except WitnessError as exc:
        return "invalid", type(exc).__name__
    return "valid", None


def _plaintext() -> bytes:
    event = event_to_json(parse_event(example_event("BID_SUBMITTED")))
    data = assemble_sealed_envelope(prepare_event(event), origin=ORIGIN,
                                    received_at="2025-03-20T15:02:11.000000+08:00", salt=SALT)
    decode_envelope(data)  # a valid sealed envelope
    return data


def _bad_padding(plain: bytes, leaf: bytes) -> bytes:
    """A blob that authenticates but whose padding is wrong (no 0x80 marker)."""
    sid = scope_id_of(KEY)
    body = plain + bytes(-len(plain) % 4096)
    return MAGIC + sid + NONCE + AESGCM(KEY).encrypt(NONCE, body, MAGIC + sid + leaf)


def blob_cases() -> list[dict[str, Any]]:
    plain = _plaintext()
    leaf = leaf_hash(plain)
    blob = seal_blob(KEY, plain, leaf, NONCE)
    flipped = bytearray(blob)
    flipped[40] ^= 1
    cases = [("valid", KEY, blob, leaf, True), ("blob-byte-flipped", KEY, bytes(flipped), leaf,
                                                  False),
             ("other-key", OTHER_KEY, blob, leaf, False),
             ("moved-to-another-leaf", KEY, blob, hashlib.sha256(b"x").digest(), False),
             ("truncated", KEY, blob[:60], leaf, False),
             ("bad-padding", KEY, _bad_padding(plain, leaf), leaf, False)]
    out = []
    for name, key, data, lf, ok in cases:
        outcome, error = _outcome(lambda k=key, d=data, f=lf: open_blob(k, d, f))
        if (outcome == "valid") != ok:
            raise AssertionError(f"sealed case {name}: expected valid={ok}, got {error}")
        out.append({"name": name, "key": base64.b64encode(key).decode(),
                    "blob": base64.b64encode(data).decode(), "leaf_hash": lf.hex(),
                    "expected": outcome, "error": error,
                    **({"plaintext": plain.decode("utf-8")} if ok else {})})
    return out


def release_cases() -> list[dict[str, Any]]:
    good = {"scope_id": scope_id_of(KEY).hex(), "key": base64.b64encode(KEY).decode(),
            "sealed_indexes": [3, 4, 9], "sealed_count": 3, "trigger_index": 12,
            "trigger_type": "OPENING_STARTED"}
    bad = {"scope-id-of-another-key": {"scope_id": scope_id_of(OTHER_KEY).hex()},
           "indexes-not-ascending": {"sealed_indexes": [4, 3, 9]},
           "index-repeated": {"sealed_indexes": [3, 3, 9], "sealed_count": 3},
           "count-mismatch": {"sealed_count": 2},
           "key-not-base64": {"key": "not base64!"}}
    out = []
    for name, change in [("valid", {}), *bad.items()]:
        payload = {**good, **change}
        env = {"type": "BIDS_UNSEALED", "project_id": "P-1", "section_id": "P-1-S01",
               "payload": payload}
        outcome, error = _outcome(lambda e=env: parse_release(e))
        if (outcome == "valid") != (name == "valid"):
            raise AssertionError(f"release case {name}: got {error}")
        out.append({"name": name, "payload": payload, "expected": outcome, "error": error})
    return out


def sealed_vectors() -> dict[str, Any]:
    return {
        "description": "Sealed records (docs/formats.md §8). Keys and blobs are base64, "
                       "hashes hex. TEST keys: never trust them.",
        "scope_id": scope_id_of(KEY).hex(),
        "blobs": blob_cases(),
        "releases": release_cases(),
    }
