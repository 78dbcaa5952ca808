"""The anchorer: seals checkpoints and anchors them on chain, crash-safe and idempotent.

One attempt: reconcile what a previous run left; seal a checkpoint if the log grew; check
that the chain's latest checkpoint is one of the log's own signed checkpoints (else stop:
``ForeignCheckpoint``, an integrity failure); then, for every stored checkpoint newer than
the chain's latest, in order of size (checkpoints sealed on demand too: a lead transfer,
``witness checkpoint``), at most ``max_per_round`` of them: sign it with the log's checkpoint
key and the ``anchor`` transaction with the anchorer account, locally; write the intent (tx
hash, nonce, raw bytes) and commit; broadcast; wait for the confirmations; record the
anchor. An Anchorer works on one chain; a log bound to several runs one per chain.

A process killed at any point leaves either no intent (nothing sent), or an intent
whose transaction reconcile finds mined (recorded, never re-sent) or not (the same bytes re-
broadcast, so the same nonce: never two anchors for one checkpoint). Must not import the API
or the verifier.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from eth_account.signers.local import LocalAccount
from sqlalchemy import func, insert, select

from chain_access import ChainBackend, ChainRevert, PreparedTx, TxReceipt
from chain_access.errors import ChainMismatch, ChainReadOnly
from chain_access.registry_events import anchored_in
from ledger.anchoring import registry
from ledger.anchoring.binding import ChainBinding
from ledger.anchoring.signer import CheckpointKey
from ledger.core.errors import WitnessError
from ledger.errors import NotFoundError
from ledger.log import CheckpointRecord, WitnessLog
from ledger.loops import LoopMonitor
from ledger.store.schema import anchor_intents, anchors

_log = logging.getLogger("witness.anchorer")
#: Called with the name of each step an anchor passes ("after_intent": the intent is
#: committed, "after_send": the transaction is broadcast). Empty in production; the crash
#: tests (tests/ledger/anchoring/crash_launcher.py) install one that kills the process there.
ANCHOR_STEP_HOOKS: list[Callable[[str], None]] = []
#: Anchor transactions per round at most: a burst of checkpoints sealed on demand costs at
#: most this many anchors (~100k gas each) per checkpoint interval; the rest wait.
MAX_ANCHORS_PER_ROUND = 8


class AnchorDivergence(WitnessError):
    """The chain holds a checkpoint our log cannot extend: the log was rewritten or reset."""


FINAL_REVERTS = frozenset({"LogIsFrozen", "UnknownLog", "NotAnchorer"})
"""Registry errors no retry can cure: the log frozen by the registry's admin, not
registered, or this account not (or no longer) allowed to anchor it."""


class ForeignCheckpoint(AnchorDivergence):
    """The chain's latest checkpoint is not one the log signed: a root that differs from the
    log's signed checkpoint of that size, or a size beyond the log. Someone anchored what the
    log never signed (a compromised key or registry): an integrity failure, never pending.
    ``evidence`` holds both sides."""

    def __init__(self, message: str, evidence: dict[str, object]) -> None:
        super().__init__(message)
        self.evidence = evidence


@dataclass(frozen=True)
class AnchorOutcome:
    """What one anchoring attempt did."""

    action: str  # "anchored" | "reconciled" | "up-to-date"
    checkpoint_size: int
    chain_size: int
    tx_hash: str | None = None  # of the last anchor sent in this attempt
    gas_used: int | None = None  # of the last anchor sent in this attempt
    anchored: int = 0  # anchors sent in this attempt
    remaining: int = 0  # stored checkpoints still waiting for a later round


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Anchorer:
    """Anchors the checkpoints of one log on its bound registry."""

    def __init__(self, log: WitnessLog, chain: ChainBackend, binding: ChainBinding,
                 account: LocalAccount, *, checkpoint_key: CheckpointKey | None = None,
                 on_anchored: Callable[[AnchorOutcome], None] | None = None,
                 on_failed: Callable[[Exception], None] | None = None,
                 max_per_round: int = MAX_ANCHORS_PER_ROUND) -> None:
        self.log = log
        self.chain = chain
        self.binding = binding
        self.account = account
        self.checkpoint_key = checkpoint_key  # None: read-only use (chain_head, check_chain)
        # Observers (e.g. the service's Prometheus metrics); the ledger never imports the API.
        self.on_anchored = on_anchored
        self.on_failed = on_failed
        self.max_per_round = max(1, max_per_round)
        self._abi = registry.abi()
        self._log_id = bytes.fromhex(binding.log_id.removeprefix("0x"))
        # this chain's rows in the anchors and anchor_intents tables
        self._mine = ((anchors.c.chain_id == binding.chain_id)
                      & (anchors.c.registry == binding.registry))
        self._my_intents = ((anchor_intents.c.chain_id == binding.chain_id)
                            & (anchor_intents.c.registry == binding.registry))

    # -- chain view -------------------------------------------------------------------

    def chain_head(self) -> tuple[int, int, bytes]:
        """(number of checkpoints, latest size, latest root) of this log on chain."""
        count = int(self.chain.call(self.binding.registry, self._abi, "checkpointCount",
                                    [self._log_id]))
        if count == 0:
            return 0, 0, b""
        cp = self.chain.call(self.binding.registry, self._abi, "latestCheckpoint",
                             [self._log_id])
        return count, int(cp[0]), bytes(cp[1])

    # -- one attempt -------------------------------------------------------------------

    def check_chain(self) -> tuple[int, int, bytes]:
        """``chain_head()``, once its latest checkpoint is one the log signed.

        Raises ``ForeignCheckpoint`` (an integrity failure, naming both values) when the
        chain's checkpoint is beyond the log, or the log signed no checkpoint of that size,
        or signed another root for it."""
        count, size, root = self.chain_head()
        if count == 0:
            return count, size, root
        log_size = self.log.size()
        signed = self._signed_root(size) if size <= log_size else None
        if signed == root:
            return count, size, root
        if size > log_size:
            ours = f"the log has only {log_size} events"
        elif signed is None:
            ours = (f"the log signed no checkpoint of size {size} (its tree of that size has "
                    f"root {self.log.tree_hash(size).hex()})")
        else:
            ours = f"the log's signed checkpoint of size {size} has root {signed.hex()}"
        raise ForeignCheckpoint(
            f"integrity failure: on chain, checkpoint {count - 1} of this log has size {size} "
            f"and root {root.hex()}, but {ours}: the log never signed what the chain holds",
            {"chain_index": count - 1, "chain_size": size, "chain_root": root.hex(),
             "log_size": log_size, "log_root": signed.hex() if signed else None})

    def _signed_root(self, size: int) -> bytes | None:
        try:
            return self.log.checkpoint_at(size).root
        except NotFoundError:
            return None

    def anchor_once(self) -> AnchorOutcome:
        reconciled = self.reconcile()
        newest = self.log.checkpoint()
        count, chain_size, chain_root = self.check_chain()
        due = self._due(count, chain_size, newest)
        if not due:
            action = "reconciled" if reconciled else "up-to-date"
            return AnchorOutcome(action, newest.size, chain_size)
        if self.checkpoint_key is None:
            raise WitnessError("anchoring needs the log's checkpoint key (checkpoint.key)")
        first_chain_size, sent = chain_size, 0
        tx_hash: str | None = None
        gas: int | None = None
        for checkpoint in due[:self.max_per_round]:
            tx_hash, gas = self._anchor(checkpoint, chain_size, chain_root)
            chain_size, chain_root, sent = checkpoint.size, checkpoint.root, sent + 1
        return AnchorOutcome("anchored", chain_size, first_chain_size, tx_hash, gas, sent,
                             len(due) - sent)

    def _due(self, count: int, chain_size: int, newest: CheckpointRecord
             ) -> list[CheckpointRecord]:
        """Stored checkpoints to anchor, in order: every one beyond the chain's latest (size 0
        never: the registry takes no empty tree). A chain with no checkpoint of this log yet
        (just bound) starts with the newest: older ones are not sent there one by one."""
        if newest.size <= chain_size:  # equal: check_chain refused anything beyond
            return []
        if count == 0:
            return [newest] if newest.size > 0 else []
        return [c for c in self.log.checkpoints_between(chain_size + 1, newest.size)
                if c.size > 0]

    def _anchor(self, checkpoint: CheckpointRecord, chain_size: int, chain_root: bytes
                ) -> tuple[str, int]:
        """Send one anchor over the chain's ``chain_size``/``chain_root``: (tx hash, gas)."""
        assert self.checkpoint_key is not None
        proof = self._proof_from_chain(chain_size, chain_root, checkpoint)
        sig = self.checkpoint_key.sign_checkpoint(
            self.binding.chain_id, self.binding.registry, self._log_id, checkpoint.size,
            checkpoint.root)
        prepared = self.chain.prepare_transact(
            self.binding.registry, self._abi, "anchor",
            [self._log_id, checkpoint.size, checkpoint.root, proof, *sig.args()], self.account)
        self._record_intent(prepared, checkpoint.size, chain_size)
        self._step("after_intent")
        ref = self.chain.send_prepared(prepared, self._abi)
        self._step("after_send")
        rec = self.chain.receipt(ref.tx_hash)
        assert rec is not None
        self._record_anchor(rec)
        return "0x" + ref.tx_hash.hex(), ref.gas_used

    def _proof_from_chain(self, chain_size: int, chain_root: bytes,
                          checkpoint: CheckpointRecord) -> list[bytes]:
        if chain_size == 0:
            return []
        ours = self.log.tree_hash(chain_size)
        if ours != chain_root:
            raise AnchorDivergence(
                f"the chain's checkpoint of size {chain_size} has root {chain_root.hex()} but "
                f"the log's tree of that size has root {ours.hex()}: the log was rewritten")
        return self.log.consistency_proof(chain_size, checkpoint.size)

    @staticmethod
    def _step(point: str) -> None:
        for hook in ANCHOR_STEP_HOOKS:
            hook(point)

    # -- records -----------------------------------------------------------------------

    def _record_intent(self, tx: PreparedTx, size: int, from_size: int) -> None:
        with self.log.db.write() as conn:
            # attempts are numbered across all chains (the table's key)
            attempt = conn.execute(select(func.max(anchor_intents.c.attempt))).scalar()
            conn.execute(insert(anchor_intents), [{
                "attempt": (attempt or 0) + 1, "checkpoint_size": size, "from_size": from_size,
                "chain_id": self.binding.chain_id, "registry": self.binding.registry,
                "sender": tx.sender, "nonce": tx.nonce, "tx_hash": "0x" + tx.tx_hash.hex(),
                "raw_tx": tx.raw, "created_at": _now(),
            }])

    def _record_anchor(self, rec: TxReceipt) -> None:
        event = next(e for e in anchored_in(rec.logs, self.binding.registry)
                     if e.log_id == self._log_id)
        index, size, root = event.index, event.tree_size, event.root
        block = self.chain.get_block(rec.block_number)
        with self.log.db.write() as conn:
            if conn.execute(select(anchors.c.checkpoint_size)
                            .where(self._mine & (anchors.c.checkpoint_size == size))).first():
                return
            conn.execute(insert(anchors), [{
                "checkpoint_size": size, "chain_id": self.binding.chain_id,
                "registry": self.binding.registry, "log_id": self.binding.log_id,
                "chain_index": index, "tx_hash": "0x" + rec.tx_hash.hex(),
                "block_number": rec.block_number, "block_hash": "0x" + rec.block_hash.hex(),
                "block_timestamp": block.timestamp, "gas_used": rec.gas_used,
                "confirmed_at": _now(),
            }])
        _log.info("anchored size %d root %s on chain %d in block %d", size, root.hex(),
                  self.binding.chain_id, rec.block_number)

    # -- crash recovery ----------------------------------------------------------------

    def reconcile(self) -> bool:
        """Finish this chain's newest unrecorded intent: record it if mined, re-send it if not."""
        with self.log.db.read() as conn:
            row = conn.execute(select(anchor_intents).where(self._my_intents).order_by(
                anchor_intents.c.attempt.desc()).limit(1)).first()
            done = row is not None and conn.execute(
                select(anchors.c.tx_hash).where(anchors.c.tx_hash == row.tx_hash)).first()
        if row is None or done:
            return False
        tx_hash = bytes.fromhex(row.tx_hash.removeprefix("0x"))
        rec = self.chain.receipt(tx_hash)
        if rec is None and self.chain.nonce(row.sender) > row.nonce:
            return False  # superseded: that nonce was used by another transaction
        if rec is None:
            tx = PreparedTx(tx_hash, bytes(row.raw_tx), int(row.nonce), row.sender,
                            self.binding.registry)
            self.chain.send_prepared(tx, self._abi)
            rec = self.chain.receipt(tx_hash)
        if rec is None or rec.status != 1:
            return False
        self._record_anchor(rec)
        return True

    # -- the loop ----------------------------------------------------------------------

    def _retry(self, exc: Exception, stop: threading.Event, monitor: LoopMonitor) -> None:
        if self.on_failed is not None:
            self.on_failed(exc)
        stop.wait(monitor.failed(exc))

    def _final(self, exc: Exception, monitor: LoopMonitor) -> None:
        """No retry can cure ``exc``: count it, record why the loop stops, re-raise."""
        if self.on_failed is not None:
            self.on_failed(exc)
        monitor.stopped(exc)

    def follow(self, interval: float, max_events: int, stop: threading.Event,
               monitor: LoopMonitor | None = None) -> None:
        """Anchor every ``interval`` seconds or ``max_events`` new events until ``stop``.

        A store, chain or OS error (a full disk, a database restarting, a chain that is down
        or refuses a transaction) is retried with the monitor's capped backoff: nothing was
        recorded half-way (each step is one transaction) and an intent is reconciled on the
        next attempt. A diverged log, a foreign checkpoint, a mismatched chain or a registry
        that refuses this log for good stop it (recorded in ``monitor``) and propagate."""
        monitor = monitor or LoopMonitor("anchorer", None, logger=_log)
        next_due, last_size = 0.0, -1
        while not stop.is_set():
            try:
                size = self.log.size()
                started = time.monotonic()
                if started >= next_due or size - max(last_size, 0) >= max_events:
                    outcome = self.anchor_once()
                    # Due times run from the start of each attempt, so an anchor that takes
                    # a while does not push every later checkpoint back by its duration.
                    last_size, next_due = outcome.checkpoint_size, started + interval
                    monitor.ok()
                    if self.on_anchored is not None and outcome.action == "anchored":
                        self.on_anchored(outcome)
            except ChainRevert as exc:
                if exc.name in FINAL_REVERTS:  # retrying cannot help: stop and say why
                    self._final(exc, monitor)
                    raise
                self._retry(exc, stop, monitor)
                continue
            except (AnchorDivergence, ChainMismatch, ChainReadOnly) as exc:
                # Not retried: no later checkpoint can be anchored over a foreign one, and an
                # operator must see it (docs/operations.md: freeze the log id, a successor).
                self._final(exc, monitor)
                raise
            except Exception as exc:  # storage, chain and OS errors: retried (see above)
                self._retry(exc, stop, monitor)
                continue
            stop.wait(min(0.2, interval))
