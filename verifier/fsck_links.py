"""The per-project chains during fsck: seq gap-free from 0, prev = the previous leaf.

Role: keep one (seq, leaf) per project — O(projects) memory, a deliberate exception to the
O(log n) bound (projects are few compared with events) — and read ``prev``, ``project_id``
and ``project_seq`` from the canonical bytes. A fast path matches them in the RFC 8785
bytes with one anchored regular expression (see ``LINK``); anything unusual falls back to a
full parse. The fast path relies on the bytes being canonical, which the ledger enforces
when it appends; fsck does not re-validate whole envelopes.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

import json
import re
from binascii import hexlify, unhexlify

from ledger.core.canonical import ZERO_HASH
from verifier.report import Report

PREV = b'"prev":"'
SEAL = b'"seal":"'  # only a sealed envelope has it (ledger.core.canonical)
# The three fields as RFC 8785 writes them: keys sorted, no whitespace, ``prev`` 64 lowercase
# hex digits, ``project_id`` a string (no quote or escape inside), ``project_seq`` an integer
# without leading zeros, followed by the next key. They follow ``payload``; every key after
# them (received_at, salt, section_id, type, v) is a scalar, and a JSON string cannot hold an
# unescaped quote, so the LAST ``"prev":"`` of canonical bytes is the top-level one.
SEQ_LIMIT = 10 ** 16  # LINK reads at most 16 digits
LINK = re.compile(rb'"prev":"([0-9a-f]{64})","project_id":"([^"\\]*)","project_seq":'
                  rb'(0|[1-9][0-9]{0,15}),"')


def link_middle(project_id: str) -> bytes | None:
    """What ``LINK`` matches between ``prev`` and the seq for this project id; None for an
    id it refuses (a quote or backslash), whose events always take the full check."""
    if '"' in project_id or "\\" in project_id:
        return None
    try:
        return b'","project_id":"' + project_id.encode() + b'","project_seq":'
    except UnicodeEncodeError:
        return None


def link_template(project_id: str) -> bytes | None:
    """The bytes ``LINK`` matches in an event of this project, the previous leaf (hex) and
    the seq left as ``%b`` and ``%d``: one formatting makes the next link (``next_link``).
    None for an id ``LINK`` refuses (see ``link_middle``)."""
    mid = link_middle(project_id)
    return None if mid is None else PREV + b"%b" + mid.replace(b"%", b"%%") + b'%d,"'


def next_link(template: bytes | None, seq: int, leaf: bytes) -> bytes | None:
    """The bytes ``LINK`` matches in the project's next event when it follows (seq, leaf):
    one ``startswith`` at the last ``"prev":"`` then stands for the match and its three
    comparisons. None when the regular expression could not match them (no template; a
    seq beyond its 16 digits): that event takes the full check."""
    if template is None or not 0 <= seq + 1 < SEQ_LIMIT:
        return None
    return template % (hexlify(leaf), seq + 1)


def link_fields(data: bytes) -> tuple[str, int, bytes] | None:
    """(project_id, project_seq, prev) of canonical envelope bytes; None if unreadable."""
    m = LINK.match(data, max(data.rfind(PREV), 0))
    if m is not None:
        try:
            return m[2].decode("utf-8"), int(m[3]), unhexlify(m[1])
        except UnicodeDecodeError:
            pass
    return _slow_fields(data)


def _slow_fields(data: bytes) -> tuple[str, int, bytes] | None:
    try:
        env = json.loads(data)
        pid, seq, prev = env["project_id"], env["project_seq"], bytes.fromhex(env["prev"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return None
    if not isinstance(pid, str) or not isinstance(seq, int) or len(prev) != 32:
        return None
    return pid, seq, prev


class ProjectChains:
    """Checks each event's link to the previous event of its project, in index order."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.heads: dict[str, tuple[int, bytes]] = {}

    @property
    def projects(self) -> int:
        return len(self.heads)

    def unreadable(self, idx: int, event_id: str | None, project_id: str, data: bytes
                   ) -> None:
        what = ("a sealed envelope stored in plaintext (a sealed record is stored as a "
                "blob, outside the project chain)" if SEAL in data
                else "not a readable envelope")
        self.report.fail("payload", f"stored event bytes are {what}", index=idx,
                         event_id=event_id, project_id=project_id)

    def step(self, project_id: str, fields: tuple[str, int, bytes], leaf: bytes
             ) -> tuple[int, bool] | None:
        """Move the project's head to this event: None when it links to the previous one,
        else (the previous seq, whether ``prev`` named the previous leaf) for ``broken``."""
        pid, seq, prev = fields
        last_seq, last_leaf = self.heads.get(pid, (-1, ZERO_HASH))
        self.heads[pid] = (seq, leaf)
        if seq == last_seq + 1 and prev == last_leaf and pid == project_id:
            return None
        return last_seq, prev == last_leaf

    def broken(self, idx: int, event_id: str | None, column_pid: str,
               fields: tuple[str, int, bytes], how: tuple[int, bool]) -> None:
        """Report the broken link ``step`` found."""
        pid, seq, _ = fields
        last_seq = how[0]
        where = {"index": idx, "event_id": event_id, "project_id": pid}
        if pid != column_pid:
            detail = f"the events row names project {column_pid!r}, the signed bytes {pid!r}"
        elif seq != last_seq + 1:
            detail = (f"project seq {seq} follows seq {last_seq}: "
                      + (f"{seq - last_seq - 1} event(s) of the project missing before it"
                         if seq > last_seq else "out of order or duplicated"))
        else:
            detail = "prev does not name the project's previous event (reordered or replaced)"
        self.report.fail("sequence", detail, **where)
