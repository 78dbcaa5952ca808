"""Anchoring on the embedded py-evm chain: persistence across restarts, crash safety with a
fault hook, reconciliation, divergence and chain-identity checks, backoff while down."""

from __future__ import annotations

import shutil
import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from chain_access import ChainMismatch, ChainUnavailable
from ledger.anchoring import AnchorDivergence, Anchorer, open_bound_chain
from ledger.anchoring.binding import anchorer_account
from ledger.anchoring.signer import load_checkpoint_key
from ledger.core import verify
from ledger.core.receipt import verify_receipt_offline
from ledger.home import open_log
from ledger.settings import Settings
from ledger.store.schema import anchor_intents, anchors
from tests.ledger.anchoring.conftest import BOUND, append_events, run_witness
from tests.ledger.anchoring.crash_launcher import KILLED, run_killed_at


def _anchorer(settings: Settings) -> tuple[Anchorer, Any]:
    log = open_log(settings)
    chain, binding = open_bound_chain(settings, log)
    return Anchorer(log, chain, binding, anchorer_account(settings, create=False),
                    checkpoint_key=load_checkpoint_key(settings.home)), chain


def _counts(settings: Settings) -> tuple[int, int]:
    log = open_log(settings)
    with log.db.read() as conn:
        intents = conn.execute(select(func.count()).select_from(anchor_intents)).scalar()
        done = conn.execute(select(func.count()).select_from(anchors)).scalar()
    log.db.dispose()
    return int(intents or 0), int(done or 0)


def test_anchored_checkpoints_survive_a_restart(embedded_settings: Settings) -> None:
    append_events(embedded_settings, 0, 20)
    anchorer, chain = _anchorer(embedded_settings)
    first = anchorer.anchor_once()
    append_events(embedded_settings, 20, 13)
    second = anchorer.anchor_once()
    # + BOUND: binding the chain appended CHECKPOINT_SIGNER_BOUND at index 0
    assert (first.action, first.checkpoint_size, second.checkpoint_size) == (
        "anchored", 20 + BOUND, 33 + BOUND)
    assert second.gas_used and second.gas_used < 100_000
    head = anchorer.chain_head()
    chain.close()

    reopened, chain2 = _anchorer(embedded_settings)  # a new process would do the same
    assert reopened.chain_head() == head == (2, 33 + BOUND, reopened.log.tree_hash(33 + BOUND))
    receipt = reopened.log.receipt(25)
    assert receipt.anchored is not None and receipt.anchored.anchor is not None
    assert receipt.anchored.anchor["tree_size"] == 33 + BOUND
    verify_receipt_offline(receipt, reopened.log.signer.verifier)
    registry_abi = reopened._abi
    assert chain2.call(reopened.binding.registry, registry_abi, "verifyInclusion", [
        bytes.fromhex(reopened.binding.log_id[2:]), receipt.anchored.anchor["chain_index"],
        25, receipt.leaf_hash, list(receipt.anchored.inclusion_proof)])
    assert reopened.anchor_once().action == "up-to-date"
    chain2.close()


@pytest.mark.parametrize("fault", ["after_intent", "after_send"])
def test_killed_anchorer_never_double_anchors(embedded_settings: Settings, fault: str) -> None:
    append_events(embedded_settings, 0, 10)
    killed = run_killed_at(embedded_settings, fault, "anchor")
    assert killed.returncode == KILLED, killed.stderr
    assert _counts(embedded_settings) == (1, 0)  # intent recorded, anchor not
    out = run_witness(embedded_settings, "--json", "anchor")
    assert '"reconciled"' in out.stdout
    assert _counts(embedded_settings) == (1, 1)
    append_events(embedded_settings, 10, 5)
    run_witness(embedded_settings, "anchor")
    anchorer, chain = _anchorer(embedded_settings)
    assert anchorer.chain_head()[:2] == (2, 15 + BOUND)  # exactly one anchor per checkpoint
    chain.close()
    assert _counts(embedded_settings) == (2, 2)


