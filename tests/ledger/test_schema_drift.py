"""The migrations and ``ledger.store.schema`` describe the same database: after migrating an
empty database to head, Alembic's autogenerate proposes no change, on SQLite and on the real
PostgreSQL. A table defined outside ``schema.metadata`` (or a migration that forgot a column,
an index or a type) shows up here as a proposed operation. Autogenerate does not see
triggers: that every table ``schema.APPEND_ONLY_TABLES`` names refuses UPDATE and DELETE is
checked on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from ledger.store.database import Database
from ledger.store.schema import APPEND_ONLY_TABLES, metadata


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        url: str = request.getfixturevalue("pg_url")
        return url
    return f"sqlite:///{tmp_path / 'drift.db'}"


def _proposed_changes(db: Database) -> list[Any]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True})
        return list(compare_metadata(context, metadata))


def test_autogenerate_proposes_nothing_at_head(db_url: str) -> None:
    db = Database(db_url, pool=False)
    try:
        db.migrate()
        assert _proposed_changes(db) == []
    finally:
        db.dispose()


def test_every_table_the_code_uses_is_in_schema_metadata() -> None:
    # The rule follower's cursor once lived in a MetaData of its own, invisible to the check
    # above; it must be the very table object of the shared schema.
    from ledger.rules import follower

    assert follower.rule_cursor is metadata.tables["rule_cursor"]



def _value(column: sa.Column[Any], k: int) -> object:
    """A value of ``column``'s type (``k`` tells two apart)."""
    python = column.type.python_type
    return bytes([k]) * 32 if python is bytes else k if python is int else f"v{k}"


def test_every_append_only_table_refuses_update_and_delete(db_url: str) -> None:
    db = Database(db_url, pool=False)
    try:
        db.migrate()
        for name in APPEND_ONLY_TABLES:
            table = metadata.tables[name]
            with db.engine.begin() as conn:
                conn.execute(sa.insert(table), [{c.name: _value(c, 1) for c in table.columns}])
            column = next(c for c in table.columns if not c.primary_key)
            for change in (sa.update(table).values({column.name: _value(column, 2)}),
                           sa.delete(table)):
                with pytest.raises(sa.exc.DatabaseError, match="append-only"), \
                        db.engine.begin() as conn:
                    conn.execute(change)
    finally:
        db.dispose()
