"""The log key as the ledger opens it: loaded from its slot (file or HSM) and checked against
the key the log's own history names.

The log records its first key at ``witness init`` (``log_info.vkey``) and every hand-over as
a LOG_KEY_ROTATED event; the key the log must be opened with is the end of that chain
(``ledger.core.key_rotation``), verified from the first key every time the log is opened.
Must not import the API or the verifier.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from ledger.core.canonical import decode_envelope
from ledger.core.errors import MalformedError
from ledger.core.key_rotation import LogKeys, follow_rotations
from ledger.core.note import NoteSigner, NoteVerifier
from ledger.errors import NotInitialisedError
from ledger.signers.slots import Stage, key_slot
from ledger.store.database import Database
from ledger.store.schema import events

ROTATED_TYPE = "LOG_KEY_ROTATED"
LEDGER_PROJECT = "ledger"
"""project_id of the ledger's own, project-less events (signer bindings, key rotations)."""


def rotation_events(db: Database) -> list[tuple[int, dict[str, Any]]]:
    """(log index, payload) of every LOG_KEY_ROTATED event, in log order."""
    with db.read() as conn:
        rows = conn.execute(
            select(events.c.idx, events.c.canonical)
            .where(events.c.project_id == LEDGER_PROJECT, events.c.event_type == ROTATED_TYPE)
            .order_by(events.c.idx)).all()
    out = []
    for idx, canonical in rows:
        payload = decode_envelope(bytes(canonical)).get("payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("statement"), str):
            raise MalformedError(f"the LOG_KEY_ROTATED event at index {idx} has no statement")
        out.append((int(idx), payload))
    return out


def log_keys(db: Database, info: dict[str, str]) -> LogKeys:
    """The log's keys, from its first key through every rotation it recorded."""
    statements = [payload["statement"] for _, payload in rotation_events(db)]
    return follow_rotations(NoteVerifier.from_vkey(info["vkey"]), info["origin"], statements)


def slot_signer(home: Path, origin: str, stage: Stage = "current") -> NoteSigner:
    return NoteSigner(origin, key_slot(home, "log").ed25519(stage))


def load_log_signer(home: Path, origin: str, keys: LogKeys | None, *,
                    handover: bool = False) -> NoteSigner:
    """The log key in ``home``'s slot, once it is the log's current key (``keys``; None: any,
    as at ``witness init``). ``handover``: the key the last rotation hands over *from* is
    accepted too (only to seal the hand-over checkpoint)."""
    slot = key_slot(home, "log")
    signer = NoteSigner(origin, slot.ed25519())
    if keys is None or signer.verifier == keys.current:
        return signer
    if handover and len(keys.keys) > 1 and signer.verifier == keys.keys[-2]:
        return signer
    if slot.exists("next") and slot_signer(home, origin, "next").verifier == keys.current:
        raise NotInitialisedError("a log key rotation was announced in the log but not "
                                  "finished: run `witness keys rotate-log-key` again")
    raise NotInitialisedError(f"the log key at {slot.where()} is not this log's key "
                              f"({keys.current.vkey()})")
