"""A log written before sealing existed (schema 0005, bids on the public chain) upgrades to
the sealing schema with every byte intact: fsck still says intact, the phases are filled
from the events already there, and new bids on an unopened section are sealed."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from ledger.core import tree
from ledger.core.canonical import ZERO_HASH, assemble_envelope, prepare_event
from ledger.core.hashing import leaf_hash
from ledger.core.note import Checkpoint, NoteVerifier, sign_checkpoint
from ledger.events import event_to_json, example_event, parse_event
from ledger.home import init_home, open_log
from ledger.keys import create_log_key, load_signer
from ledger.sealing.phases import read_phases
from ledger.settings import Settings
from ledger.store.database import MIGRATIONS, Database
from verifier import TrustPolicy
from verifier.ledger_check import check_ledger

ORIGIN = "legacy.example/log"
TYPES = ("PROJECT_REGISTERED", "DOC_ISSUED", "BID_SUBMITTED", "OPENING_STARTED",
         "BID_DECRYPTED", "DOC_VIEWED")


def _upgrade(db: Database, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        if conn.in_transaction():
            conn.commit()


def _legacy_log(settings: Settings, db: Database) -> list[bytes]:
    """Events, tree hashes and a checkpoint written as the ledger wrote them at 0005."""
    signer = load_signer(settings.log_key_path, ORIGIN)
    rows, leaves, prev = [], [], ZERO_HASH
    for seq, etype in enumerate(TYPES):
        event = event_to_json(parse_event(example_event(etype)))
        data = assemble_envelope(prepare_event(event), origin=ORIGIN, project_seq=seq,
                                 prev=prev, received_at="2025-03-24T09:30:00.000000+08:00",
                                 salt=os.urandom(32))
        prev = leaf_hash(data)
        leaves.append(prev)
        rows.append({"idx": seq, "event_id": event["event_id"], "project_id": event["project_id"],
                     "project_seq": seq, "event_type": etype, "actor_org": None,
                     "received_at": "2025-03-24T09:30:00.000000+08:00", "leaf_hash": prev,
                     "submission_digest": prepare_event(event).digest, "canonical": data})
    hashes, _ = tree.append_leaf_hashes(tree.EMPTY_FRONTIER, leaves)
    root = tree.root_of_leaf_hashes(leaves)
    note = sign_checkpoint(Checkpoint(ORIGIN, len(leaves), root), signer)
    with db.write() as conn:
        conn.execute(sa.text("INSERT INTO log_info (key, value) VALUES ('origin', :o), "
                             "('vkey', :k)"), {"o": ORIGIN, "k": signer.verifier.vkey()})
        cols = ", ".join(rows[0])
        conn.execute(sa.text(f"INSERT INTO events ({cols}) VALUES "
                             f"({', '.join(':' + c for c in rows[0])})"), rows)
        conn.execute(sa.text("INSERT INTO tree_hashes (idx, hash) VALUES (:i, :h)"),
                     [{"i": i, "h": h} for i, h in hashes])
        conn.execute(sa.text("INSERT INTO checkpoints (size, root, note, created_at) VALUES "
                             "(:s, :r, :n, 'then')"), {"s": len(leaves), "r": root, "n": note})
    return leaves


def test_a_log_from_before_sealing_upgrades_and_still_verifies(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", origin=ORIGIN)
    settings.home.mkdir()
    create_log_key(settings.log_key_path)
    db = Database(settings.database_url)
    _upgrade(db, "0005")
    _legacy_log(settings, db)
    db.dispose()
    init_home(settings)  # migrates to the newest schema (and creates the seal key)
    vkey = NoteVerifier.from_vkey(load_signer(settings.log_key_path, ORIGIN).verifier.vkey())
    report = check_ledger(settings.database_url, TrustPolicy(verifier=vkey, origin=ORIGIN))
    assert report.ok, report.to_json()
    log = open_log(settings)
    with log.db.read() as conn:
        phases = read_phases(conn, [example_event("BID_SUBMITTED")["project_id"]])
        triggers = conn.execute(sa.text("SELECT 1 FROM sqlite_master WHERE type='trigger' "
                                        "AND tbl_name='events'")).all()
    section = example_event("BID_SUBMITTED")["section_id"]
    project = example_event("BID_SUBMITTED")["project_id"]
    assert phases[(project, section)].opened_index == 3  # OPENING_STARTED of the old log
    assert len(triggers) == 2  # the append-only guard survives the table rebuild
    try:
        with log.db.write() as conn:
            conn.execute(sa.text("UPDATE events SET event_type = 'X' WHERE idx = 0"))
        raise AssertionError("an UPDATE of events went through")
    except sa.exc.DBAPIError:
        pass
    log.db.dispose()
