"""Sealing: sealed records outside the public chain, section phases, scoped tokens.

- ``events.project_seq`` becomes nullable (a sealed record has none); ``events.seal_scope``
  and ``events.submitter`` are added. On SQLite this rebuilds the table (its append-only
  triggers are re-created); the stored rows are copied byte for byte, so the log verifies
  exactly as before.
- ``section_phases`` is created and filled from the events already in the log: a section
  is opened (or has its result) at the first event that says so. The trigger lists are
  frozen here as they were when this revision was written.
- ``api_tokens.scope``, ``findings.seal_scope`` and ``leads.seal_scope`` are added.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_OPENING = {"OPENING_STARTED", "OPENING_ENDED", "OPENING_RECORD_PUBLISHED", "BID_DECRYPTED",
            "BID_EXTRACTED", "TENDER_TERMINATED"}
_RESULT = {"WINNER_DETERMINED", "RESULT_ANNOUNCED", "AWARD_NOTICE_ISSUED",
           "RESULT_NOTICE_ISSUED", "CONTRACT_SIGNED", "TENDER_TERMINATED"}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS events_no_{verb}")
    with op.batch_alter_table("events", recreate="always" if sqlite else "auto") as batch:
        batch.alter_column("project_seq", existing_type=sa.Integer, nullable=True)
        batch.add_column(sa.Column("seal_scope", sa.String(32), nullable=True))
        batch.add_column(sa.Column("submitter", sa.String(32), nullable=True))
    if sqlite:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER events_no_{verb.lower()} BEFORE {verb} ON events "
                       "BEGIN SELECT RAISE(ABORT, 'events is append-only'); END")
    op.create_table(
        "section_phases",
        sa.Column("project_id", sa.String(128), primary_key=True),
        sa.Column("section_key", sa.String(128), primary_key=True),
        sa.Column("scope_id", sa.String(32), nullable=True, unique=True),
        sa.Column("opened_index", sa.BigInteger, nullable=True),
        sa.Column("result_index", sa.BigInteger, nullable=True),
    )
    for table in ("findings", "leads"):
        op.add_column(table, sa.Column("seal_scope", sa.String(32), nullable=True))
    op.add_column("api_tokens", sa.Column("scope", sa.Text, nullable=True))
    _fill_phases()


def _fill_phases() -> None:
    """One pass over the existing events: every (project, section) seen, and when each was
    opened and got its result (project-wide rows: by project-wide events only)."""
    conn = op.get_bind()
    phases: dict[tuple[str, str], list[Any]] = {}
    rows = conn.execute(sa.text("SELECT idx, project_id, event_type, canonical FROM events "
                                "ORDER BY idx"))
    for idx, project_id, event_type, canonical in rows:
        env = json.loads(bytes(canonical))
        section = env.get("section_id") or ""
        for key in {(project_id, ""), (project_id, section)}:
            phases.setdefault(key, [None, None])
        state = phases[(project_id, section)]
        if event_type in _OPENING and state[0] is None:
            state[0] = int(idx)
        if event_type in _RESULT and state[1] is None:
            state[1] = int(idx)
    _project_wide(phases)
    table = sa.table("section_phases", sa.column("project_id"), sa.column("section_key"),
                     sa.column("opened_index"), sa.column("result_index"))
    op.bulk_insert(table, [{"project_id": p, "section_key": s, "opened_index": o,
                            "result_index": r} for (p, s), (o, r) in sorted(phases.items())])


def _project_wide(phases: dict[tuple[str, str], list[Any]]) -> None:
    """A project-wide row is opened (has its result) once all its sections are."""
    by_project: dict[str, list[list[Any]]] = {}
    for (project_id, section), state in phases.items():
        if section:
            by_project.setdefault(project_id, []).append(state)
    for (project_id, section), state in phases.items():
        if section:
            continue
        sections = by_project.get(project_id, [])
        for k in (0, 1):
            if state[k] is None and sections and all(v[k] is not None for v in sections):
                state[k] = max(v[k] for v in sections)


def downgrade() -> None:
    op.drop_column("api_tokens", "scope")
    for table in ("leads", "findings"):
        op.drop_column(table, "seal_scope")
    op.drop_table("section_phases")
