"""A frozen log and its successor: which anchors still count, and following the link.

Role: when the registry's admin froze the pinned log id (its keys were compromised), only
its checkpoints up to the last good index still count; anything anchored under it after
that index is an integrity problem (``frozen``). The admin may register a successor log id
that continues from that last good checkpoint with a new checkpoint signer: this module
follows ``successorOf`` (at most ``MAX_HOPS`` links, never the same log twice), checks that
each successor's ``predecessorOf`` points back and starts at its predecessor's last good
checkpoint (else a ``succession`` problem), and then accepts anchors under the successor for
the later checkpoints. The checkpoints themselves are still the pinned log's: signed with
the pinned key and origin; only where they are anchored moved. A frozen log without a
successor leaves later checkpoints pending, with a message saying so.

The registry's answer is read once per reader (a verification opens its own reader).

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from verifier.readers.chain import (
    OnChainCheckpoint,
    RegistryReader,
    chain_checkpoints,
    find_size,
)
from verifier.report import Report

#: ``NO_GOOD_CHECKPOINT`` of the registry: the log was frozen with no checkpoint trusted.
NO_GOOD_CHECKPOINT = 2**256 - 1
#: How many successor links the verifier follows (each needs the admin to freeze a log).
MAX_HOPS = 8
_ZERO32 = bytes(32)


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


@dataclass(frozen=True)
class Freeze:
    """A frozen log and its last good checkpoint (None: the admin trusted none of it)."""

    log_id: bytes
    last_good: OnChainCheckpoint | None

    @property
    def last_good_index(self) -> int:
        return -1 if self.last_good is None else self.last_good.index

    def point(self) -> str:
        if self.last_good is None:
            return "with no checkpoint trusted"
        return f"after its checkpoint #{self.last_good.index} (size {self.last_good.tree_size})"

    def to_json(self) -> dict[str, Any]:
        good = self.last_good
        return {"log_id": _hex(self.log_id),
                "last_good_index": None if good is None else good.index,
                "last_good_size": None if good is None else good.tree_size}


@dataclass(frozen=True)
class Succession:
    """The pinned log and the successors followed from it, each link checked."""

    logs: tuple[bytes, ...]  # the pinned log first, then each successor followed
    freezes: Mapping[bytes, Freeze]
    broken: str = ""  # why the next link was not followed ("" when none was refused)

    @property
    def pinned(self) -> bytes:
        return self.logs[0]

    def describe(self) -> str:
        """One readable line: the freezes and the links followed."""
        parts = []
        for k, log_id in enumerate(self.logs):
            fz = self.freezes.get(log_id)
            if fz is None:
                break
            nxt = (f"; successor {_hex(self.logs[k + 1])}" if k + 1 < len(self.logs)
                   else "; no successor followed" if self.broken else "; no successor registered")
            parts.append(f"log {_hex(log_id)} frozen by the registry's admin {fz.point()}{nxt}")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"pinned_log_id": _hex(self.pinned), "log_ids": [_hex(x) for x in self.logs],
                "frozen": [self.freezes[x].to_json() for x in self.logs if x in self.freezes],
                "broken": self.broken or None, "followed": []}

    def untrusted(self, log_id: bytes, index: int) -> Freeze | None:
        """The freeze that makes checkpoint ``index`` of ``log_id`` untrusted, if any."""
        fz = self.freezes.get(log_id)
        return fz if fz is not None and index > fz.last_good_index else None

    def find(self, reader: RegistryReader, size: int
             ) -> tuple[bytes, OnChainCheckpoint] | None:
        """Where ``size`` is anchored along the links: a trusted anchor first, else one
        after a freeze (which :func:`accept` then refuses)."""
        beyond = None
        for log_id in self.logs:
            found = find_size(reader, log_id, size)
            if found is not None and self.untrusted(log_id, found.index) is None:
                return log_id, found
            beyond = beyond or (None if found is None else (log_id, found))
        return beyond

    def pending(self, size: int) -> str:
        last = self.logs[-1]
        fz = self.freezes.get(last)
        if fz is None:
            return (f"checkpoint {size} is not anchored on chain yet (under the successor log "
                    f"{_hex(last)}, which continues the frozen log {_hex(self.pinned)})")
        return (f"checkpoint {size} is not anchored: the log {_hex(last)} is frozen "
                f"{fz.point()} and no successor is registered to anchor later checkpoints")


_CACHE: weakref.WeakKeyDictionary[Any, dict[bytes, Succession | None]] = (
    weakref.WeakKeyDictionary())


def resolve(reader: RegistryReader, pinned: bytes) -> Succession | None:
    """The succession from ``pinned``; None when the pinned log is not frozen."""
    try:
        per_reader = _CACHE.setdefault(reader, {})
    except TypeError:  # a reader that cannot be weakly referenced: no cache
        per_reader = {}
    if pinned not in per_reader:
        per_reader[pinned] = _follow(reader, pinned)
    return per_reader[pinned]


def _freeze(reader: RegistryReader, log_id: bytes) -> Freeze | None:
    state = reader.frozen_state(log_id)
    if state is None or not state[0]:
        return None
    good = None if state[1] == NO_GOOD_CHECKPOINT else reader.checkpoint_at(log_id, state[1])
    return Freeze(log_id, good)


def _follow(reader: RegistryReader, pinned: bytes) -> Succession | None:
    first = _freeze(reader, pinned)
    if first is None:
        return None
    logs, freezes, broken = [pinned], {pinned: first}, ""
    fz: Freeze | None = first
    while fz is not None:
        successor = reader.successor_of(fz.log_id)
        if successor is None:
            break
        broken = _link_defect(reader, fz, successor, logs)
        if broken:
            break
        logs.append(successor)
        fz = _freeze(reader, successor)
        if fz is not None:
            freezes[successor] = fz
    return Succession(tuple(logs), freezes, broken)


def _link_defect(reader: RegistryReader, fz: Freeze, successor: bytes,
                 seen: list[bytes]) -> str:
    """Why the link from the frozen ``fz`` to ``successor`` is not followed ("" if it is)."""
    head = f"the successor {_hex(successor)} registered for the frozen log {_hex(fz.log_id)}"
    if successor in seen:
        return f"{head} is a log already on the path (a loop)"
    if len(seen) > MAX_HOPS:
        return f"{head} is more than {MAX_HOPS} links from the pinned log"
    link = reader.predecessor_of(successor)
    if link is None or link[0] != fz.log_id:
        back = "nothing" if link is None else _hex(link[0])
        return f"{head} does not link back: its predecessor is {back}"
    good = fz.last_good
    want = (0, _ZERO32) if good is None else (good.tree_size, good.root)
    if (link[1], link[2]) != want:
        return (f"{head} starts at size {link[1]} root {link[2].hex()}, not at its "
                f"predecessor's last good checkpoint (size {want[0]} root {want[1].hex()})")
    return ""


def note(report: Report, links: Succession) -> None:
    """Say once per report that the pinned log is frozen, and any refused link."""
    if "succession" in report.subject:
        return
    report.subject["succession"] = links.to_json()
    report.summary.append("succession: " + links.describe())
    if links.broken:
        report.fail("succession", f"{links.broken}: anchors under it are not accepted",
                    evidence=links.to_json())


def for_report(report: Report, reader: RegistryReader, pinned: bytes) -> Succession | None:
    """The succession from ``pinned`` (None: not frozen), noted in ``report``."""
    links = resolve(reader, pinned)
    if links is not None:
        note(report, links)
    return links


def _refuse(report: Report, links: Succession, log_id: bytes, on: OnChainCheckpoint) -> bool:
    """Report checkpoint ``on`` of ``log_id`` if it was anchored after a freeze point."""
    fz = links.untrusted(log_id, on.index)
    if fz is None:
        return False
    if any(p.code == "frozen" and p.index == on.tree_size for p in report.problems):
        return True  # fsck meets it twice: on chain, and again through its anchor row
    report.fail("frozen", f"checkpoint {on.tree_size} is anchored as #{on.index} of the log "
                f"{_hex(log_id)}, which the registry's admin froze {fz.point()}: an anchor "
                f"after the freeze point is not trusted", index=on.tree_size,
                evidence={"size": on.tree_size, "log_id": _hex(log_id),
                          "chain_index": on.index, "frozen": fz.to_json()})
    return True


def accept(report: Report, links: Succession, log_id: bytes, on: OnChainCheckpoint) -> bool:
    """Whether checkpoint ``on`` of ``log_id`` (on the path) counts; reports why not, and
    when it counts only through the link."""
    if _refuse(report, links, log_id, on):
        return False
    if log_id != links.pinned:
        report.count("anchors_via_successor")
        followed = report.subject["succession"]["followed"]
        if not any(f["log_id"] == _hex(log_id) for f in followed):
            report.summary.append(f"followed the link: checkpoints are anchored under the "
                                  f"successor log {_hex(log_id)} of the frozen pinned log "
                                  f"{_hex(links.pinned)}")
        followed.append({"size": on.tree_size, "log_id": _hex(log_id),
                         "chain_index": on.index})
    return True


def linked_checkpoints(report: Report, reader: RegistryReader,
                       pinned: bytes) -> list[OnChainCheckpoint]:
    """The checkpoints that count along the links (fsck); every one anchored after a freeze
    is reported as a ``frozen`` problem and left out."""
    links = for_report(report, reader, pinned)
    if links is None:
        return chain_checkpoints(reader, pinned)
    out: list[OnChainCheckpoint] = []
    for log_id in links.logs:
        out += [on for on in chain_checkpoints(reader, log_id)
                if not _refuse(report, links, log_id, on)]
    return out
