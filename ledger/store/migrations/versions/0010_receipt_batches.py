"""Receipt batches: one signed promise per committed append transaction (receipt v2).

Append-only like the log itself (UPDATE and DELETE abort). Existing events get no row:
their receipts stay ``witness-receipt/v1``, signed per event as before.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TABLE = "receipt_batches"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("first_idx", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("promise_note", sa.Text, nullable=False),
    )
    # As in 0001 (the trigger function exists on PostgreSQL since then).
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END"
            )
        return
    op.execute(
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION witness_append_only()"
    )


def downgrade() -> None:
    op.drop_table(TABLE)  # its triggers go with it
