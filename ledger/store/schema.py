"""Table definitions (SQLAlchemy Core). Migrations in ``migrations/versions`` mirror them.

Must not import the API or the verifier.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# Append-only key/value facts about the log, written once at init (origin, public key...).
log_info = Table(
    "log_info",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# A sealed record (ledger.sealing) is stored with its event id blinded, no project_seq (it is
# outside the public chain), event_type "SEALED", no actor_org, a keyed submission digest,
# the canonical bytes as an encrypted blob and ``seal_scope`` = the hex scope id of its key.
# ``submitter`` is the id of the ingest token that posted the event (null from the CLI).
events = Table(
    "events",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(128), nullable=False, unique=True),
    Column("project_id", String(128), nullable=False),
    Column("project_seq", Integer, nullable=True),
    Column("event_type", String(64), nullable=False),
    Column("actor_org", String(128), nullable=True),
    Column("received_at", String(40), nullable=False),
    Column("leaf_hash", LargeBinary(32), nullable=False),
    Column("submission_digest", LargeBinary(32), nullable=False),
    Column("canonical", LargeBinary, nullable=False),
    Column("seal_scope", String(32), nullable=True),
    Column("submitter", String(32), nullable=True),
    UniqueConstraint("project_id", "project_seq", name="uq_events_project_seq"),
)
Index("ix_events_actor_org", events.c.actor_org)
SEALED_TYPE = "SEALED"

# The phases of every section of every project (ledger.sealing.phases), kept by the
# appender in the same transaction as the events that change them. ``section_key`` is ""
# for the project as a whole. Not append-only: ``opened_index`` and ``result_index`` are
# set once. Visibility never trusts this table alone to unseal: sealed records are only
# shown decrypted with a key published in the log (BIDS_UNSEALED).
section_phases = Table(
    "section_phases",
    metadata,
    Column("project_id", String(128), primary_key=True),
    Column("section_key", String(128), primary_key=True),
    Column("scope_id", String(32), nullable=True, unique=True),
    Column("opened_index", BigInteger, nullable=True),
    Column("result_index", BigInteger, nullable=True),
)

tree_hashes = Table(
    "tree_hashes",
    metadata,
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)


# Anchoring (see ledger/anchoring): an intent row is written, with the signed transaction's
# hash, before the transaction is broadcast; a row in `anchors` once it is confirmed. Both
# insert-only, so a crash leaves evidence to reconcile from, never a half-updated row.
anchor_intents = Table(
    "anchor_intents",
    metadata,
    Column("attempt", Integer, primary_key=True, autoincrement=False),
    Column("checkpoint_size", BigInteger, nullable=False),
    Column("from_size", BigInteger, nullable=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("registry", String(42), nullable=False),
    Column("sender", String(42), nullable=False),
    Column("nonce", BigInteger, nullable=False),
    Column("tx_hash", String(66), nullable=False, unique=True),
    Column("raw_tx", LargeBinary, nullable=False),
    Column("created_at", String(40), nullable=False),
)

# One row per (chain, checkpoint): a log anchors the same checkpoints on every chain it is
# bound to (ledger.anchoring.binding). Keyed by chain id and registry since migration 0008.
anchors = Table(
    "anchors",
    metadata,
    Column("checkpoint_size", BigInteger, primary_key=True, autoincrement=False),
    Column("chain_id", BigInteger, primary_key=True, nullable=False),
    Column("registry", String(42), primary_key=True, nullable=False),
    Column("log_id", String(66), nullable=False),
    Column("chain_index", BigInteger, nullable=False),
    Column("tx_hash", String(66), nullable=False, unique=True),
    Column("block_number", BigInteger, nullable=False),
    Column("block_hash", String(66), nullable=False),
    Column("block_timestamp", BigInteger, nullable=False),
    Column("gas_used", BigInteger, nullable=False),
    Column("confirmed_at", String(40), nullable=False),
)

# Cosignatures the log's witnesses returned (ledger.cosigning): one signature line per
# (checkpoint, witness), appended to the checkpoint note wherever it is handed out.
# Mirrored by migration 0007.
cosignatures = Table(
    "cosignatures",
    metadata,
    Column("checkpoint_size", BigInteger, primary_key=True, autoincrement=False),
    Column("witness", String(200), primary_key=True),
    Column("line", Text, nullable=False),
    Column("cosigned_at", BigInteger, nullable=False),
    Column("received_at", String(40), nullable=False),
)

# One row per signed receipt batch (receipt v2, ``ledger.core.batch``): the events
# [first_idx, first_idx + count) that one append transaction committed, the root of their
# batch tree and the promise note the log key signed over them. Receipts are rebuilt from it
# (and the batch's leaf hashes in ``events``), so a receipt fetched later is the one handed
# out at append. Events appended before receipt v2 have no row: their receipts stay v1.
# Mirrored by migration 0010.
receipt_batches = Table(
    "receipt_batches",
    metadata,
    Column("first_idx", BigInteger, primary_key=True, autoincrement=False),
    Column("count", Integer, nullable=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("promise_note", Text, nullable=False),
)

APPEND_ONLY_TABLES = (
    "log_info", "events", "tree_hashes", "checkpoints", "anchor_intents", "anchors",
    "cosignatures", "receipt_batches",
)


# API bearer tokens (witness_api.tokens): only the SHA-256 of a token is stored. Not
# append-only: revocation sets ``revoked_at``. Mirrored by migration 0003.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", String(32), primary_key=True),
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("bidder_id", String(128), nullable=True),
    Column("label", String(200), nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("expires_at", String(40), nullable=True),
    Column("revoked_at", String(40), nullable=True),
    Column("scope", Text, nullable=True),  # JSON {projects, regions, departments}
)


# Rule findings and violation leads (ledger.rules.service). Not the witness log: findings
# are insert-only (idempotent by finding_key); a lead's status is updated in place, while
# the facts that matter (raised, transferred) are LEAD_* events in the log. Migration 0004.
findings = Table(
    "findings",
    metadata,
    Column("finding_id", String(40), primary_key=True),
    Column("finding_key", String(1000), nullable=False, unique=True),
    Column("rule_id", String(64), nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("lead", Integer, nullable=False),
    Column("project_id", String(128), nullable=False),
    Column("section_id", String(128), nullable=True),
    Column("evidence", Text, nullable=False),  # JSON [[index, event_id], ...]
    Column("computed", Text, nullable=False),  # JSON object
    Column("message_zh", Text, nullable=False),
    Column("message_en", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    # Set while the finding's evidence is sealed: its key is blinded and evidence,
    # computed values and messages are one encrypted blob (base64) in ``computed``.
    Column("seal_scope", String(32), nullable=True),
)
Index("ix_findings_project", findings.c.project_id)

leads = Table(
    "leads",
    metadata,
    Column("lead_id", String(40), primary_key=True),
    Column("finding_ids", Text, nullable=False),  # JSON list
    Column("rule_ids", Text, nullable=False),  # JSON list
    Column("project_id", String(128), nullable=False),
    Column("section_id", String(128), nullable=True),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),  # raised | transferred | acknowledged
    Column("raised_index", BigInteger, nullable=True),
    Column("raised_event_id", String(128), nullable=True),
    Column("transferred_index", BigInteger, nullable=True),
    Column("transferred_event_id", String(128), nullable=True),
    Column("department", String(200), nullable=True),
    Column("package_hash", String(64), nullable=True),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("seal_scope", String(32), nullable=True),  # raised on sealed evidence
)
Index("ix_leads_project", leads.c.project_id)

# The rule follower's cursor (ledger.rules.follower): the next log index it evaluates, per
# follower name. Updated in place; losing it only re-evaluates the log. Migration 0005.
rule_cursor = Table(
    "rule_cursor",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("next_index", BigInteger, nullable=False),
    Column("updated_at", String(40), nullable=False),
)
