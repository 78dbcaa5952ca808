"""Sealed records during fsck: leaves only until their section's opening, then every one
opened with the released key, tied to its leaf, and accounted for.

Role: a sealed record (bid-phase event recorded before its section's opening) is stored as
a blob (``ledger.core.sealed``) whose leaf commits to the plaintext: before the opening the
fsck can only feed the stored leaf to the tree (which ties it to the signed checkpoints) and
check the blob's shape. The range pass (``fsck_range``) calls ``seen`` for each sealed row
(one slice of its header: scope id) and reads each ``BIDS_UNSEALED`` event, which the joined
state takes (``join``, ``take_release``) in index order; ``verify`` then re-reads
the rows each release lists, by index in bounded chunks, and opens them. With worker
processes, the parent opens a range's released records as the range comes back
(``prepare``), while the workers check the next ones: it would otherwise wait, and open
them all at the end with a core idle; ``verify`` counts those it opened without a problem
and does everything else again, in its order. Memory: a count, first and last index per
scope, the releases' index lists and the records opened ahead — never the sealed rows.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import Connection

from ledger.core.canonical import decode_envelope, is_sealed_envelope
from ledger.core.errors import MalformedError, VerificationError
from ledger.core.sealed import (
    MAGIC,
    NONCE_SIZE,
    PAD_BLOCK,
    RELEASE_TYPE,
    SCOPE_ID_SIZE,
    Release,
    open_blob,
    parse_release,
)
from verifier.readers.db import EventRow, LedgerDB
from verifier.report import Problem, Report

# Canonical bytes end with the top-level ``"type":…,"v":1}`` (RFC 8785 sorts the keys and
# ``v`` is the last one): the cheap test for a release in the hot loop.
RELEASE_TAIL = b'"type":"' + RELEASE_TYPE.encode() + b'","v":1}'
HEADER = len(MAGIC) + SCOPE_ID_SIZE + NONCE_SIZE
TAG = 16
READ_CHUNK = 500  # indexes per query (old SQLite builds allow 999 parameters)


def scope_of(blob: bytes) -> bytes:
    return blob[len(MAGIC):len(MAGIC) + SCOPE_ID_SIZE]


def well_formed(blob: bytes) -> bool:
    """A sealed blob's size: header, a whole number (≥ 1) of padding blocks, the GCM tag."""
    body = len(blob) - HEADER - TAG
    return body > 0 and body % PAD_BLOCK == 0


@dataclass
class _Scope:
    """What the main pass saw of one scope's sealed rows."""

    count: int
    first: int
    last: int


@dataclass
class _Released:
    """The releases of one scope (a large scope is released in several events)."""

    index: int  # of the first BIDS_UNSEALED of the scope
    release: Release
    lists: list[tuple[int, ...]] = field(default_factory=list)


