"""fsck: the log's key history, from the pinned key through the rotations the log recorded.

Role: read every LOG_KEY_ROTATED event of the database and follow its statement from the
pinned key (``ledger.core.key_rotation``): each must be signed by the key trusted at that
point and by the key it hands over to; one that is not (a forged rotation) is a failure,
and the keys after it stay untrusted. Then every checkpoint must be signed by a key of that
history that may sign its size: above the statement's ``after`` and above the index of the
event that announced the key (the announcement is inside every tree the new key signs), and
never by an older key once a newer one has signed (a retired key signing later checkpoints is
a stolen or misused key). A policy that carries rotations must carry those the log recorded.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI, the SQLAlchemy ORM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ledger.core.canonical import decode_envelope
from ledger.core.errors import MalformedError, VerificationError
from ledger.core.key_rotation import KeyRotation, KeyRotationError, LogKeys, open_rotation
from ledger.core.note import Checkpoint
from verifier.policy import TrustPolicy
from verifier.report import Report

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from verifier.readers.db import LedgerDB


class KeyHistory:
    """The log keys the fsck trusts, with where each was announced in the log."""

    def __init__(self, report: Report, policy: TrustPolicy, rows: list[tuple[int, bytes]]
                 ) -> None:
        self.report, self.origin = report, policy.origin
        self.keys = LogKeys.pinned(policy.verifier)
        self.announced: list[int] = [-1]  # log index of the event announcing each key
        self.newest_used = 0
        rotations: list[KeyRotation] = []
        for index, data in rows:
            try:
                rotation = self._rotation(data)
                self.keys = self.keys.then(rotation)
            except (VerificationError, MalformedError) as exc:
                report.fail("key_rotation", f"log key rotation at index {index}: {exc}",
                            index=index)
                break  # the keys it would name stay untrusted
            rotations.append(rotation)
            self.announced.append(index)
            report.count("key_rotations")
        self._policy_rotations(policy, rotations)

    def _rotation(self, data: bytes) -> KeyRotation:
        payload: Any = decode_envelope(data).get("payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("statement"), str):
            raise MalformedError("the event carries no rotation statement")
        rotation = open_rotation(payload["statement"], self.keys.current, self.origin)
        named = (payload.get("old_key"), payload.get("new_key"), payload.get("after"))
        if named != (rotation.old.vkey(), rotation.new.vkey(), rotation.after):
            raise KeyRotationError("the event's old_key, new_key or after differ from its "
                                   "signed statement")
        return rotation

    def _policy_rotations(self, policy: TrustPolicy, rotations: list[KeyRotation]) -> None:
        pinned = policy.log_keys.keys[1:]
        for k, key in enumerate(pinned):
            if k >= len(rotations) or rotations[k].new != key:
                self.report.fail("key_rotation", f"the trust policy's log key rotation {k} "
                                 f"(to {key.vkey()}) is not the one this log recorded")
                return

    def open(self, note: str, size: int) -> Checkpoint:
        """The checkpoint of ``note``, once a key of the history may sign it (in order)."""
        checkpoint, j = self.keys.open_checkpoint(note, self.origin)
        if size <= self.announced[j]:
            raise KeyRotationError(f"checkpoint {size} is signed by log key {j}, announced "
                                   f"at index {self.announced[j]}, which it does not cover")
        if j < self.newest_used:
            raise KeyRotationError(f"checkpoint {size} is signed by log key {j} after key "
                                   f"{self.newest_used} took over: a retired key signed it")
        self.newest_used = j
        return checkpoint


def key_history(report: Report, policy: TrustPolicy, db: LedgerDB,
                conn: Connection) -> KeyHistory:
    return KeyHistory(report, policy, db.rotation_events(conn))
