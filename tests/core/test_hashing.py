"""ledger.core.hashing: RFC 9162 domain-separated SHA-256 leaf and node hashes."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core import hashing
from tests import reference_merkle as ref


def test_constants() -> None:
    assert hashing.HASH_SIZE == 32
    assert hashlib.sha256(b"").digest() == hashing.EMPTY_ROOT
    assert hashing.EMPTY_ROOT.hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_known_answers() -> None:
    # RFC 6962 test vectors (certificate-transparency): leaf hash of the empty string and
    # of the single byte 0x00, computed independently here with hashlib.
    assert hashing.leaf_hash(b"") == hashlib.sha256(b"\x00").digest()
    assert hashing.leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    left, right = bytes(32), bytes(range(32))
    assert hashing.node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()


def test_domain_separation() -> None:
    # A node can never be confused with a leaf whose data is the two children concatenated.
    a, b = hashing.leaf_hash(b"a"), hashing.leaf_hash(b"b")
    assert hashing.node_hash(a, b) != hashing.leaf_hash(a + b)
    assert hashing.node_hash(a, b) != hashing.node_hash(b, a)


@settings(deadline=None, max_examples=100)
@given(st.binary(max_size=200), st.binary(min_size=32, max_size=32),
       st.binary(min_size=32, max_size=32))
def test_matches_reference(data: bytes, left: bytes, right: bytes) -> None:
    assert hashing.leaf_hash(data) == ref.leaf_hash(data)
    assert hashing.node_hash(left, right) == ref.node_hash(left, right)
    assert len(hashing.leaf_hash(data)) == hashing.HASH_SIZE
