"""The rule follower's cursor: the next log index it evaluates (ledger.rules.follower).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rule_cursor",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("next_index", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rule_cursor")
