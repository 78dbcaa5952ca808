"""Rule findings and violation leads (ledger.rules.service).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("finding_id", sa.String(40), primary_key=True),
        sa.Column("finding_key", sa.String(1000), nullable=False, unique=True),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("rule_version", sa.Integer, nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("lead", sa.Integer, nullable=False),
        sa.Column("project_id", sa.String(128), nullable=False),
        sa.Column("section_id", sa.String(128), nullable=True),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("computed", sa.Text, nullable=False),
        sa.Column("message_zh", sa.Text, nullable=False),
        sa.Column("message_en", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_findings_project", "findings", ["project_id"])
    op.create_table(
        "leads",
        sa.Column("lead_id", sa.String(40), primary_key=True),
        sa.Column("finding_ids", sa.Text, nullable=False),
        sa.Column("rule_ids", sa.Text, nullable=False),
        sa.Column("project_id", sa.String(128), nullable=False),
        sa.Column("section_id", sa.String(128), nullable=True),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("raised_index", sa.BigInteger, nullable=True),
        sa.Column("raised_event_id", sa.String(128), nullable=True),
        sa.Column("transferred_index", sa.BigInteger, nullable=True),
        sa.Column("transferred_event_id", sa.String(128), nullable=True),
        sa.Column("department", sa.String(200), nullable=True),
        sa.Column("package_hash", sa.String(64), nullable=True),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_leads_project", "leads", ["project_id"])


def downgrade() -> None:
    op.drop_index("ix_leads_project", "leads")
    op.drop_table("leads")
    op.drop_index("ix_findings_project", "findings")
    op.drop_table("findings")
