"""Anchoring: intents written before a transaction is sent, confirmed anchors.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "anchor_intents",
        sa.Column("attempt", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("checkpoint_size", sa.BigInteger, nullable=False),
        sa.Column("from_size", sa.BigInteger, nullable=False),
        sa.Column("chain_id", sa.BigInteger, nullable=False),
        sa.Column("registry", sa.String(42), nullable=False),
        sa.Column("sender", sa.String(42), nullable=False),
        sa.Column("nonce", sa.BigInteger, nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False, unique=True),
        sa.Column("raw_tx", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "anchors",
        sa.Column("checkpoint_size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("chain_id", sa.BigInteger, nullable=False),
        sa.Column("registry", sa.String(42), nullable=False),
        sa.Column("log_id", sa.String(66), nullable=False),
        sa.Column("chain_index", sa.BigInteger, nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False, unique=True),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger, nullable=False),
        sa.Column("gas_used", sa.BigInteger, nullable=False),
        sa.Column("confirmed_at", sa.String(40), nullable=False),
    )
    for table in ("anchor_intents", "anchors"):
        _refuse_changes(table)


def _refuse_changes(table: str) -> None:
    """As in 0001: UPDATE and DELETE abort (the trigger function exists on PostgreSQL)."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
        return
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION witness_append_only()"
    )


def downgrade() -> None:
    op.drop_table("anchors")
    op.drop_table("anchor_intents")
