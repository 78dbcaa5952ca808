"""The project head (``witness-project-head/v1``): the log's signed word on a project's end.

Role: the one writer and the one strict reader of the note a bundle or lead package carries
so that a bundle whose last events were dropped is detected: "as of the checkpoint of
``size``, the last event of ``project_id``'s public chain is ``seq``, leaf ``leaf``, at log
index ``index``". The body is seven lines, each ending in a newline::

    witness-project-head/v1
    <origin>
    <project id>
    <project_seq, decimal>
    <leaf hash, standard base64 of 32 bytes>
    <log index, decimal>
    <checkpoint size, decimal>

Decimals are ASCII digits below 2^64 without a leading zero, so one head has one spelling.

Must not import anything outside the standard library and ``cryptography``; no I/O.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Final

from ledger.core.errors import MalformedError
from ledger.core.hashing import HASH_SIZE
from ledger.core.key_rotation import LogKeys
from ledger.core.note import NoteSigner, is_canonical_uint64

HEAD_FORMAT: Final = "witness-project-head/v1"
_LINES = 8  # seven lines and the empty text after the last newline
_NUMBERS = {3: "seq", 5: "index", 6: "size"}  # line number → field


@dataclass(frozen=True)
class ProjectHead:
    """The last event of a project's public chain as of the checkpoint of ``size``."""

    origin: str
    project_id: str
    seq: int
    leaf: bytes
    index: int
    size: int

    def __post_init__(self) -> None:
        # refuse to sign what ``parse`` would refuse to read
        if not all(isinstance(n, int) and 0 <= n < 2**64 for n in (self.seq, self.index,
                                                                   self.size)):
            raise MalformedError("project head seq, index and size must be below 2^64")
        if len(self.leaf) != HASH_SIZE:
            raise MalformedError("project head leaf must be 32 bytes")
        if not _text_ok(self.origin) or not _text_ok(self.project_id):
            raise MalformedError("project head origin and project id must be non-empty lines")

    def body(self) -> str:
        leaf = base64.b64encode(self.leaf).decode()
        return (f"{HEAD_FORMAT}\n{self.origin}\n{self.project_id}\n{self.seq}\n{leaf}\n"
                f"{self.index}\n{self.size}\n")

    @classmethod
    def parse(cls, body: str, what: str = "project head") -> ProjectHead:
        """The head ``body`` states; ``what`` names it in errors (``bundle head``, …)."""
        lines = body.split("\n")
        if len(lines) != _LINES or lines[0] != HEAD_FORMAT or lines[-1] != "":
            raise MalformedError(f"{what} is not a {HEAD_FORMAT} note")
        for at, name in _NUMBERS.items():
            if not is_canonical_uint64(lines[at]):
                raise MalformedError(f"{what} note has a bad field: {name} must be a decimal "
                                     f"number below 2^64, got {lines[at][:24]!r}")
        try:
            leaf = base64.b64decode(lines[4], validate=True)
        except binascii.Error as exc:
            raise MalformedError(f"{what} note has a bad field: leaf is not base64") from exc
        if len(leaf) != HASH_SIZE or base64.b64encode(leaf).decode() != lines[4]:
            raise MalformedError(f"{what} note has a bad field: leaf is not 32 bytes of base64")
        if not _text_ok(lines[1]) or not _text_ok(lines[2]):
            raise MalformedError(f"{what} note has a bad field: empty origin or project id")
        return cls(lines[1], lines[2], int(lines[3]), leaf, int(lines[5]), int(lines[6]))

    def sign(self, signer: NoteSigner) -> str:
        """The signed note (the log key signs heads, as it signs checkpoints)."""
        return signer.sign(self.body())

    @classmethod
    def open(cls, note: str, keys: LogKeys, what: str = "project head") -> ProjectHead:
        """The head of ``note`` once a trusted log key's signature verifies
        (``SignatureError`` otherwise; ``MalformedError`` for a body that is no head)."""
        return cls.parse(keys.open(note), what)


def _text_ok(text: str) -> bool:
    return bool(text) and "\n" not in text