def test_rewritten_log_is_refused(embedded_settings: Settings, tmp_path: Any) -> None:
    append_events(embedded_settings, 0, 8)
    anchorer, chain = _anchorer(embedded_settings)
    anchorer.anchor_once()
    anchorer.log.tree_hash = lambda n: b"\x00" * 32  # type: ignore[method-assign]
    append_events(embedded_settings, 8, 2)
    with pytest.raises(AnchorDivergence, match="rewritten"):
        anchorer.anchor_once()
    chain.close()


def test_reset_chain_is_detected(embedded_settings: Settings) -> None:
    chain_dir = embedded_settings.home / "chain"
    shutil.rmtree(chain_dir)  # the chain was reset: a new genesis
    from chain_access import open_chain

    open_chain("embedded", embedded_settings.home).close()
    log = open_log(embedded_settings)
    with pytest.raises(ChainMismatch, match=r"genesis|chain"):
        open_bound_chain(embedded_settings, log)
    failed = run_witness(embedded_settings, "anchor", check=False)
    assert failed.returncode != 0 and "Traceback" not in failed.stderr
    assert failed.stderr.count("\n") == 1


class _FlakyChain:
    """The real chain, except that it answers ChainUnavailable while ``down`` is set."""

    def __init__(self, real: Any) -> None:
        self.real, self.down = real, threading.Event()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.real, name)
        if not callable(attr):
            return attr

        def guarded(*args: Any, **kwargs: Any) -> Any:
            if self.down.is_set():
                raise ChainUnavailable("chain down (test)")
            return attr(*args, **kwargs)
        return guarded


def test_follow_backs_off_while_the_chain_is_down(embedded_settings: Settings) -> None:
    anchorer, chain = _anchorer(embedded_settings)
    flaky = _FlakyChain(chain)
    anchorer.chain = flaky  # type: ignore[assignment]
    head = chain.block_number()
    flaky.down.set()
    stop = threading.Event()
    thread = threading.Thread(target=anchorer.follow, args=(0.2, 1000, stop))
    thread.start()
    append_events(embedded_settings, 0, 12)  # ingestion goes on while the chain is down
    time.sleep(1.0)
    # while it is down nothing reaches the chain and nothing is even intended
    assert chain.block_number() == head
    assert _counts(embedded_settings) == (0, 0)
    flaky.down.clear()
    deadline = time.monotonic() + 30
    while _counts(embedded_settings)[1] == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    thread.join(timeout=30)
    chain.close()
    assert _counts(embedded_settings)[1] >= 1
    log = open_log(embedded_settings)
    receipt = log.receipt(11)
    assert receipt.anchored is not None and receipt.anchored.anchor is not None
    cp = log.checkpoint_at(receipt.anchored.anchor["tree_size"])
    verify.verify_inclusion(11, cp.size, receipt.leaf_hash, receipt.anchored.inclusion_proof,
                            cp.root)


def test_follow_reports_anchors_and_failures_to_observers(embedded_settings: Settings) -> None:
    anchorer, chain = _anchorer(embedded_settings)
    gas: list[int] = []
    failures: list[Exception] = []
    anchorer.on_anchored = lambda outcome: gas.append(outcome.gas_used or 0)
    anchorer.on_failed = failures.append
    flaky = _FlakyChain(chain)
    anchorer.chain = flaky  # type: ignore[assignment]
    flaky.down.set()
    append_events(embedded_settings, 0, 5)
    stop = threading.Event()
    thread = threading.Thread(target=anchorer.follow, args=(0.2, 1000, stop))
    thread.start()
    time.sleep(1.5)
    flaky.down.clear()
    deadline = time.monotonic() + 30
    while not gas and time.monotonic() < deadline:
        time.sleep(0.2)
    stop.set()
    thread.join(timeout=30)
    chain.close()
    assert failures and all(isinstance(f, ChainUnavailable) for f in failures)
    assert gas and 0 < gas[0] < 200_000
