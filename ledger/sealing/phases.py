"""The phase book: which sections are opened and which have their result.

Loaded by the appender for the projects of one batch, inside the append transaction (so it
is exact under the sequencer lock), updated as the batch's events open sections or
determine results, and written back before the commit. Readers (the API's visibility
policy) use ``read_phases``. Must not import the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, insert, select, update

from ledger.sealing.keys import Sealer
from ledger.store.schema import section_phases


@dataclass
class SectionPhase:
    """One section's phase state (``section_key`` "" is the project as a whole)."""

    project_id: str
    section_key: str
    scope_id: str | None = None
    opened_index: int | None = None
    result_index: int | None = None
    stored: bool = False
    changed: bool = False

    @property
    def phase(self) -> str:
        if self.opened_index is None:
            return "bidding"
        return "evaluation" if self.result_index is None else "public"


def read_phases(conn: Connection, project_ids: Iterable[str]) -> dict[tuple[str, str],
                                                                      SectionPhase]:
    """The stored phases of the sections of ``project_ids``."""
    wanted = sorted(set(project_ids))
    if not wanted:
        return {}
    rows = conn.execute(select(section_phases)
                        .where(section_phases.c.project_id.in_(wanted))).all()
    return {(r.project_id, r.section_key): SectionPhase(
        r.project_id, r.section_key, r.scope_id,
        None if r.opened_index is None else int(r.opened_index),
        None if r.result_index is None else int(r.result_index), stored=True) for r in rows}


class PhaseBook:
    """The phases of a batch's projects, changed in memory, then flushed.

    Kept by project (``section key → phase``): an opening or result event asks for its
    project's sections, and a batch holds hundreds of projects, so scanning every phase of
    the batch per event made a batch quadratic.
    """

    def __init__(self, conn: Connection, project_ids: Iterable[str],
                 sealer: Sealer | None) -> None:
        self.sealer = sealer
        self.phases = read_phases(conn, project_ids)
        self._by_project: dict[str, dict[str, SectionPhase]] = {}
        for (pid, key), phase in self.phases.items():
            self._by_project.setdefault(pid, {})[key] = phase

    def get(self, project_id: str, section_key: str) -> SectionPhase:
        """The phase of a section, created (in bidding) when first seen."""
        key = (project_id, section_key)
        found = self.phases.get(key)
        if found is None:
            sid = (self.sealer.scope_id(project_id, section_key).hex()
                   if self.sealer is not None else None)
            found = SectionPhase(project_id, section_key, sid, changed=True)
            self.phases[key] = found
            self._by_project.setdefault(project_id, {})[section_key] = found
        elif found.scope_id is None and self.sealer is not None:
            found.scope_id = self.sealer.scope_id(project_id, section_key).hex()
            found.changed = True
        return found

    def sections(self, project_id: str) -> list[SectionPhase]:
        """The project's sections (not the project-wide row), in key order."""
        own = self._by_project.get(project_id)
        if not own:
            return []
        return [own[k] for k in sorted(own) if k]

    def by_scope_id(self, project_id: str, scope_hex: str) -> SectionPhase | None:
        for v in (self._by_project.get(project_id) or {}).values():
            if v.scope_id == scope_hex:
                return v
        return None

    def mark_result(self, project_id: str, section_key: str, index: int) -> None:
        """A result trigger: the section (every section, for a project-wide one) has its
        result; the project-wide row once all sections have theirs."""
        targets = ([self.get(project_id, section_key)] if section_key
                   else [*self.sections(project_id), self.get(project_id, "")])
        for ph in targets:
            if ph.result_index is None:
                ph.result_index, ph.changed = index, True
        whole = self.get(project_id, "")
        parts = self.sections(project_id)
        if whole.result_index is None and parts and all(p.result_index is not None
                                                         for p in parts):
            whole.result_index, whole.changed = index, True

    def flush(self, conn: Connection) -> None:
        """Write new and changed rows (inside the append transaction): one statement for
        the new rows and one for the changed ones, each run over its rows (a batch of
        events of new projects adds hundreds of rows; one statement each cost more than
        the events' own rows)."""
        changed = [ph for ph in self.phases.values() if ph.changed]
        new = [{"project_id": ph.project_id, "section_key": ph.section_key,
                "scope_id": ph.scope_id, "opened_index": ph.opened_index,
                "result_index": ph.result_index} for ph in changed if not ph.stored]
        old = [{"p": ph.project_id, "k": ph.section_key, "scope_id": ph.scope_id,
                "opened_index": ph.opened_index, "result_index": ph.result_index}
               for ph in changed if ph.stored]
        if new:
            conn.execute(insert(section_phases), new)
        if old:
            conn.execute(_UPDATE_PHASE, old)
        for ph in changed:
            ph.stored, ph.changed = True, False


_UPDATE_PHASE = (update(section_phases)
                 .where(section_phases.c.project_id == bindparam("p"))
                 .where(section_phases.c.section_key == bindparam("k"))
                 .values(scope_id=bindparam("scope_id"),
                         opened_index=bindparam("opened_index"),
                         result_index=bindparam("result_index")))
