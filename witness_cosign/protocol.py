"""The tlog-witness ``add-checkpoint`` request: parse it, check it, cosign it.

A request body is ``old <size>``, one base64 consistency-proof hash per line, a blank
line, then the signed checkpoint note. The witness answers 200 with its cosignature line
only after it has checked, in this order: the body's form (400), the origin is one it
witnesses (404), the log signed the note (403), ``old`` is not beyond the new size (400),
``old`` is the size it last cosigned for that log (409, with its size), and the proof
links the tree it cosigned to the new one (422: a fork or a bad proof). The new size is
stored durably before the cosignature is returned.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ledger.core.cosignature import Cosigner
from ledger.core.errors import ConsistencyProofError, MalformedError, SignatureError, WitnessError
from ledger.core.note import Checkpoint, NoteVerifier, open_note, split_note
from ledger.core.verify import MAX_PROOF_LENGTH, verify_consistency
from witness_cosign.state import WitnessState

MAX_BODY = 32 * 1024


class Refusal(WitnessError):
    """A request the witness does not cosign, with the HTTP status that says why."""

    def __init__(self, status: int, message: str, size: int | None = None) -> None:
        self.status = status
        self.size = size  # the witness's size, for a 409
        super().__init__(message)


@dataclass(frozen=True)
class AddCheckpoint:
    old: int
    proof: list[bytes]
    note: str


def parse_request(body: bytes) -> AddCheckpoint:
    """The three parts of an add-checkpoint body; a :class:`Refusal` (400) if malformed."""
    if len(body) > MAX_BODY:
        raise Refusal(413, f"request body is larger than {MAX_BODY} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refusal(400, "request body is not UTF-8") from exc
    head, sep, note = text.partition("\n\n")
    lines = head.split("\n")
    if not sep or not lines[0].startswith("old "):
        raise Refusal(400, "body must start with 'old <size>', proof lines, a blank line")
    size_text = lines[0][4:]
    if not size_text.isascii() or not size_text.isdigit() or len(size_text) > 20 or (
            size_text != "0" and size_text.startswith("0")):
        raise Refusal(400, f"bad old size {size_text[:30]!r}")
    if len(lines) - 1 > MAX_PROOF_LENGTH:
        raise Refusal(400, f"consistency proof has more than {MAX_PROOF_LENGTH} hashes")
    proof = []
    for n, line in enumerate(lines[1:]):
        try:
            proof.append(base64.b64decode(line, validate=True))
        except binascii.Error as exc:
            raise Refusal(400, f"proof line {n + 1} is not base64") from exc
    return AddCheckpoint(int(size_text), proof, note)


class Witness:
    """Cosigns checkpoints of the logs it is configured with (origin -> log key)."""

    def __init__(self, cosigner: Cosigner, state: WitnessState, logs: Iterable[NoteVerifier],
                 clock: Callable[[], float] = time.time) -> None:
        self.cosigner = cosigner
        self.state = state
        self.logs = {v.name: v for v in logs}  # a log's origin is its key's name
        self.clock = clock

    def add_checkpoint(self, body: bytes) -> str:
        """The cosignature line for a valid request; else raise :class:`Refusal`."""
        req = parse_request(body)
        checkpoint = self._signed_checkpoint(req.note)
        if req.old > checkpoint.size:
            raise Refusal(400, f"old size {req.old} is beyond the checkpoint size "
                          f"{checkpoint.size}")

        def decide(size: int, root: bytes) -> None:
            if req.old != size:
                raise Refusal(409, f"this witness last cosigned size {size} for "
                              f"{checkpoint.origin}, not {req.old}", size=size)
            try:
                verify_consistency(size, checkpoint.size, root if size else checkpoint.root,
                                   checkpoint.root, req.proof)
            except ConsistencyProofError as exc:
                fork = " (a fork: same size, another root)" if size == checkpoint.size else ""
                raise Refusal(422, f"{exc}{fork}") from exc

        self.state.advance(checkpoint.origin, decide, checkpoint.size, checkpoint.root)
        return self.cosigner.cosign(checkpoint.body(), int(self.clock()))

    def _signed_checkpoint(self, note: str) -> Checkpoint:
        try:
            body, _ = split_note(note)
            checkpoint = Checkpoint.parse(body)
        except MalformedError as exc:
            raise Refusal(400, f"checkpoint note: {exc}") from exc
        log = self.logs.get(checkpoint.origin)
        if log is None:
            raise Refusal(404, f"this witness does not witness {checkpoint.origin[:200]!r}")
        try:
            open_note(note, [log])
        except SignatureError as exc:
            raise Refusal(403, f"checkpoint is not signed by the log's key: {exc}") from exc
        return checkpoint
