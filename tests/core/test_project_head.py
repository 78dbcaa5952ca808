"""ledger.core.project_head: the signed project head (``witness-project-head/v1``).

The body is recomputed here by hand (the layout docs/formats.md states) so that the writer
cannot drift from the format; every head round-trips through ``body``/``parse`` and through a
signed note; the strict decoder refuses every other spelling of a head.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from ledger.core.errors import MalformedError, SignatureError
from ledger.core.key_rotation import LogKeys
from ledger.core.note import NoteSigner
from ledger.core.project_head import HEAD_FORMAT, ProjectHead

NAME = "test.example/witness"
SIGNER = NoteSigner(NAME, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))  # TEST key
OTHER = NoteSigner(NAME, Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33))))
LEAF = hashlib.sha256(b"leaf").digest()
HEAD = ProjectHead(NAME, "LN-SY-2025-0317", 4, LEAF, 17, 21)

uint64 = st.integers(min_value=0, max_value=2**64 - 1)
# a signed note holds no control character (and UTF-8 has no lone surrogate)
line = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40)
heads = st.builds(ProjectHead, line, line, uint64, st.binary(min_size=32, max_size=32),
                  uint64, uint64)


def test_body_is_the_documented_layout() -> None:
    leaf = base64.b64encode(LEAF).decode()
    assert HEAD.body() == (f"witness-project-head/v1\n{NAME}\nLN-SY-2025-0317\n4\n{leaf}\n"
                           "17\n21\n")
    assert HEAD_FORMAT == "witness-project-head/v1"


@given(heads)
def test_body_round_trips(head: ProjectHead) -> None:
    assert ProjectHead.parse(head.body()) == head


@given(heads)
def test_signed_note_round_trips(head: ProjectHead) -> None:
    note = head.sign(SIGNER)
    assert note.startswith(head.body() + "\n")
    assert ProjectHead.open(note, LogKeys.pinned(SIGNER.verifier)) == head


def test_open_refuses_another_key() -> None:
    with pytest.raises(SignatureError):
        ProjectHead.open(HEAD.sign(OTHER), LogKeys.pinned(SIGNER.verifier))


def _lines(**changes: str) -> str:
    lines = HEAD.body().split("\n")
    for at, value in changes.items():
        lines[int(at[1:])] = value
    return "\n".join(lines)


@pytest.mark.parametrize("body", [
    "",
    HEAD.body()[:-1],  # no final newline
    HEAD.body() + "extra\n",  # an eighth line
    HEAD.body().replace("\n", "\r\n"),
    _lines(l0="witness-project-head/v2"),
    _lines(l0="witness-project-head/v1 "),
    "witness-checkpoint\n" + HEAD.body(),
], ids=["empty", "no-final-newline", "extra-line", "crlf", "other-version", "trailing-space",
        "prefixed"])
def test_parse_refuses_what_is_not_a_head(body: str) -> None:
    with pytest.raises(MalformedError, match=f"project head is not a {HEAD_FORMAT} note"):
        ProjectHead.parse(body)


@pytest.mark.parametrize(("changes", "field"), [
    ({"l3": "-1"}, "seq"), ({"l3": "+4"}, "seq"), ({"l3": "04"}, "seq"), ({"l3": " 4"}, "seq"),
    ({"l3": "4_0"}, "seq"), ({"l3": "٤"}, "seq"), ({"l3": str(2**64)}, "seq"), ({"l3": ""}, "seq"),
    ({"l5": "1.0"}, "index"), ({"l5": "0x11"}, "index"), ({"l6": "many"}, "size"),
    ({"l4": "not base64!"}, "leaf"), ({"l4": base64.b64encode(LEAF[:31]).decode()}, "leaf"),
    ({"l4": base64.b64encode(LEAF).decode().rstrip("=")}, "leaf"),
    ({"l4": base64.urlsafe_b64encode(b"\xff" * 32).decode()}, "leaf"),
    ({"l1": ""}, "origin"), ({"l2": ""}, "project id"),
])
def test_parse_refuses_a_bad_field(changes: dict[str, str], field: str) -> None:
    with pytest.raises(MalformedError, match="project head note has a bad field") as err:
        ProjectHead.parse(_lines(**changes))
    assert field in str(err.value)


def test_parse_refuses_a_non_canonical_base64_leaf() -> None:
    good = base64.b64encode(bytes(31) + b"\x01").decode()  # 43 digits: two spare bits
    assert good.endswith("E=")
    bent = good[:-2] + "F="  # the same 32 bytes with a spare bit set
    assert base64.b64decode(bent) == base64.b64decode(good)
    with pytest.raises(MalformedError, match="leaf"):
        ProjectHead.parse(_lines(l4=bent))


def test_parse_names_the_head_as_told() -> None:
    with pytest.raises(MalformedError, match=r"^bundle head note has a bad field: size"):
        ProjectHead.parse(_lines(l6="many"), "bundle head")


@pytest.mark.parametrize("changes", [
    {"seq": -1}, {"index": 2**64}, {"size": -5}, {"leaf": LEAF[:31]}, {"origin": ""},
    {"project_id": "a\nb"},
])
def test_a_head_parse_would_refuse_cannot_be_made(changes: dict[str, object]) -> None:
    with pytest.raises(MalformedError):
        replace(HEAD, **changes)  # type: ignore[arg-type]
