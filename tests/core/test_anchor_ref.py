"""ledger.core.anchor_ref: the anchor reference of receipts, bundles and lead packages.

Its JSON form is signed and hashed (lead packages) and compared byte for byte (receipts
fetched twice), so the field order and spelling are pinned here; every reference round-trips
through ``to_json``/``parse_anchor``; the strict decoder refuses, naming the field, every
value no chain can hold. The log id (``ledger.core.hashing``) is checked here too.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.core.anchor_ref import FIELDS, MAX_REFS, AnchorRef, parse_anchor, parse_anchors
from ledger.core.errors import MalformedError
from ledger.core.hashing import log_id, log_id_hex
from ledger.core.receipt import AnchoredProof

ORIGIN = "test.example/witness"
REF = AnchorRef(chain_id=31337, registry="0x5FbDB2315678afecb367f032d93F642f64180aa3",
                log_id=log_id(ORIGIN), chain_index=3, tree_size=16, root=bytes(range(32)),
                tx_hash=b"\xab" * 32, block_number=9, block_hash=b"\xcd" * 32,
                block_timestamp=1_742_000_000)

uint64 = st.integers(min_value=0, max_value=2**64 - 1)
hash32 = st.binary(min_size=32, max_size=32)
address = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())
refs = st.builds(AnchorRef, chain_id=uint64, registry=address, log_id=hash32,
                 chain_index=st.integers(min_value=0, max_value=2**256 - 1), tree_size=uint64,
                 root=hash32, tx_hash=hash32, block_number=uint64, block_hash=hash32,
                 block_timestamp=uint64)


def test_json_form_is_pinned() -> None:
    """The spelling receipts and bundles have always carried: root bare hex, the other hashes
    0x-prefixed, the registry as stored, fields in this order."""
    text = json.dumps(REF.to_json())
    assert text == (
        '{"chain_id": 31337, "registry": "0x5FbDB2315678afecb367f032d93F642f64180aa3", '
        f'"log_id": "{log_id_hex(ORIGIN)}", "chain_index": 3, "tree_size": 16, '
        f'"root": "{bytes(range(32)).hex()}", "tx_hash": "0x{"ab" * 32}", "block_number": 9, '
        f'"block_hash": "0x{"cd" * 32}", "block_timestamp": 1742000000}}')
    assert tuple(REF.to_json()) == FIELDS


@given(refs)
def test_round_trip(ref: AnchorRef) -> None:
    obj = ref.to_json()
    assert parse_anchor(obj, "anchor") == ref
    assert parse_anchor(json.loads(json.dumps(obj)), "anchor").to_json() == obj


def test_decoder_accepts_either_hex_spelling() -> None:
    obj = REF.to_json() | {"root": "0x" + REF.root.hex().upper(),
                           "tx_hash": REF.tx_hash.hex()}
    assert parse_anchor(obj, "anchor") == REF


def _bad(**changes: Any) -> dict[str, Any]:
    return REF.to_json() | changes


@pytest.mark.parametrize(("obj", "message"), [
    (None, "anchor must be an object"),
    ([], "anchor must be an object"),
    ({k: v for k, v in REF.to_json().items() if k != "tx_hash"}, "anchor lacks tx_hash"),
    ({}, "anchor lacks " + ", ".join(FIELDS)),
    (_bad(chain_id=2**64), r"anchor\.chain_id must be an integer from 0 to 2\^64-1"),
    (_bad(chain_id=-1), r"anchor\.chain_id "),
    (_bad(chain_id=True), r"anchor\.chain_id "),
    (_bad(chain_index=2**256), r"anchor\.chain_index must be an integer from 0 to 2\^256-1"),
    (_bad(chain_index="3"), r"anchor\.chain_index "),
    (_bad(tree_size=1.0), r"anchor\.tree_size "),
    (_bad(block_number=None), r"anchor\.block_number "),
    (_bad(block_timestamp=2**64), r"anchor\.block_timestamp "),
    (_bad(root="ab" * 31), r"anchor\.root must be 64 hex digits"),
    (_bad(log_id="0X" + "ab" * 32), r"anchor\.log_id "),
    (_bad(tx_hash="0x" + "zz" * 32), r"anchor\.tx_hash "),
    (_bad(block_hash=b"\x00" * 32), r"anchor\.block_hash "),
    (_bad(registry="0x1234"), r"anchor\.registry must be a 0x-prefixed 20-byte address"),
    (_bad(registry="5FbDB2315678afecb367f032d93F642f64180aa3"), r"anchor\.registry "),
])
def test_decoder_refuses_naming_the_field(obj: Any, message: str) -> None:
    with pytest.raises(MalformedError, match=message):
        parse_anchor(obj, "anchor")


def test_further_chains_list() -> None:
    assert parse_anchors(None, "anchors") == ()
    assert parse_anchors([REF.to_json()] * 2, "anchors") == (REF, REF)
    with pytest.raises(MalformedError, match="at most 16"):
        parse_anchors([REF.to_json()] * (MAX_REFS + 1), "anchors")
    with pytest.raises(MalformedError, match=r"anchors\.1\.chain_index"):
        parse_anchors([REF.to_json(), _bad(chain_index=-1)], "anchors")


def test_receipt_decoder_refuses_a_bad_reference_and_keeps_a_good_one_as_written() -> None:
    proof = {"checkpoint": "note", "inclusion_proof": [], "anchor": REF.to_json()}
    upper = REF.to_json() | {"tx_hash": "0x" + REF.tx_hash.hex().upper()}
    kept = AnchoredProof.from_json(proof | {"anchor": upper, "anchors": [upper]})
    assert kept.to_json()["anchor"] == upper and kept.to_json()["anchors"] == [upper]
    # the typed references, decoded once at parse and kept beside the written form
    assert kept.anchor_ref == REF and kept.anchor_refs == (REF,)
    assert kept.anchor_ref is kept.anchor_ref and kept.anchor_refs is kept.anchor_refs
    bare = AnchoredProof("note", (), None)
    assert bare.anchor_ref is None and bare.anchor_refs == ()
    with pytest.raises(MalformedError, match=r"receipt: anchored\.anchor\.block_number"):
        AnchoredProof.from_json(proof | {"anchor": _bad(block_number=-1)})
    with pytest.raises(MalformedError, match=r"receipt: anchored\.anchors\.0 lacks root"):
        AnchoredProof.from_json(proof | {"anchors": [{k: v for k, v in REF.to_json().items()
                                                      if k != "root"}]})


def test_log_id_is_the_sha256_of_the_origin() -> None:
    assert log_id(ORIGIN) == hashlib.sha256(ORIGIN.encode("utf-8")).digest()
    assert log_id_hex("交易见证链") == "0x" + hashlib.sha256("交易见证链".encode()).hexdigest()