class SealedScopes:
    """Sealed rows by scope, the releases met, and the check of every released record."""

    def __init__(self, report: Report, origin: str) -> None:
        self.report, self.origin = report, origin
        self.scopes: dict[bytes, _Scope] = {}
        self.released: dict[bytes, _Released] = {}
        self.bad: set[int] = set()  # misshapen blobs, already reported
        # records opened ahead without a problem (``prepare``): by (scope, index), the
        # release (key, project, section) they were opened with
        self.opened: dict[tuple[bytes, int], tuple[bytes, str, str | None]] = {}

    def seen(self, idx: int, blob: bytes) -> bool:
        """Count a sealed row in its scope; False when the blob has not the size of one."""
        sid = scope_of(blob)
        seen = self.scopes.get(sid)
        if seen is None:
            self.scopes[sid] = _Scope(1, idx, idx)
        else:
            seen.count += 1
            seen.last = idx
        return well_formed(blob)

    def misshapen(self, idx: int, event_id: str | None, project_id: str, blob: bytes) -> None:
        self.bad.add(idx)
        self.report.fail("payload", f"stored sealed record is {len(blob)} bytes, not the "
                         "size of a sealed blob (truncated or altered)", index=idx,
                         event_id=event_id, project_id=project_id)

    def join(self, scopes: dict[bytes, _Scope], bad: set[int]) -> None:
        """Add what a later range of the log saw of the sealed rows (ranges in order)."""
        for sid, part in scopes.items():
            seen = self.scopes.get(sid)
            if seen is None:
                self.scopes[sid] = part
            else:
                seen.count += part.count
                seen.last = part.last
        self.bad |= bad

    def take_release(self, idx: int, event_id: str | None, project_id: str,
                     rel: Release | str | None) -> None:
        """A release as ``read_release`` read it (a range worker reads it, its parent takes
        it: the scopes span the whole log)."""
        where = {"index": idx, "event_id": event_id, "project_id": project_id}
        if rel is None:
            return
        if isinstance(rel, str):
            self.report.fail("payload", f"{RELEASE_TYPE} event is malformed: {rel}", **where)
            return
        known = self.released.setdefault(rel.scope_id, _Released(idx, rel))
        if (known.release.project_id, known.release.section_id) != (rel.project_id,
                                                                    rel.section_id):
            self.report.fail("payload", f"{RELEASE_TYPE} releases scope "
                             f"{rel.scope_id.hex()} for another project or section than "
                             f"the {RELEASE_TYPE} at index {known.index}", **where)
            return
        known.lists.append(rel.indexes)
        self.report.count("releases")

    def prepare(self, db: LedgerDB, conn: Connection, releases: Iterable[tuple[int, Any]]
                ) -> None:
        """Open ahead the records listed by ``releases`` ((index, ``read_release``'s
        answer) of a range's releases, in any order), keeping those that open without a
        problem: a head start for ``verify``, which judges every listed record in its own
        order and only skips opening these again."""
        todo = [(rel.scope_id, _Released(at, rel), i) for at, rel in releases
                if isinstance(rel, Release) for i in sorted(set(rel.indexes))]
        rows = _in_order(db, conn, (i for _, _, i in todo))
        for sid, rel, idx in todo:
            row = next(rows)
            if row is not None and self._opens(row, sid, rel):
                self.opened[(sid, idx)] = _opener(rel.release)

    def _opens(self, row: EventRow, sid: bytes, rel: _Released) -> bool:
        """Whether ``verify`` would find the row a well-formed record of the release's
        scope that opens without a problem (any error: left for ``verify`` to meet)."""
        blob = row[4]
        if blob[:4] != MAGIC or scope_of(blob) != sid or not well_formed(blob):
            return False
        try:
            return self._opened(row, rel) is None
        except Exception:  # verify opens it again and meets the error itself
            return False

    def verify(self, db: LedgerDB, conn: Connection) -> None:
        """After the main pass: every released scope checked, then the pending ones named."""
        met = sum(s.count for s in self.scopes.values())
        if met:
            self.report.count("sealed", met)
        plan = [(sid, rel, sorted(set().union(*rel.lists)))
                for sid, rel in self.released.items()]
        # the listed rows not opened ahead, in that order, READ_CHUNK per query whatever the
        # scopes (a release lists a few records: a query per scope would cost more than
        # opening them)
        rows = _in_order(db, conn, (i for sid, rel, listed in plan for i in listed
                                    if not self._ahead(sid, i, rel)))
        for sid, rel, listed in plan:
            found = sum(self._listed(i, rows, sid, rel) for i in listed)
            seen = self.scopes.pop(sid, None)
            if seen is not None and seen.count > found:
                self._unlisted(db, conn, sid, seen, set(listed), rel)
        self.opened.clear()
        self._pending()

    def _ahead(self, sid: bytes, idx: int, rel: _Released) -> bool:
        """Whether the record was opened ahead with the key of the scope's release."""
        return self.opened.get((sid, idx)) == _opener(rel.release)

    def _listed(self, idx: int, rows: Iterator[EventRow | None], sid: bytes,
                rel: _Released) -> int:
        """1 when the listed row is a sealed record of the scope (then opened and checked;
        one opened ahead is only counted, its row not read again)."""
        if self._ahead(sid, idx, rel):
            if idx not in self.bad:
                self.report.count("sealed_opened")
            return 1
        row = next(rows)
        section = _section(rel.release)
        if row is None or row[4][:4] != MAGIC or scope_of(row[4]) != sid:
            what = ("not in the log" if row is None else "not a sealed record"
                    if row[4][:4] != MAGIC else "a record sealed under another scope key")
            self.report.fail("sequence", f"{RELEASE_TYPE} of {section} (index {rel.index}) "
                             f"lists index {idx}, which is {what}", index=idx,
                             project_id=rel.release.project_id,
                             evidence={"release_index": rel.index})
            return 0
        if idx not in self.bad:
            self._open(row, rel)
        return 1

    def _open(self, row: EventRow, rel: _Released) -> None:
        problem = self._opened(row, rel)
        if problem is None:
            self.report.count("sealed_opened")
        else:
            self.report.add(problem)

    def _opened(self, row: EventRow, rel: _Released) -> Problem | None:
        """The record opened with the release's key and checked: its problem, or None."""
        idx, event_id, project_id, leaf, blob = row
        where: dict[str, Any] = {"index": idx, "event_id": event_id, "project_id": project_id}
        try:
            plain = open_blob(rel.release.key, blob, leaf)
            if hashlib.sha256(b"\x00" + plain).digest() != leaf:
                raise MalformedError("the opened record does not hash to its stored leaf")
            env = decode_envelope(plain)
        except (VerificationError, MalformedError) as exc:
            return Problem("payload", f"sealed record, opened with the key released at "
                           f"index {rel.index}: {exc}", **where)
        where["event_id"] = str(env.get("event_id"))
        expected = (rel.release.project_id, rel.release.section_id)
        if not is_sealed_envelope(env):
            return Problem("payload", "the sealed blob holds a public envelope", **where)
        if env.get("origin") != self.origin:
            return Problem("origin", f"sealed record of log {env.get('origin')!r}", **where)
        if (env.get("project_id"), env.get("section_id")) != expected or \
                project_id != expected[0]:
            return Problem("payload", f"sealed record of project {env.get('project_id')!r} "
                           f"section {env.get('section_id')!r} (row: project "
                           f"{project_id!r}) opened with the key of "
                           f"{_section(rel.release)}", **where)
        return None

    def _unlisted(self, db: LedgerDB, conn: Connection, sid: bytes, seen: _Scope,
                  listed: set[int], rel: _Released) -> None:
        """Name the sealed rows of a released scope that no release lists (rare: a re-read
        of the scope's index range, headers only)."""
        for idx, head in db.event_heads(conn, seen.first, seen.last, HEADER):
            if head[:4] == MAGIC and scope_of(head) == sid and idx not in listed:
                self.report.fail("sequence", f"record {idx} sealed in {_section(rel.release)}"
                                 f" is not listed by its {RELEASE_TYPE} (index {rel.index}): "
                                 f"left out of the opening", index=idx,
                                 project_id=rel.release.project_id,
                                 evidence={"release_index": rel.index})

    def _pending(self) -> None:
        total = sum(s.count for s in self.scopes.values())
        self.report.subject["sealed_pending"] = total
        if total:
            self.report.skip(f"contents of {total} sealed record(s) in {len(self.scopes)} "
                             f"section(s) not yet opened", "sealed until their section's "
                             "opening: only their leaf hashes were checked, against the tree "
                             "and the signed checkpoints")


def _in_order(db: LedgerDB, conn: Connection, indexes: Iterator[int]
              ) -> Iterator[EventRow | None]:
    """The event at each of ``indexes`` (None where there is none), in their order."""
    while part := list(islice(indexes, READ_CHUNK)):
        rows = {r[0]: r for r in db.events_at(conn, part)}
        yield from (rows.get(i) for i in part)


def _opener(rel: Release) -> tuple[bytes, str, str | None]:
    """What opening a record depends on of its release (its other parts list indexes)."""
    return rel.key, rel.project_id, rel.section_id


def read_release(data: bytes) -> Release | str | None:
    """The release in a public event's bytes; None when it is another type, the reason
    when it is malformed."""
    try:
        env = decode_envelope(data)
        if env.get("type") != RELEASE_TYPE:
            return None
        return parse_release(env)
    except MalformedError as exc:
        return str(exc)


def _section(rel: Release) -> str:
    where = "the project as a whole" if rel.section_id is None else f"section {rel.section_id}"
    return f"{where} of project {rel.project_id}"
