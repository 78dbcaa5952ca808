"""Reading stored events for a viewer: sealed records opened only as the law allows.

Views never unseal with the ledger's own seal key: a sealed record is shown decrypted with
the key its section's ``BIDS_UNSEALED`` event published, so an operator who edits the phase
table cannot open a section early. The one exception is an owner's own record (a bidder's
bid, before the opening): it is opened with the seal key only to check that it is theirs
and to hand it back to them. Must not import the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import Connection, select

from ledger.core.errors import WitnessError
from ledger.core.sealed import (
    RELEASE_TYPE,
    blob_scope_id,
    is_sealed_blob,
    open_blob,
    parse_release,
)
from ledger.errors import NotFoundError
from ledger.log import WitnessLog
from ledger.sealing.classes import scope_of
from ledger.sealing.keys import Sealer
from ledger.sealing.phases import SectionPhase, read_phases
from ledger.sealing.policy import ProjectFacts, Seen, Viewer, may_see
from ledger.store.schema import events

_COLUMNS = (events.c.idx, events.c.project_id, events.c.project_seq, events.c.leaf_hash,
            events.c.canonical, events.c.submitter)


class SealedError(WitnessError):
    """The view asked for includes records the law keeps closed for now (answered 409)."""

    def __init__(self, message: str, until: str) -> None:
        self.until = until
        super().__init__(message)


@dataclass(frozen=True)
class Record:
    """One stored event as a view sees it."""

    index: int
    project_id: str
    project_seq: int | None
    leaf: bytes
    canonical: bytes | None  # plaintext; None while sealed for this view
    envelope: dict[str, Any] | None
    seen: Seen

    @property
    def in_chain(self) -> bool:
        """On the project's public chain (a sealed record, opened or not, is not)."""
        return self.project_seq is not None


@dataclass(frozen=True)
class ProjectRecords:
    """A project's stored events (index order), its sections' phases and its facts."""

    project_id: str
    records: list[Record]
    phases: dict[str, SectionPhase]
    facts: ProjectFacts

    def visible(self, viewer: Viewer) -> list[Record]:
        return [r for r in self.records if may_see(viewer, r.seen)]


def phase_of(phases: dict[str, SectionPhase], envelope: dict[str, Any] | None,
             section_key: str = "") -> str:
    key = scope_of(envelope)[1] if envelope is not None else section_key
    found = phases.get(key)
    return "bidding" if found is None else found.phase


def load_project(log: WitnessLog, project_id: str) -> ProjectRecords:
    """Every stored event of a project; sealed ones opened where their key is published."""
    with log.db.read() as conn:
        rows = conn.execute(select(*_COLUMNS).where(events.c.project_id == project_id)
                            .order_by(events.c.idx)).all()
        if not rows:
            raise NotFoundError(f"no project {project_id!r}")
        phases = {k[1]: v for k, v in read_phases(conn, [project_id]).items()}
    keys = _released_keys(rows)
    records = [_record(r, keys, phases) for r in rows]
    return ProjectRecords(project_id, records, phases, project_facts(log, project_id))


def _released_keys(rows: Sequence[Any]) -> dict[bytes, bytes]:
    keys: dict[bytes, bytes] = {}
    for row in rows:
        data = bytes(row.canonical)
        if row.project_seq is not None and RELEASE_TYPE.encode() in data:
            env = orjson.loads(data)
            if env.get("type") == RELEASE_TYPE:
                release = parse_release(env)
                keys[release.scope_id] = release.key
    return keys


def _record(row: Any, keys: dict[bytes, bytes], phases: dict[str, SectionPhase]) -> Record:
    data, leaf = bytes(row.canonical), bytes(row.leaf_hash)
    sealed = is_sealed_blob(data)
    key = keys.get(blob_scope_id(data)) if sealed else None
    plain = data if not sealed else (open_blob(key, data, leaf) if key else None)
    env = orjson.loads(plain) if plain is not None else None
    seen = Seen(env, sealed, key is not None, row.submitter, phase_of(phases, env))
    seq = None if row.project_seq is None else int(row.project_seq)
    return Record(int(row.idx), str(row.project_id), seq, leaf, plain, env, seen)


def load_record(log: WitnessLog, index: int, viewer: Viewer) -> Record:
    """One stored event for ``viewer``: its own sealed record opened for its owner (bidder)
    only; a sealed record of anyone else stays closed until its key is published."""
    with log.db.read() as conn:
        row = conn.execute(select(*_COLUMNS).where(events.c.idx == index)).first()
        if row is None:
            raise NotFoundError(f"no event at index {index}")
        phases = {k[1]: v for k, v in read_phases(conn, [row.project_id]).items()}
        data = bytes(row.canonical)
        if not is_sealed_blob(data):
            return _record(row, {}, phases)
        keys = _released_keys(_releases_of(conn, str(row.project_id)))
        record = _record(row, keys, phases)
        if record.seen.released or viewer.role != "bidder":
            return record
        plain = log.open_stored(conn, str(row.project_id), data, bytes(row.leaf_hash))
    env = orjson.loads(plain)
    seen = Seen(env, True, False, row.submitter, phase_of(phases, env))
    return Record(record.index, record.project_id, None, record.leaf, plain, env, seen)


