"""Anchors on several chains: one row per (chain id, registry, checkpoint size).

The ``anchors`` table was keyed by the checkpoint size alone (one chain per log). It is
rebuilt with the composite key and every existing row copied unchanged (they all name the
log's first chain, so old receipts and bundles keep their references and fsck stays
intact). The copy goes through a new table because SQLite cannot change a primary key in
place and the append-only triggers refuse UPDATE; dropping the old table drops its triggers,
which are created again on the new one.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_COLUMNS = ("checkpoint_size", "chain_id", "registry", "log_id", "chain_index", "tx_hash",
            "block_number", "block_hash", "block_timestamp", "gas_used", "confirmed_at")


def _anchors_table(name: str, *, by_chain: bool) -> None:
    op.create_table(
        name,
        sa.Column("checkpoint_size", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("chain_id", sa.BigInteger, primary_key=by_chain, nullable=False),
        sa.Column("registry", sa.String(42), primary_key=by_chain, nullable=False),
        sa.Column("log_id", sa.String(66), nullable=False),
        sa.Column("chain_index", sa.BigInteger, nullable=False),
        sa.Column("tx_hash", sa.String(66), nullable=False, unique=True),
        sa.Column("block_number", sa.BigInteger, nullable=False),
        sa.Column("block_hash", sa.String(66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger, nullable=False),
        sa.Column("gas_used", sa.BigInteger, nullable=False),
        sa.Column("confirmed_at", sa.String(40), nullable=False),
    )


def _rebuild(*, by_chain: bool) -> None:
    names = ", ".join(_COLUMNS)
    _anchors_table("anchors_rebuilt", by_chain=by_chain)
    op.execute(f"INSERT INTO anchors_rebuilt ({names}) SELECT {names} FROM anchors")
    op.drop_table("anchors")
    op.rename_table("anchors_rebuilt", "anchors")
    _refuse_changes("anchors")


def _refuse_changes(table: str) -> None:
    """As in 0002: UPDATE and DELETE abort (the trigger function exists on PostgreSQL)."""
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


def upgrade() -> None:
    _rebuild(by_chain=True)


def downgrade() -> None:
    # Only possible while every anchor is on one chain (the copy would collide otherwise).
    _rebuild(by_chain=False)
