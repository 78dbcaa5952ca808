"""Log key rotation end to end (file keys, the embedded chain, SQLite and PostgreSQL): after
the hand-over, receipts, bundles and the fsck verify from the key pinned before it; the
checkpoint signer on chain follows; a forged rotation, a retired key signing later and an
interrupted rotation are handled as docs/keys.md says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.anchoring import bind_chain, read_binding, registry
from ledger.anchoring.chains import anchor_all_once, bound_chains, open_bound
from ledger.anchoring.rotation import rotate_checkpoint_signer
from ledger.anchoring.signer import load_checkpoint_key
from ledger.core.key_rotation import KeyRotation
from ledger.core.note import NoteSigner, NoteVerifier, open_note
from ledger.errors import NotInitialisedError
from ledger.events import event_to_json, parse_event
from ledger.export import dumps_bundle, export_project
from ledger.home import init_home, open_log
from ledger.keys import load_log_key
from ledger.log import WitnessLog
from ledger.settings import Settings
from ledger.signers.log_key import log_keys, slot_signer
from ledger.signers.log_rotation import announce, rotate_log_key
from ledger.signers.slots import key_slot
from ledger.trust_policy import policy_document
from tests.ledger.anchoring.conftest import run_witness
from tests.ledger.conftest import make_event
from verifier import check_bundle, check_ledger, check_receipt
from verifier.cli import main
from verifier.policy import TrustPolicy, build, parse_policy
from verifier.readers.chain import ChainRegistryReader, open_registry

ORIGIN = "rotate.test/log"


@pytest.fixture(params=["sqlite", "postgres"])
def bound(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """A log bound to the embedded chain, 5 events anchored."""
    db_url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    s = Settings(home=tmp_path / "home", db_url=db_url, origin=ORIGIN, chain="embedded")
    init_home(s)
    log = open_log(s)
    try:
        bind_chain(s, log)
        log.append([make_event(i) for i in range(5)])
        _anchor(s, log)
    finally:
        log.db.dispose()
    return s


@pytest.fixture
def unbound(tmp_path: Path) -> Settings:
    s = Settings(home=tmp_path / "home", origin=ORIGIN)
    init_home(s)
    log = open_log(s)
    log.append([make_event(i) for i in range(5)])
    log.checkpoint()
    log.db.dispose()
    return s


def _anchor(s: Settings, log: WitnessLog) -> None:
    ((_, outcome),) = anchor_all_once(s, log)
    assert not isinstance(outcome, Exception), outcome
    assert outcome.action == "anchored"


def policy_of(s: Settings, *, pin_current_key: bool = False) -> TrustPolicy:
    log = open_log(s)
    try:
        doc = policy_document(s, log, endpoint=f"embedded:{s.home / 'chain'}",
                              pin_current_key=pin_current_key)
    finally:
        log.db.dispose()
    return build(key=None, base=parse_policy(doc))


@pytest.fixture
def reader_for() -> Iterator[list[ChainRegistryReader]]:
    opened: list[ChainRegistryReader] = []
    yield opened
    for r in opened:
        r.close()


def _reader(policy: TrustPolicy, opened: list[ChainRegistryReader]) -> ChainRegistryReader:
    assert policy.chain_id is not None and policy.registry is not None
    opened.append(open_registry(str(policy.chain), policy.chain_id, policy.registry,
                                policy.genesis_hash))
    return opened[-1]


def test_everything_verifies_across_the_rotation_from_the_pinned_old_key(
        bound: Settings, reader_for: list[ChainRegistryReader]) -> None:
    pinned = policy_of(bound)
    log = open_log(bound)
    kept = log.receipt(2)  # a receipt the bidder saved before the rotation (old key)
    log.db.dispose()
    old_signer = load_checkpoint_key(bound.home).address

    done = rotate_log_key(bound)
    assert done.old_key == pinned.verifier.vkey() and done.index == done.after
    log = open_log(bound)
    try:
        signer = rotate_checkpoint_signer(bound, log)
        assert signer.old == old_signer
        log.append([make_event(i) for i in range(5, 9)])
        _anchor(bound, log)
        latest = log.latest_checkpoint()
        assert latest is not None and latest.size > done.checkpoint_size
        fresh, new_receipt = log.receipt(2), log.receipt(8)
        bundle = dumps_bundle(export_project(log, "P-1")).encode()
        binding = read_binding(log)
        assert binding is not None
        bound_event = log.receipt(log.index_of(f"checkpoint-signer:{binding.chain_id}:"
                                               f"{binding.registry.lower()}:{signer.new.lower()}"))
    finally:
        log.db.dispose()
    policy = policy_of(bound)
    assert policy.fingerprint == pinned.fingerprint and policy.verifier == pinned.verifier
    assert policy.log_keys.current.vkey() == done.new_key
    reader = _reader(policy, reader_for)

    fsck = check_ledger(bound.database_url, policy, reader)
    assert fsck.ok, fsck.to_json()
    assert fsck.counts["key_rotations"] == 1
    for receipt in (kept, fresh, new_receipt):
        report = check_receipt(receipt, policy, reader)
        assert report.ok and not report.pending, report.to_json()
    assert check_bundle(bundle, policy, reader).ok
    # the policy pinned before, without the rotation: the new key's work is refused, named
    refused = check_receipt(new_receipt, pinned, reader)
    assert [p["code"] for p in refused.to_json()["problems"]] == ["signature"]
    # after a theft the center re-pins: the current key alone, a new fingerprint
    repinned = policy_of(bound, pin_current_key=True)
    assert repinned.fingerprint != pinned.fingerprint and not repinned.rotations
    assert check_receipt(new_receipt, repinned, reader).ok
    assert not check_receipt(kept, repinned, reader).ok  # the old key's promise
    # the registry trusts the new signer, which the new log key bound in the log
    assert _chain_signer(bound).lower() == signer.new.lower()
    assert signer.new == load_checkpoint_key(bound.home).address
    payload = _payload(bound_event.canonical_event)
    assert f"signer {signer.new}" in open_note(payload["statement"], [policy.log_keys.current])


def _chain_signer(s: Settings) -> str:
    log = open_log(s)
    try:
        (b,) = bound_chains(log)
        chain = open_bound(s, b, readonly=True)
        try:
            lid = bytes.fromhex(b.binding.log_id[2:])
            return str(chain.call(b.binding.registry, registry.abi(), "checkpointSigner", [lid]))
        finally:
            chain.close()
    finally:
        log.db.dispose()


def _payload(canonical: bytes) -> dict[str, str]:
    return dict(json.loads(canonical)["payload"])


def _fsck_codes(s: Settings) -> list[str]:
    report = check_ledger(s.database_url, build(key=_first_key(s), origin=ORIGIN))
    return [p["code"] for p in report.to_json()["problems"]]


def _first_key(s: Settings) -> str:
    from ledger.home import read_log_info
    from ledger.store.database import Database

    db = Database(s.database_url)
    try:
        return read_log_info(db)["vkey"]
    finally:
        db.dispose()


def test_a_forged_rotation_in_the_log_is_refused(unbound: Settings) -> None:
    """Someone who can write events but holds no log key announces their own key."""
    mallory = NoteSigner(ORIGIN, load_log_key(_other_key(unbound)))
    log = open_log(unbound)
    current = log.signer
    body = KeyRotation(ORIGIN, current.verifier, mallory.verifier, log.size()).body()
    event = {"event_id": "log-key-rotation:1", "type": "LOG_KEY_ROTATED",
             "project_id": "ledger", "occurred_at": log.clock(),
             "actor": {"id": "ledger", "role": "system"},
             "payload": {"old_key": current.verifier.vkey(), "new_key": mallory.verifier.vkey(),
                         "after": log.size(), "statement": mallory.sign(body)}}
    log.append([event_to_json(parse_event(event))])
    log.signer = mallory
    log.append([make_event(9)])
    log.checkpoint()  # a checkpoint by the forged key
    log.db.dispose()
    with pytest.raises(Exception, match="not signed by the trusted log key"):
        open_log(unbound)
    report = check_ledger(unbound.database_url, build(key=_first_key(unbound), origin=ORIGIN))
    rotation, batch, checkpoint = report.to_json()["problems"]
    assert (rotation["code"], rotation["index"]) == ("key_rotation", 5)
    # the promise of the event after it is the forged key's too
    assert (batch["code"], batch["index"], batch["evidence"]["checks"]) == (
        "receipt_batch", 6, ["signature"])
    assert "not signed by the trusted log key" in rotation["detail"]
    assert checkpoint["code"] == "signature" and checkpoint["index"] == 7
    assert "no valid rotation from the pinned key" in checkpoint["detail"]


def _other_key(s: Settings) -> Path:
    path = s.home / "mallory.key"
    slot = key_slot(s.home, "log")
    from ledger.signers.slots import FileSlot

    FileSlot(slot.role, path).create()
    return path


def test_an_interrupted_rotation_is_finished_by_running_it_again(unbound: Settings) -> None:
    slot = key_slot(unbound.home, "log")
    slot.create("next")
    log = open_log(unbound)
    keys = log_keys(log.db, {"vkey": log.signer.verifier.vkey(), "origin": ORIGIN})
    index = announce(log, keys, log.signer, slot_signer(unbound.home, ORIGIN, "next"))
    log.db.dispose()  # killed here: announced, no hand-over checkpoint, not promoted
    with pytest.raises(NotInitialisedError, match="not finished"):
        open_log(unbound)
    done = rotate_log_key(unbound)
    assert done.resumed and done.index == index and done.checkpoint_size == index + 1
    log = open_log(unbound)
    assert log.signer.verifier.vkey() == done.new_key
    log.append([make_event(7)])
    log.checkpoint()
    log.db.dispose()
    assert _fsck_codes(unbound) == []


def test_a_retired_key_signing_after_the_new_one_took_over_is_refused(
        unbound: Settings) -> None:
    done = rotate_log_key(unbound)
    log = open_log(unbound)
    log.append([make_event(i) for i in range(5, 8)])
    first_new = log.checkpoint()
    retired = NoteSigner(ORIGIN, load_log_key(Path(str(done.retired))))
    log.signer = retired  # a copy of the retired key, still in use somewhere
    log.append([make_event(8)])
    log.checkpoint()
    log.db.dispose()
    assert first_new.size > done.checkpoint_size
    report = check_ledger(unbound.database_url, build(key=_first_key(unbound), origin=ORIGIN))
    problems = report.to_json()["problems"]
    # its receipt batch promise first (in index order), then its checkpoint
    assert [p["code"] for p in problems] == ["receipt_batch", "key_rotation"]
    assert problems[0]["evidence"]["checks"] == ["key"] and "retired" in problems[0]["detail"]
    assert "retired key" in problems[1]["detail"]
    assert NoteVerifier.from_vkey(done.old_key) == retired.verifier


def test_the_cli_rotates_and_witness_verify_follows_from_the_old_policy(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = Settings(home=tmp_path / "home", origin=ORIGIN, chain="embedded")
    init_home(s)
    log = open_log(s)
    bind_chain(s, log)
    log.append([make_event(i) for i in range(4)])
    _anchor(s, log)
    log.db.dispose()
    old_policy = _policy_file(s, tmp_path / "old.json")
    out = json.loads(run_witness(s, "keys", "rotate-log-key", "--json").stdout)
    assert out["log_key"]["old_key"] == json.loads(old_policy.read_text())["log_key"]
    assert out["checkpoint_signer"]["new"] != out["checkpoint_signer"]["old"]
    status = json.loads(run_witness(s, "keys", "status", "--json").stdout)["keys"]
    assert [k["public"] for k in status][1] == out["checkpoint_signer"]["new"]
    # a signer rotation left half-done (the chain was busy): the same command finishes it
    pending = load_checkpoint_key(s.home, create=True, stage="next").address
    again = json.loads(run_witness(s, "keys", "rotate-log-key", "--json").stdout)
    assert again["log_key"] is None and again["checkpoint_signer"]["new"] == pending
    log = open_log(s)
    log.append([make_event(9)])
    _anchor(s, log)
    receipt = tmp_path / "receipt.json"
    receipt.write_text(log.receipt(log.size() - 1).dumps(), encoding="utf-8")
    log.db.dispose()
    new_policy = _policy_file(s, tmp_path / "new.json")
    fingerprint = build(key=None, base=parse_policy(json.loads(old_policy.read_text()))
                        ).fingerprint
    # the fsck follows the rotations the log recorded; a receipt, those of the policy
    fsck = ["ledger", "--db", str(s.home / "witness.db"), "--no-progress"]
    checks = [(new_policy, fsck, 0), (old_policy, fsck, 0),
              (new_policy, ["receipt", str(receipt)], 0),
              (old_policy, ["receipt", str(receipt)], 1)]
    for policy, args, expected in checks:
        with pytest.raises(SystemExit) as exit_:
            main(["--policy", str(policy), "--policy-fingerprint", fingerprint, "--json",
                  *args])
        report = json.loads(capsys.readouterr().out)
        assert exit_.value.code == expected, report
    assert {p["code"] for p in report["problems"]} == {"signature"}
    assert "no valid rotation from the pinned key" in report["problems"][0]["detail"]


def _policy_file(s: Settings, path: Path) -> Path:
    path.write_text(json.dumps(policy_of(s).to_json()), encoding="utf-8")
    return path


def test_the_service_verifies_receipts_across_the_rotation(
        unbound: Settings) -> None:
    from fastapi.testclient import TestClient

    from witness_api import create_app
    from witness_api.config import ApiSettings

    done = rotate_log_key(unbound)
    log = open_log(unbound)
    log.append([make_event(i) for i in range(5, 8)])
    log.checkpoint()
    old, new = log.receipt(1), log.receipt(6)
    log.db.dispose()
    with TestClient(create_app(unbound, api=ApiSettings(access_log=False))) as client:
        for receipt in (old, new):
            report = client.post("/v1/verify/receipt", json=receipt.to_json()).json()
            assert report["ok"] is True, report
    assert NoteVerifier.from_vkey(done.new_key) == open_log_signer(unbound)


def open_log_signer(s: Settings) -> NoteVerifier:
    log = open_log(s)
    try:
        return log.signer.verifier
    finally:
        log.db.dispose()
