"""The anchorer anchors every stored checkpoint not anchored yet, in order (checkpoints sealed
on demand included), at most ``max_per_round`` per round, never size 0; and a database from
schema 0007 with anchors upgrades to the multi-chain anchors table with fsck intact."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import select

from chain_access import open_chain
from ledger.anchoring import Anchorer, bind_chain, open_bound_chain, registry
from ledger.anchoring.binding import anchorer_account
from ledger.anchoring.chains import follow_all
from ledger.anchoring.signer import load_checkpoint_key
from ledger.home import init_home, open_log
from ledger.settings import Settings
from ledger.store.database import MIGRATIONS, Database
from ledger.store.schema import anchors
from tests.ledger.anchoring.conftest import BOUND, append_events, run_witness
from tests.verifier.anchored import build_anchored
from verifier import check_ledger
from verifier.readers.chain import open_registry


def _anchorer(settings: Settings, per_round: int = 8) -> Anchorer:
    log = open_log(settings)
    chain, binding = open_bound_chain(settings, log)
    return Anchorer(log, chain, binding, anchorer_account(settings, create=False),
                    checkpoint_key=load_checkpoint_key(settings.home), max_per_round=per_round)


def test_on_demand_checkpoints_are_anchored_in_order(embedded_settings: Settings) -> None:
    append_events(embedded_settings, 0, 5)
    anchorer = _anchorer(embedded_settings, per_round=2)
    assert anchorer.anchor_once().checkpoint_size == 5 + BOUND
    sealed = []
    for start in (5, 8, 11):  # three checkpoints sealed on demand between two rounds
        append_events(embedded_settings, start, 3)
        sealed.append(anchorer.log.checkpoint().size)
    append_events(embedded_settings, 14, 1)
    first = anchorer.anchor_once()  # newest sealed now; two anchors, two left
    assert (first.action, first.anchored, first.remaining) == ("anchored", 2, 2)
    assert first.checkpoint_size == sealed[1]
    second = anchorer.anchor_once()
    assert (second.anchored, second.remaining, second.checkpoint_size) == (2, 0, 15 + BOUND)
    assert anchorer.chain_head()[0] == 5  # 1 + every sealed checkpoint, one by one
    for size in sealed:
        assert anchorer.log.anchor_for(size) is not None
    receipt = anchorer.log.receipt(6)  # covered first by the on-demand checkpoint
    assert receipt.anchored is not None and receipt.anchored.anchor is not None
    assert receipt.anchored.anchor["tree_size"] == sealed[0]
    assert anchorer.anchor_once().action == "up-to-date"
    anchorer.chain.close()


def test_size_zero_is_never_sent(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", origin="zero.test/log", chain="embedded")
    init_home(settings)
    log = open_log(settings)
    assert log.checkpoint().size == 0  # sealed before the chain was bound
    bind_chain(settings, log)
    log.db.dispose()
    anchorer = _anchorer(settings)
    outcome = anchorer.anchor_once()
    assert (outcome.anchored, outcome.checkpoint_size) == (1, BOUND)
    assert anchorer.chain_head()[:2] == (1, BOUND)
    anchorer.chain.close()


def _migrate(db: Database, revision: str, down: bool = False) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)
        if conn.in_transaction():
            conn.commit()


def _anchors_key(db: Database) -> list[str]:
    return list(sa.inspect(db.engine).get_pk_constraint("anchors")["constrained_columns"])


def test_0007_database_with_anchors_upgrades(tmp_path: Path) -> None:
    built = build_anchored(tmp_path / "home")
    db = Database(f"sqlite:///{built.db_path}")
    try:
        _migrate(db, "0007", down=True)  # the anchors table as 0007 made it
        assert _anchors_key(db) == ["checkpoint_size"]
        with db.engine.connect() as conn:
            before = conn.exec_driver_sql("SELECT * FROM anchors ORDER BY 1").all()
        assert len(before) == 2
        _migrate(db, "head")
        assert sorted(_anchors_key(db)) == ["chain_id", "checkpoint_size", "registry"]
        with db.engine.connect() as conn:
            after = conn.exec_driver_sql(
                "SELECT checkpoint_size, chain_id, registry, log_id, chain_index, tx_hash, "
                "block_number, block_hash, block_timestamp, gas_used, confirmed_at "
                "FROM anchors ORDER BY 1").all()
            # still append-only after the rebuild
            refused = False
            try:
                conn.exec_driver_sql("DELETE FROM anchors")
            except sa.exc.DBAPIError:
                refused = True
        assert refused
    finally:
        db.dispose()
    assert [tuple(r) for r in after] == [tuple(r) for r in before]
    policy = built.policy
    reader = open_registry(str(policy.chain), int(policy.chain_id or 0), str(policy.registry))
    try:
        report = check_ledger(str(built.db_path), policy, reader)
    finally:
        reader.close()
    assert report.outcome == "intact", report.to_json()
    assert report.counts["anchors"] >= 2


def test_follow_all_anchors_every_bound_chain(embedded_settings: Settings,
                                              tmp_path: Path) -> None:
    """A further embedded chain (embedded:PATH): one loop per chain, both catch up."""
    second = f"embedded:{tmp_path / 'second-chain'}"
    # Both embedded chains have chain id 1337 and the same anchorer key deploys the registry
    # at nonce 0 on each: the same (chain id, registry), which cannot be told apart.
    same = run_witness(embedded_settings, "chain", "bind", "--chain", second, check=False)
    assert same.returncode == 1 and "bound already" in same.stderr
    account = anchorer_account(embedded_settings, create=False)
    chain = open_chain(second)
    chain.deploy(registry.abi(), registry.bytecode(), [], account)  # another nonce next
    chain.close()
    out = run_witness(embedded_settings, "--json", "chain", "bind", "--chain", second)
    assert json.loads(out.stdout)["spec"] == second
    append_events(embedded_settings, 0, 6)
    settings = embedded_settings.model_copy(update={"checkpoint_interval": 0.2})
    log = open_log(settings)
    stop = threading.Event()
    thread = threading.Thread(target=follow_all, args=(settings, log, stop), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with log.db.read() as conn:
                done = conn.execute(select(anchors.c.chain_id, anchors.c.registry).where(
                    anchors.c.checkpoint_size == 6 + 2 * BOUND)).all()
            if len(done) == 2:
                break
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join(30)
    assert len(done) == 2 and len({r.registry for r in done}) == 2
    receipt = log.receipt(3)
    assert receipt.anchored is not None and receipt.anchored.anchor is not None
    assert [a["tree_size"] for a in receipt.anchored.anchors] == [6 + 2 * BOUND]
    log.db.dispose()
