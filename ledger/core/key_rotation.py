"""Log key rotation: the statement by which one log key hands over to the next, and the key
chain a verifier follows from the key it pinned.

A rotation statement is a signed note whose body is, one per line::

    witness-log-key-rotation/v1
    <origin>
    old <verifier key of the outgoing log key>
    new <verifier key of the incoming log key>
    after <tree size>

signed by the outgoing key (its authority to hand over) and by the incoming key (proof that
whoever announced it holds it). The incoming key signs only checkpoints of sizes above
``after``; the ledger writes the statement into the log itself (a LOG_KEY_ROTATED event) and
seals a checkpoint over it with the outgoing key before switching. A verifier trusts the
pinned key and every key reachable from it through valid statements, in order; a
checkpoint signed by any other key is refused (docs/formats.md, docs/keys.md).

Must not import anything outside the standard library and ``cryptography``; no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger.core.errors import MalformedError, SignatureError
from ledger.core.note import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    is_canonical_uint64,
    open_note,
    split_note,
)

ROTATION_HEADER = "witness-log-key-rotation/v1"
MAX_ROTATIONS = 64
"""More hand-overs than this in one chain is not a key history but an attack on the reader."""


class KeyRotationError(SignatureError):
    """A rotation statement that does not hand over from the key the verifier trusts."""

    code = "key_rotation"


@dataclass(frozen=True)
class KeyRotation:
    """One hand-over from ``old`` to ``new``, effective for tree sizes above ``after``."""

    origin: str
    old: NoteVerifier
    new: NoteVerifier
    after: int

    def body(self) -> str:
        return (f"{ROTATION_HEADER}\n{self.origin}\nold {self.old.vkey()}\n"
                f"new {self.new.vkey()}\nafter {self.after}\n")

    @classmethod
    def parse(cls, body: str) -> KeyRotation:
        lines = body.split("\n")
        if len(lines) != 6 or lines[0] != ROTATION_HEADER or lines[5] != "":
            raise MalformedError(f"not a {ROTATION_HEADER} statement")
        _, origin, old, new, after, _ = lines
        if not (old.startswith("old ") and new.startswith("new ") and after.startswith("after ")
                and is_canonical_uint64(after[6:]) and origin):
            raise MalformedError(f"a {ROTATION_HEADER} statement has origin, old, new and "
                                 "after lines")
        return cls(origin, NoteVerifier.from_vkey(old[4:]), NoteVerifier.from_vkey(new[4:]),
                   int(after[6:]))


def sign_rotation(rotation: KeyRotation, old: NoteSigner, new: NoteSigner) -> str:
    """The statement note: signed by the outgoing key, then by the incoming one."""
    if (old.verifier, new.verifier) != (rotation.old, rotation.new):
        raise MalformedError("the signers are not the statement's old and new keys")
    body = rotation.body()
    second = new.sign(body)
    return old.sign(body) + second[len(body) + 1:]  # the incoming key's signature line


def open_rotation(note: str, current: NoteVerifier, origin: str) -> KeyRotation:
    """The hand-over ``note`` states, if the key trusted so far (``current``) signed it, it
    names that key as the old one, and the new key signed it too."""
    try:
        rotation = KeyRotation.parse(open_note(note, [current]))
    except SignatureError as exc:
        raise KeyRotationError(f"rotation statement not signed by the trusted log key "
                               f"{current.vkey()}: {exc}") from exc
    if rotation.origin != origin:
        raise KeyRotationError(f"rotation statement is for log {rotation.origin!r}, not "
                               f"{origin!r}")
    if rotation.old != current:
        raise KeyRotationError(f"rotation statement hands over from {rotation.old.vkey()}, "
                               f"not from the trusted log key {current.vkey()}")
    if rotation.new.name != current.name or rotation.new == current:
        raise KeyRotationError("rotation statement must name a new key of the same name")
    try:
        open_note(note, [rotation.new])
    except SignatureError as exc:
        raise KeyRotationError(f"rotation statement not signed by its new key: {exc}") from exc
    return rotation


@dataclass(frozen=True)
class LogKeys:
    """The log keys a verifier trusts, oldest first: the pinned key, then each key a valid
    rotation handed over to. ``after[j]``: key ``j`` signs only checkpoints of sizes above
    it (0 for the pinned key)."""

    keys: tuple[NoteVerifier, ...]
    after: tuple[int, ...]

    @classmethod
    def pinned(cls, key: NoteVerifier) -> LogKeys:
        return cls((key,), (0,))

    @property
    def current(self) -> NoteVerifier:
        return self.keys[-1]

    def then(self, rotation: KeyRotation) -> LogKeys:
        if rotation.after < self.after[-1]:
            raise KeyRotationError(f"rotation after size {rotation.after} goes back before "
                                   f"the previous one (after size {self.after[-1]})")
        if rotation.new in self.keys:
            raise KeyRotationError("rotation hands over to a key already used by this log")
        return LogKeys((*self.keys, rotation.new), (*self.after, rotation.after))

    def open(self, note: str) -> str:
        """The body of ``note`` once a trusted key signed it (``open_note``); a note signed
        by a log key no rotation reaches says so (still a ``SignatureError``: to a verifier
        it is a key it does not trust, whatever the cause)."""
        try:
            return open_note(note, self.keys)
        except SignatureError as exc:
            _, sigs = split_note(note)
            known = {k.key_hash for k in self.keys}
            other = [h.hex() for name, h, _ in sigs if name == self.keys[0].name
                     and h not in known]
            if other:
                raise SignatureError(
                    f"signed by log key {other[0]}, which no valid rotation from the pinned "
                    "key reaches (a rotated log: use the center's current trust policy)"
                ) from exc
            raise

    def signers(self, note: str) -> list[int]:
        """Positions of the trusted keys that validly signed ``note`` (none: a
        ``SignatureError``; a trusted key's line that does not verify: also)."""
        self.open(note)  # every trusted line verifies, at least one is there
        _, sigs = split_note(note)
        lines = {(name, key_hash) for name, key_hash, _ in sigs}
        return [j for j, k in enumerate(self.keys) if (k.name, k.key_hash) in lines]

    def open_checkpoint(self, note: str, origin: str) -> tuple[Checkpoint, int]:
        """The checkpoint and the position of the newest trusted key that signed it, once
        that key may sign a checkpoint of its size."""
        signers = self.signers(note)
        checkpoint = Checkpoint.parse(split_note(note)[0])
        if checkpoint.origin != origin:
            raise SignatureError(f"checkpoint is for origin {checkpoint.origin!r}, not "
                                 f"{origin!r}")
        allowed = [j for j in signers if checkpoint.size > self.after[j] or j == 0]
        if not allowed:
            j = signers[-1]
            raise KeyRotationError(f"checkpoint of size {checkpoint.size} is signed by log key "
                                   f"{j}, which signs only sizes above {self.after[j]}")
        return checkpoint, allowed[-1]


def follow_rotations(pinned: NoteVerifier, origin: str, statements: Sequence[str]) -> LogKeys:
    """The key chain from ``pinned`` through ``statements`` (in order); any statement that
    does not hand over from the key trusted at that point is refused."""
    if len(statements) > MAX_ROTATIONS:
        raise MalformedError(f"more than {MAX_ROTATIONS} log key rotations")
    keys = LogKeys.pinned(pinned)
    for k, note in enumerate(statements):
        try:
            keys = keys.then(open_rotation(note, keys.current, origin))
        except KeyRotationError as exc:
            raise KeyRotationError(f"log key rotation {k}: {exc}") from exc
    return keys
