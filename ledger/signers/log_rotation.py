"""Rotating the log key (`witness keys rotate-log-key`), crash-safe and resumable.

1. A next key is made in the log key's slot (a file ``log.key.next`` or a token label
   ``<label>.next``): the token makes it itself, it never leaves it.
2. The hand-over is announced *in the log*: a LOG_KEY_ROTATED event whose statement (old
   key, new key, ``after`` = the log size then) the old key signs and the new key countersigns.
3. The old key seals a checkpoint over it, so the announcement is itself witnessed (and
   anchored with the next anchor) under the key verifiers already trust.
4. The slot promotes the next key: from then on every checkpoint, promise and project head
   is signed by the new key; the old one is retired (``log.key.retired-<time>``).
A run killed after step 2 leaves the log naming the new key while the slot still holds the
old one: opening the log then says so, and running the rotation again finishes steps 3–4.
The checkpoint signer bound on chain follows (``ledger.anchoring.rotation``).
Must not import the API or the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.core.errors import WitnessError
from ledger.core.key_rotation import KeyRotation, LogKeys, sign_rotation
from ledger.core.note import NoteSigner
from ledger.events import event_to_json, parse_event
from ledger.home import open_log, read_log_info
from ledger.log import Rejected, WitnessLog
from ledger.settings import Settings
from ledger.signers.log_key import (
    LEDGER_PROJECT,
    ROTATED_TYPE,
    log_keys,
    rotation_events,
    slot_signer,
)
from ledger.signers.slots import key_slot
from ledger.store.database import Database


@dataclass(frozen=True)
class LogKeyRotated:
    """What a rotation did: the keys, where the statement sits, the hand-over checkpoint."""

    old_key: str
    new_key: str
    after: int
    index: int
    checkpoint_size: int
    retired: str | None
    resumed: bool

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def rotate_log_key(settings: Settings) -> LogKeyRotated:
    """Hand the log key over to a new one (or finish a hand-over already announced)."""
    db = Database(settings.database_url)
    try:
        info = read_log_info(db)
        if "origin" not in info:
            raise WitnessError("the database has no log: run `witness init`")
        keys = log_keys(db, info)
        slot = key_slot(settings.home, "log")
        current = slot_signer(settings.home, info["origin"])
        resumed = current.verifier != keys.current
        if resumed:
            _check_pending(settings, info["origin"], keys)
        elif not slot.exists("next"):
            slot.create("next")
        log = open_log(settings, db=db, handover=resumed)
        new = slot_signer(settings.home, info["origin"], "next")
        index = _last_index(db) if resumed else announce(log, keys, current, new)
        handover = log.checkpoint()  # by the old key, over the announcement
        retired = slot.promote()
        payload = rotation_events(db)[-1][1]
        return LogKeyRotated(payload["old_key"], payload["new_key"], int(payload["after"]),
                             index, handover.size, retired, resumed)
    finally:
        db.dispose()


def _check_pending(settings: Settings, origin: str, keys: LogKeys) -> None:
    """The slot's next key must be the one the log's last rotation announced."""
    slot = key_slot(settings.home, "log")
    if not slot.exists("next") or slot_signer(settings.home, origin, "next").verifier \
            != keys.current:
        raise WitnessError(f"the log key at {slot.where()} is neither this log's current key "
                           f"nor the one its last rotation hands over from, and "
                           f"{slot.where('next')} is not the announced new key")


def _last_index(db: Database) -> int:
    return rotation_events(db)[-1][0]


def announce(log: WitnessLog, keys: LogKeys, old: NoteSigner, new: NoteSigner) -> int:
    """Append the LOG_KEY_ROTATED event (signed by ``old`` and ``new``): its log index."""
    after = log.size()
    rotation = KeyRotation(log.origin, old.verifier, new.verifier, after)
    event = {
        "event_id": f"log-key-rotation:{len(keys.keys)}", "type": ROTATED_TYPE,
        "project_id": LEDGER_PROJECT, "occurred_at": log.clock(),
        "actor": {"id": "ledger", "role": "system"},
        "payload": {"old_key": old.verifier.vkey(), "new_key": new.verifier.vkey(),
                    "after": after, "statement": sign_rotation(rotation, old, new)},
    }
    (result,) = log.append([event_to_json(parse_event(event))])
    if isinstance(result, Rejected):
        raise result.error
    return result.index
