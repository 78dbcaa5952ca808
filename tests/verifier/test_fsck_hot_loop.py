"""The fsck's per-event loop (``fsck_range``) and its shortcuts: each must give what the
long way gives — the next link formatted from a template, a batch subtree's root from a
prefix-fed hasher, the index runs of a chunk."""

from __future__ import annotations

import hashlib
from binascii import hexlify

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core import tree
from ledger.core.sealed import MAGIC
from verifier.fsck_batches import node_key, pieces
from verifier.fsck_build import RangeTree, chunk_leaves
from verifier.fsck_links import LINK, PREV, SEQ_LIMIT, link_fields, link_template, next_link
from verifier.fsck_range import _breaks
from verifier.fsck_tree import graft, locate

hashes = st.binary(min_size=32, max_size=32)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=12), st.integers(-2, SEQ_LIMIT), hashes)
def test_next_link_is_what_link_matches(project_id: str, seq: int, leaf: bytes) -> None:
    template = link_template(project_id)
    expect = next_link(template, seq, leaf)
    joined = None
    if template is not None and 0 <= seq + 1 < SEQ_LIMIT:  # the bytes as LINK reads them
        joined = b"".join((PREV, hexlify(leaf), b'","project_id":"', project_id.encode(),
                           b'","project_seq":', b"%d" % (seq + 1), b',"'))
    assert expect == joined
    if expect is not None:
        data = b'{"payload":{},' + expect + b'received_at":"x","v":1}'
        assert LINK.match(data, data.rfind(PREV)) is not None
        assert link_fields(data) == (project_id, seq + 1, leaf)


def test_link_template_refuses_what_link_cannot_match() -> None:
    assert link_template('a"b') is None and link_template("a\\b") is None
    assert link_template("\ud800") is None  # not UTF-8
    assert link_template("100%") == PREV + b'%b","project_id":"100%%","project_seq":%d,"'


@settings(max_examples=60, deadline=None)
@given(st.lists(hashes, min_size=1, max_size=70), st.integers(0, 40))
def test_batch_pieces_make_the_batch_root(leaves: list[bytes], start: int) -> None:
    whole = tree.root_of_leaf_hashes(leaves)
    made = pieces(leaves, 0)
    assert graft(tree.EMPTY_FRONTIER, made).root == whole
    for level, h in made:  # each piece a complete subtree, rooted as RFC 9162 roots it
        assert level >= 0 and len(h) == 32
    cut = min(start, len(leaves))  # a share fed in two parts joins to the same root
    first = graft(tree.EMPTY_FRONTIER, pieces(leaves[:cut], 0))
    assert graft(first, pieces(leaves[cut:], cut)).root == whole


def test_a_complete_subtree_root_is_the_rfc_one() -> None:
    leaves = [hashlib.sha256(bytes([i])).digest() for i in range(64)]
    assert pieces(leaves, 0) == [(6, tree.root_of_leaf_hashes(leaves))]


@given(st.lists(st.integers(0, 6), max_size=30), st.integers(0, 3))
def test_breaks_are_the_rows_that_do_not_follow(steps: list[int], start: int) -> None:
    idx, rows = start, list[tuple[int, str, bytes, bytes]]()
    for step in steps:  # 0: the same index again (a table without its key), 1: the next
        idx += step - 1 if rows else step
        rows.append((idx, "p", b"", b""))
    want = [k for k in range(len(rows))
            if rows[k][0] != (start if k == 0 else rows[k - 1][0] + 1)]
    assert _breaks(rows, start) == want[::-1]



@settings(max_examples=150, deadline=None)
@given(st.integers(0, 40), st.integers(1, 300), st.data())
def test_batch_pieces_from_the_built_tree_are_the_hashed_ones(lo: int, m: int,
                                                                data: st.DataObject) -> None:
    """A batch's subtrees taken from the range's tree (``known``) are those hashed anew,
    wherever the batch and the range start and however the chunk is cut."""
    leaves = [hashlib.sha256(b"%d" % i).digest() for i in range(m)]
    built = RangeTree(lo, [])
    cut = data.draw(st.integers(0, m))
    built.build(leaves[:cut])
    built.build(leaves[cut:])  # ``known``: the nodes of the second chunk only
    a = data.draw(st.integers(cut, m))
    b = data.draw(st.integers(a, m))
    first = data.draw(st.integers(0, lo + a))  # the batch's first index, at or before a
    part, offset = leaves[a:b], lo + a - first
    assert pieces(part, offset, built.known, first) == pieces(part, offset)


def test_chunk_leaves_keep_a_sealed_rows_stored_leaf_itself() -> None:
    stored = bytes(32)
    rows = [(0, "p", stored, MAGIC + b"rest"), (1, "p", stored, b'{"a":1}')]
    leaves = chunk_leaves(rows)
    assert leaves[0] is stored
    assert leaves[1] == hashlib.sha256(b'\x00{"a":1}').digest() and leaves[1] is not stored


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 80), st.lists(st.integers(1, 90), max_size=5),
       st.lists(st.integers(1, 120), max_size=4))
def test_range_tree_gives_every_stored_hash_in_stored_order(lo: int, cuts: list[int],
                                                             gaps: list[int]) -> None:
    """The range's tree, built in aligned complete subtrees level by level, against the
    definition: a segment [a, b) completes the stored hashes [stored_hash_count(a),
    stored_hash_count(b)), each the RFC 9162 root of the node's leaves, None for a node
    straddling ``lo``; every node built over a chunk is in ``known``; a stop records the
    range's maximal complete subtrees."""
    m = sum(cuts)
    leaves = [hashlib.sha256(b"%d" % i).digest() for i in range(m)]
    stops = sorted({lo + sum(gaps[:j + 1]) for j in range(len(gaps))})
    built, pos = RangeTree(lo, list(stops)), 0
    for cut in cuts:
        known: dict[int, bytes] = {}
        for step in built.build(leaves[pos:pos + cut]):
            if step[0] == "stop":
                size = step[1]
                assert size in stops and step[2] == pieces(leaves[:size - lo], lo)
                continue
            start, computed, holes = step[1:]
            first = tree.stored_hash_count(start)
            end = start + sum(h is not None and locate(first + i)[0] == 0
                              for i, h in enumerate(computed))
            assert len(computed) == tree.stored_hash_count(end) - first
            for i, h in enumerate(computed):
                level, k = locate(first + i)
                a, b = k << level, (k + 1) << level
                assert (h is None) == (a < lo) and (i in holes) == (a < lo)
                if h is not None:
                    assert h == tree.root_of_leaf_hashes(leaves[a - lo:b - lo])
                    if level:
                        known[node_key(b, level)] = h
        assert built.known == known
        pos += cut
    assert built.end == lo + m
