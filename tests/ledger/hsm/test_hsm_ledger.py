"""A whole ledger whose three signing keys live in SoftHSM2 (SQLite and PostgreSQL): `init`
makes them in the token, the embedded chain is anchored with the token's anchorer account
and checkpoint signer, the unchanged verifier accepts receipts, bundles and the fsck; the
log key is rotated inside the token and everything still verifies from the pinned key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger.anchoring import bind_chain
from ledger.anchoring.binding import anchorer_account
from ledger.anchoring.chains import anchor_all_once
from ledger.anchoring.rotation import rotate_anchorer, rotate_checkpoint_signer
from ledger.anchoring.signer import load_checkpoint_key
from ledger.export import dumps_bundle, export_project
from ledger.home import init_home, open_log
from ledger.log import WitnessLog
from ledger.settings import Settings
from ledger.signers.log_rotation import rotate_log_key
from ledger.signers.slots import TokenSlot, key_slot
from ledger.trust_policy import policy_document
from tests.ledger.anchoring.conftest import run_witness
from tests.ledger.conftest import make_event
from verifier import check_bundle, check_ledger, check_receipt
from verifier.policy import TrustPolicy, build, parse_policy
from verifier.readers.chain import open_registry

ORIGIN = "hsm-ledger.test/log"
KEY_FILES = ("log.key", "checkpoint.key", "anchorer.key")


@pytest.fixture(params=["sqlite", "postgres"])
def hsm_log(request: pytest.FixtureRequest, hsm_env: dict[str, str], tmp_path: Path
            ) -> Settings:
    db_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    s = Settings(home=tmp_path / "home", db_url=db_url, origin=ORIGIN, chain="embedded")
    init_home(s)
    log = open_log(s)
    try:
        bind_chain(s, log)
        log.append([make_event(i) for i in range(6)])
        _anchor(s, log)
    finally:
        log.db.dispose()
    return s


def _anchor(s: Settings, log: WitnessLog) -> None:
    ((_, outcome),) = anchor_all_once(s, log)
    assert not isinstance(outcome, Exception), outcome
    assert outcome.action == "anchored"


def _verify(s: Settings, indexes: tuple[int, ...]) -> TrustPolicy:
    """Receipts, a bundle and the fsck with the unchanged verifier and the exported policy."""
    log = open_log(s)
    try:
        policy = build(key=None, base=parse_policy(policy_document(
            s, log, endpoint=f"embedded:{s.home / 'chain'}")))
        receipts = [log.receipt(i) for i in indexes]
        bundle = dumps_bundle(export_project(log, "P-1")).encode()
    finally:
        log.db.dispose()
    assert policy.chain_id is not None and policy.registry is not None
    reader = open_registry(str(policy.chain), policy.chain_id, policy.registry,
                           policy.genesis_hash)
    try:
        for receipt in receipts:
            report = check_receipt(receipt, policy, reader)
            assert report.ok and not report.pending, report.to_json()
        assert check_bundle(bundle, policy, reader).ok
        fsck = check_ledger(s.database_url, policy, reader)
        assert fsck.ok, fsck.to_json()
    finally:
        reader.close()
    return policy


def test_keys_in_the_token_sign_and_anchor_what_the_verifier_accepts(hsm_log: Settings
                                                                     ) -> None:
    assert not any((hsm_log.home / name).exists() for name in KEY_FILES)
    for role in ("log", "checkpoint", "anchorer"):
        assert isinstance(key_slot(hsm_log.home, role), TokenSlot)
    log = open_log(hsm_log)
    try:
        binding = anchor_binding(log)
        assert binding["anchorer"] == anchorer_account(hsm_log, create=False).address
        assert binding["signer"] == load_checkpoint_key(hsm_log.home).address
    finally:
        log.db.dispose()
    _verify(hsm_log, (1, 5))


def anchor_binding(log: WitnessLog) -> dict[str, str]:
    from ledger.anchoring import read_binding

    binding = read_binding(log)
    assert binding is not None
    return {"anchorer": binding.anchorer, "signer": binding.signer}


def test_keys_are_rotated_inside_the_token(hsm_log: Settings) -> None:
    pinned = _verify(hsm_log, (2,))
    done = rotate_log_key(hsm_log)
    log = open_log(hsm_log)
    try:
        rotate_checkpoint_signer(hsm_log, log)
        rotate_anchorer(hsm_log, log)
        log.append([make_event(i) for i in range(6, 10)])
        _anchor(hsm_log, log)
    finally:
        log.db.dispose()
    assert done.retired is not None and "retired-" in done.retired  # relabelled, not exported
    assert not any((hsm_log.home / name).exists() for name in KEY_FILES)
    after = _verify(hsm_log, (2, 8))
    assert after.fingerprint == pinned.fingerprint
    assert after.log_keys.current.vkey() == done.new_key


def test_the_cli_puts_file_keys_into_the_token_and_reports_where_keys_live(
        hsm_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A log made with key files, then `witness keys hsm-import`: it opens from the token."""
    s = Settings(home=tmp_path / "home", origin=ORIGIN)
    for name in ("WITNESS_HSM_LOG_KEY", "WITNESS_HSM_CHECKPOINT_KEY",
                 "WITNESS_HSM_ANCHORER_KEY"):
        monkeypatch.delenv(name)
    init_home(s)
    vkey = open_log(s).signer.verifier.vkey()
    monkeypatch.setenv("WITNESS_HSM_LOG_KEY", hsm_env["WITNESS_HSM_LOG_KEY"])
    out = json.loads(run_witness(s, "keys", "hsm-import", "--role", "log", "--json").stdout)
    (moved,) = out["imported"]
    assert moved["role"] == "log" and ".retired-" in moved["file"]
    assert not (s.home / "log.key").exists()
    status = json.loads(run_witness(s, "keys", "status", "--json").stdout)["keys"]
    assert [(k["role"], k["hsm"]) for k in status] == [("log", True), ("checkpoint", False),
                                                       ("anchorer", False)]
    log = open_log(s)
    assert log.signer.verifier.vkey() == vkey
    log.db.dispose()
    refused = run_witness(s, "keys", "hsm-generate", "--role", "log", check=False)
    assert refused.returncode == 2 and "rotate-log-key" in refused.stderr
    assert "Traceback" not in refused.stderr
