"""The log's checkpoint key and what the ledger's own commands say about a checkpoint on
chain that the log never signed (embedded chain; real CLI processes).

A foreign checkpoint is planted the way an attacker holding both keys would: signed with
the log's checkpoint key read from the data directory, sent from its anchorer account.
"""

from __future__ import annotations

import json
import stat
import threading

import pytest

from chain_access import open_chain
from ledger.anchoring import (
    ForeignCheckpoint,
    open_bound_chain,
    read_binding,
    readiness,
    registry,
)
from ledger.anchoring.anchorer import Anchorer
from ledger.anchoring.binding import anchorer_account
from ledger.anchoring.signer import KEY_FILE, load_checkpoint_key, signer_statement
from ledger.core.note import open_note
from ledger.home import open_log
from ledger.settings import Settings
from tests.ledger.anchoring.conftest import BOUND, append_events, run_witness

FAKE_ROOT = bytes(range(32))


def _plant(settings: Settings, size: int, root: bytes) -> None:
    """Anchor (size, root) as this log's first checkpoint, bypassing the ledger."""
    log = open_log(settings)
    binding = read_binding(log)
    assert binding is not None
    log.db.dispose()
    chain = open_chain(settings.chain, settings.home)
    try:
        lid = bytes.fromhex(binding.log_id[2:])
        sig = load_checkpoint_key(settings.home).sign_checkpoint(
            binding.chain_id, binding.registry, lid, size, root)
        chain.transact(binding.registry, registry.abi(), "anchor",
                       [lid, size, root, [], *sig.args()],
                       anchorer_account(settings, create=False))
    finally:
        chain.close()


def test_checkpoint_key_and_its_binding_event(embedded_settings: Settings) -> None:
    path = embedded_settings.home / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    log = open_log(embedded_settings)
    binding = read_binding(log)
    assert binding is not None and log.size() == BOUND
    event = json.loads(log.event_bytes(0))
    assert event["type"] == "CHECKPOINT_SIGNER_BOUND"
    payload = event["payload"]
    key = load_checkpoint_key(embedded_settings.home)
    assert payload["signer"] == binding.signer == key.address
    assert repr(key) == f"CheckpointKey({key.address})"  # never the secret
    body = open_note(payload["statement"], [log.signer.verifier])
    lid = bytes.fromhex(binding.log_id[2:])
    assert body == signer_statement(log.origin, binding.chain_id, binding.registry, lid,
                                    key.address)
    chain, _ = open_bound_chain(embedded_settings, log, readonly=True)
    signer = chain.call(binding.registry, registry.abi(), "checkpointSigner", [lid])
    assert str(signer).lower() == key.address.lower()
    chain.close()
    log.db.dispose()


@pytest.mark.parametrize("case", ["other root", "beyond the log"])
def test_commands_report_a_foreign_checkpoint(embedded_settings: Settings, case: str) -> None:
    append_events(embedded_settings, 0, 10)
    size = 10 + BOUND if case == "other root" else 50
    if case == "other root":
        log = open_log(embedded_settings)
        log.checkpoint()  # the log signs its own checkpoint of that size
        real_root = log.checkpoint_at(size).root.hex()
        log.db.dispose()
    _plant(embedded_settings, size, FAKE_ROOT)

    status = run_witness(embedded_settings, "--json", "chain", check=False)
    assert status.returncode == 1 and "Traceback" not in status.stderr
    data = json.loads(status.stdout)
    assert data["integrity"] == "failure" and data["lag_events"] is None
    assert data["evidence"]["chain_root"] == FAKE_ROOT.hex()
    text = run_witness(embedded_settings, "chain", check=False)
    assert text.returncode == 1 and FAKE_ROOT.hex() in text.stderr

    anchored = run_witness(embedded_settings, "anchor", check=False)
    assert anchored.returncode == 1 and anchored.stderr.count("\n") == 1
    message = anchored.stderr
    assert "integrity failure" in message and FAKE_ROOT.hex() in message
    assert f"size {size}" in message and "rolled back" not in message
    if case == "other root":
        assert real_root in message and data["evidence"]["log_root"] == real_root
    else:
        assert f"only {10 + BOUND} events" in message

    ok, detail = readiness(embedded_settings)[1:]
    assert not ok and "integrity failure" in detail


def test_the_anchorer_thread_stops_on_a_foreign_checkpoint(embedded_settings: Settings) -> None:
    append_events(embedded_settings, 0, 4)
    _plant(embedded_settings, 40, FAKE_ROOT)
    log = open_log(embedded_settings)
    chain, binding = open_bound_chain(embedded_settings, log)
    failures: list[Exception] = []
    anchorer = Anchorer(log, chain, binding, anchorer_account(embedded_settings, create=False),
                        checkpoint_key=load_checkpoint_key(embedded_settings.home),
                        on_failed=failures.append)
    with pytest.raises(ForeignCheckpoint) as info:
        anchorer.follow(0.1, 1000, threading.Event())
    chain.close()
    assert failures == [info.value]
    assert info.value.evidence["chain_size"] == 40
    assert info.value.evidence["log_size"] == 4 + BOUND
