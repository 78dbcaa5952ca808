"""The per-project chains during fsck: seq gap-free from 0, prev = the previous leaf.

Role: keep one (seq, leaf) per project — O(projects) memory, a deliberate exception to the
O(log n) bound (projects are few compared with events) — and read ``prev``, ``project_id``
and ``project_seq`` from the canonical bytes. A fast path slices them out of the RFC 8785
bytes (keys are sorted, so these three follow ``payload``, the last object-valued key, and
a JSON string cannot contain an unescaped quote); anything unusual falls back to a full
parse.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

import json

from ledger.core.canonical import ZERO_HASH
from verifier.report import Report

_PREV = b'"prev":"'
_PID = b'","project_id":"'
_SEQ = b'","project_seq":'


def link_fields(data: bytes) -> tuple[str, int, bytes] | None:
    """(project_id, project_seq, prev) of canonical envelope bytes; None if unreadable."""
    i = data.rfind(_PREV)
    if i >= 0:
        p = i + 8
        q = data.find(b'"', p + 80)
        if data[p + 64:p + 80] == _PID and q > 0 and data[q:q + 16] == _SEQ:
            pid = data[p + 80:q]
            end = data.find(b",", q + 16)
            if b"\\" not in pid and end > 0:
                try:
                    return (pid.decode("utf-8"), int(data[q + 16:end]),
                            bytes.fromhex(data[p:p + 64].decode("ascii")))
                except (ValueError, UnicodeDecodeError):
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

    def add(self, idx: int, event_id: str, project_id: str, data: bytes, leaf: bytes) -> None:
        fields = link_fields(data)
        if fields is None:
            self.report.fail("payload", "stored event bytes are not a readable envelope",
                             index=idx, event_id=event_id, project_id=project_id)
            return
        pid, seq, prev = fields
        last_seq, last_leaf = self.heads.get(pid, (-1, ZERO_HASH))
        self.heads[pid] = (seq, leaf)
        if seq == last_seq + 1 and prev == last_leaf and pid == project_id:
            return
        self._broken(idx, event_id, pid, seq, last_seq, prev == last_leaf, project_id)

    def _broken(self, idx: int, event_id: str, pid: str, seq: int, last_seq: int,
                prev_ok: bool, column_pid: str) -> None:
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