def _releases_of(conn: Connection, project_id: str) -> list[Any]:
    return list(conn.execute(select(*_COLUMNS).where(events.c.project_id == project_id)
                             .where(events.c.event_type == RELEASE_TYPE)))


def project_facts(log: WitnessLog, project_id: str) -> ProjectFacts:
    """Region and supervising department from the project's first registration. Cached
    once found: the first PROJECT_REGISTERED of a project never changes."""
    known = _FACTS.setdefault(log, {})
    found = known.get(project_id)
    if found is not None:
        return found
    with log.db.read() as conn:
        data = conn.execute(select(events.c.canonical).where(events.c.project_id == project_id)
                            .where(events.c.event_type == "PROJECT_REGISTERED")
                            .order_by(events.c.idx).limit(1)).scalar()
    if data is None:
        return ProjectFacts()
    payload = orjson.loads(bytes(data)).get("payload") or {}
    facts = ProjectFacts(payload.get("region_code"), payload.get("supervisory_dept"))
    if len(known) > 10_000:
        known.clear()
    known[project_id] = facts
    return facts


_FACTS: WeakKeyDictionary[WitnessLog, dict[str, ProjectFacts]] = WeakKeyDictionary()


def released_scope_ids(conn: Connection, project_id: str) -> set[str]:
    """Hex ids of the project's scopes whose key the log has published."""
    return {sid.hex() for sid in _released_keys(_releases_of(conn, project_id))}


def closed_scope(conn: Connection, sealer: Sealer, project_id: str,
                 indexes: Sequence[int]) -> tuple[str, str] | None:
    """(hex scope id, section key) under which something derived from the events at
    ``indexes`` must be kept: their sealed, not yet released scope — the project-wide one
    when they span several (it opens last) — or None when nothing of them is still sealed."""
    if not indexes:
        return None
    scopes = set(conn.execute(select(events.c.seal_scope)
                              .where(events.c.idx.in_(sorted(set(indexes))))
                              .where(events.c.seal_scope.is_not(None))).scalars())
    closed = scopes - released_scope_ids(conn, project_id) if scopes else set()
    if not closed:
        return None
    sections = {v.scope_id: k[1] for k, v in read_phases(conn, [project_id]).items()}
    if len(closed) == 1 and (sid := next(iter(closed))) in sections:
        return sid, sections[sid]
    return sealer.scope_id(project_id, "").hex(), ""


def owned_records(log: WitnessLog, viewer: Viewer, *, before: int, window: int
                  ) -> list[Record]:
    """A bidder's own records among the log indexes ``[before - window, before)``, newest
    first (the portal's 我的投标). No column names a sealed record's owner (by design), so
    this is a bounded scan: a public row is read only when its bytes mention the bidder, a
    sealed one is opened as ``load_record`` opens it for its owner, and ``may_see`` decides
    as for every other view."""
    if viewer.role != "bidder" or not viewer.bidder_id:
        return []
    needle = viewer.bidder_id.encode("utf-8")
    with log.db.read() as conn:
        rows = [r for r in conn.execute(
            select(*_COLUMNS).where(events.c.idx >= max(0, before - window))
            .where(events.c.idx < before).order_by(events.c.idx.desc()))
            if is_sealed_blob(bytes(r.canonical)) or needle in bytes(r.canonical)]
        projects = sorted({str(r.project_id) for r in rows})
        phases: dict[str, dict[str, SectionPhase]] = {p: {} for p in projects}
        for (pid, section), phase in read_phases(conn, projects).items():
            phases[pid][section] = phase
        sealed = {str(r.project_id) for r in rows if is_sealed_blob(bytes(r.canonical))}
        keys = {p: _released_keys(_releases_of(conn, p)) for p in sealed}
        found = [_owner_view(log, conn, r, keys.get(str(r.project_id), {}),
                             phases[str(r.project_id)]) for r in rows]
    return [r for r in found if needle in (r.canonical or b"") and may_see(viewer, r.seen)]


def _owner_view(log: WitnessLog, conn: Connection, row: Any, keys: dict[bytes, bytes],
                phases: dict[str, SectionPhase]) -> Record:
    """A row as its owner sees it: released or public as stored, else opened with the seal
    key (the owner's exception of ``load_record``)."""
    record = _record(row, keys, phases)
    if record.canonical is not None:
        return record
    plain = log.open_stored(conn, str(row.project_id), bytes(row.canonical),
                            bytes(row.leaf_hash))
    env = orjson.loads(plain)
    seen = Seen(env, True, False, row.submitter, phase_of(phases, env))
    return Record(record.index, record.project_id, None, record.leaf, plain, env, seen)
