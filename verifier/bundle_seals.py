"""Sealed records in a project bundle: each accounted for by its section's opening.

Role: a sealed event (bid-phase, recorded before its section's opening; a *sealed envelope*
without ``project_seq``/``prev``) is checked like any event — leaf, inclusion proof — by
``bundle_check``, but is no link of the project chain. What this module adds: every sealed
event must be listed by a ``BIDS_UNSEALED`` event of the bundle for its section, and every
index such an event lists must be in the bundle as a sealed event — so an opened section's
bid-phase records cannot be left out of a bundle, nor added to it. The sections still
sealed, which the bundle names without counts, are reported as not checked. Lead packages
do not use this: their sealed evidence may predate the opening.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

from typing import Any

from ledger.core.canonical import is_sealed_envelope
from ledger.core.errors import MalformedError
from ledger.core.sealed import RELEASE_TYPE, parse_release
from verifier.bundle_parse import Bundle
from verifier.report import Report

LAW = "招标投标法 第22条"


def section_name(section: str | None) -> str:
    return "the project as a whole" if section is None else f"section {section}"


class BundleSeals:
    """Collects the sealed events and the releases of a project bundle, then matches them."""

    def __init__(self, report: Report, bundle: Bundle) -> None:
        self.report, self.bundle = report, bundle
        self.sealed: dict[int, tuple[str | None, dict[str, Any]]] = {}  # index → section, row
        self.public: set[int] = set()
        self.listed: dict[int, tuple[str | None, int]] = {}  # index → section, release index
        self.released: dict[str | None, int] = {}  # section → first release index
        self.previous = -1

    def see(self, index: int, env: dict[str, Any], row: dict[str, Any]) -> None:
        """One readable event of the bundle's project, with its timeline row."""
        if env.get("project_id") != self.bundle.project_id:
            return  # reported by bundle_check (origin)
        where = {"index": index, "event_id": env.get("event_id"),
                 "project_id": self.bundle.project_id}
        if is_sealed_envelope(env):
            if index <= self.previous or index in self.sealed:
                self._fail(row, f"events out of log order or repeated: sealed record at "
                           f"index {index} after {self.previous}", where)
            section = env.get("section_id")
            self.sealed[index] = (section if isinstance(section, str) else None, row)
        else:
            self.public.add(index)
            if env.get("type") == RELEASE_TYPE:
                self._release(index, env, row, where)
        self.previous = max(self.previous, index)

    def _release(self, index: int, env: dict[str, Any], row: dict[str, Any],
                 where: dict[str, Any]) -> None:
        try:
            rel = parse_release(env)
        except MalformedError as exc:
            self.report.fail("payload", f"{RELEASE_TYPE} event is malformed: {exc}", **where)
            row["result"] = "FAIL payload"
            return
        self.released.setdefault(rel.section_id, index)
        for i in rel.indexes:
            self.listed.setdefault(i, (rel.section_id, index))
        self.report.count("releases")

    def _fail(self, row: dict[str, Any] | None, detail: str, where: dict[str, Any]) -> None:
        self.report.fail("sequence", detail, **where)
        if row is not None:
            row["result"] = "FAIL sequence"

    def finish(self) -> None:
        """Match sealed events and releases; report the sections still sealed."""
        pid = self.bundle.project_id
        for index, (section, row) in sorted(self.sealed.items()):
            owner = self.listed.get(index)
            where = {"index": index, "event_id": row.get("event_id"), "project_id": pid}
            if owner is None:
                self._fail(row, f"sealed record at index {index} appears without its opening "
                           f"record ({RELEASE_TYPE} of {section_name(section)})", where)
            elif owner[0] != section:
                self._fail(row, f"sealed record at index {index} of {section_name(section)} "
                           f"is listed by the opening record of {section_name(owner[0])} "
                           f"(index {owner[1]})", where)
            else:
                self.report.count("sealed_opened")
        for index, (section, at) in sorted(self.listed.items()):
            if index in self.sealed:
                continue
            what = ("is not a sealed record in the bundle" if index in self.public
                    else "is missing from the bundle")
            self._fail(None, f"record {index} sealed until the opening of "
                       f"{section_name(section)} {what}",
                       {"index": index, "project_id": pid,
                        "evidence": {"release_index": at}})
        self.markers()

    def markers(self) -> None:
        """The sections the bundle names as still sealed (no count): not checked."""
        for section in self.bundle.sealed:
            at = self.released.get(section)
            if at is not None:
                self._fail(None, f"the bundle names {section_name(section)} as sealed until "
                           f"its opening, yet carries its {RELEASE_TYPE} at index {at}",
                           {"index": at, "project_id": self.bundle.project_id})
            self.report.skip(f"{section_name(section)}: bid-phase records sealed until its "
                             f"opening ({LAW})", "not in this bundle")
