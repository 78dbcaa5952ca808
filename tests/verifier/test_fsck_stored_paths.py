"""The fsck's short way to its stored-hash check held against the long way it stands for:
the stored hashes compared inside SQLite (``LedgerDB.tree_range_same``) against reading them
(``tree_range``) and comparing in Python, on tampered tables."""

from __future__ import annotations

import hashlib
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection

from verifier.readers.db import LedgerDB


def _leaf(i: int) -> bytes:
    return hashlib.sha256(b"leaf %d" % i).digest()


# -- the stored hashes compared inside SQLite --------------------------------------------

_TABLES = ("CREATE TABLE log_info (key TEXT, value TEXT)",
           "CREATE TABLE events (idx BIGINT PRIMARY KEY, canonical BLOB)",
           "CREATE TABLE checkpoints (size BIGINT PRIMARY KEY, root BLOB)",
           # as a tamperer may leave it: no NOT NULL, any value in any column
           "CREATE TABLE tree_hashes (idx BIGINT, hash BLOB, PRIMARY KEY (idx))")
_N = 40
# (what is done to the row at a position, with what): the ways a stored hash can go wrong
_TAMPERS = st.tuples(st.sampled_from(["delete", "hash", "text", "int", "null", "short",
                                      "real", "move", "add_real", "same_text"]),
                     st.integers(0, _N - 1),
                     # a hash of its own, or one the table holds elsewhere
                     st.one_of(st.binary(min_size=32, max_size=32),
                               st.integers(0, _N - 1).map(lambda k: _leaf(k))))


@contextmanager
def _tree_db(tampers: list[tuple[str, int, bytes]]) -> Iterator[tuple[LedgerDB, Connection]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.db"
        raw = sqlite3.connect(path)
        for sql in _TABLES:
            raw.execute(sql)
        raw.executemany("INSERT INTO tree_hashes VALUES (?, ?)",
                        [(i, _leaf(i)) for i in range(_N)])
        for what, i, value in tampers:
            _tamper(raw, what, i, value)
        raw.commit()
        raw.close()
        db = LedgerDB(f"sqlite:///{path}")
        with db.connect() as conn:
            yield db, conn


def _tamper(raw: sqlite3.Connection, what: str, i: int, value: bytes) -> None:
    set_hash = "UPDATE tree_hashes SET hash = ? WHERE idx = ?"
    changes: dict[str, tuple[str, tuple[Any, ...]]] = {
        "delete": ("DELETE FROM tree_hashes WHERE idx = ?", (i,)),
        "hash": (set_hash, (value, i)),
        "text": (set_hash, (value.hex(), i)),
        "same_text": ("UPDATE tree_hashes SET hash = CAST(hash AS TEXT) WHERE idx = ?", (i,)),
        "int": (set_hash, (i, i)),
        "null": (set_hash, (None, i)),
        "short": (set_hash, (value[:31], i)),
        "real": ("UPDATE tree_hashes SET idx = idx + 0.5 WHERE idx = ?", (i,)),
        "move": ("UPDATE OR IGNORE tree_hashes SET idx = ? WHERE idx = ?", (value[0] % _N, i)),
        "add_real": ("INSERT OR IGNORE INTO tree_hashes VALUES (?, ?)", (i + 0.25, value)),
    }
    sql, args = changes[what]
    raw.execute(sql, args)


@settings(max_examples=150, deadline=None)
@given(st.lists(_TAMPERS, max_size=3), st.integers(0, _N - 1), st.integers(1, _N),
       st.sets(st.integers(0, _N - 1), max_size=3))
def test_stored_hashes_compared_in_sqlite_are_what_reading_them_tells(
        tampers: list[tuple[str, int, bytes]], lo: int, m: int, hole_set: set[int]) -> None:
    m = min(m, _N - lo)
    holes = sorted(h for h in hole_set if h < m)
    expected: list[bytes | None] = [_leaf(lo + k) for k in range(m)]
    for k in holes:
        expected[k] = None
    with _tree_db(tampers) as (db, conn):
        same = db.tree_range_same(conn, lo, expected, holes)
        try:
            stored: list[Any] | None = db.tree_range(conn, lo, lo + m)
        except sqlite3.OperationalError:  # a TEXT hash that is not UTF-8: the long way fails
            stored = None
    if not tampers:  # the common case takes the short way
        assert same == [_leaf(lo + k) for k in holes]
    if same is not None:  # and it only says what the long way would
        assert stored is not None and len(stored) == m
        assert all(e is None or s == e for s, e in zip(stored, expected, strict=True))
        assert same == [stored[k] for k in holes]
        assert all(isinstance(s, bytes) and len(s) == 32 for s in stored)


def test_a_stored_leaf_that_is_no_blob_takes_the_long_way() -> None:
    with _tree_db([]) as (db, conn):
        expected: list[Any] = [_leaf(k) for k in range(4)]
        assert db.tree_range_same(conn, 0, expected) == []
        odds: list[Any] = ["text", 7, expected[0][:31], None]
        for odd in odds:
            assert db.tree_range_same(conn, 0, [odd, *expected[1:]]) is None
        assert db.tree_range_same(conn, 0, []) is None
        # joined, a 31- and a 33-byte value are the stored bytes: still not the same list
        cut = [expected[0][:31], expected[0][31:] + expected[1], *expected[2:]]
        assert db.tree_range_same(conn, 0, cut) is None


def test_a_row_at_a_fractional_index_is_not_taken_for_an_offset() -> None:
    """A row at 5.25 whose hash is the expected bytes from offset 5.25 × 32 on (a forgery
    that straddles leaves 5 and 6), 6 deleted: read in index order the seventh row is that
    hash where leaf 6's is expected, so the short way must not find them the same (and the
    long way does not read it: it is at no index)."""
    expected: list[bytes | None] = [_leaf(k) for k in range(10)]
    forged = b"".join(_leaf(k) for k in range(10))[168:200]
    with _tree_db([("add_real", 5, forged), ("delete", 6, _leaf(6))]) as (db, conn):
        assert forged not in db.tree_range(conn, 0, 10)
        assert db.tree_range_same(conn, 0, expected) is None


def test_a_row_moved_to_a_fractional_index_is_missing_from_its_own() -> None:
    """Moved from 5 to 5.5, a hash still sorts between 4 and 6, but the API asks for index
    5 and finds nothing: read, the range lacks it."""
    with _tree_db([("real", 5, _leaf(5))]) as (db, conn):
        stored = db.tree_range(conn, 0, 10)
        assert stored == [_leaf(k) for k in range(10) if k != 5]
        assert db.tree_range_same(conn, 0, [_leaf(k) for k in range(10)]) is None
