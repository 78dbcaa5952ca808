"""Persistence of the witness log: SQLAlchemy Core tables, engines, Alembic migrations.

Events, tree hashes and checkpoints are append-only: no code path updates or deletes them,
and database triggers refuse it. Must not import the API or the verifier.
"""
