"""ledger.core.note: C2SP signed notes (Ed25519), verifier keys and tlog checkpoints.

Compatibility with C2SP / Go's golang.org/x/mod/sumdb/note is checked two ways: the key
hash and the note layout are recomputed here independently, and the published
"PeterNeumann" example note of the Go package (test data, not code) must be reproduced
byte for byte — Ed25519 is deterministic.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.core.errors import MalformedError, SignatureError
from ledger.core.note import (
    MAX_NOTE_SIZE,
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    is_canonical_uint64,
    open_checkpoint,
    open_note,
    sign_checkpoint,
    split_note,
)

SEED = bytes(range(32))  # a TEST key, never used for anything but tests
KEY = Ed25519PrivateKey.from_private_bytes(SEED)
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
NAME = "test.example/witness"
SIGNER = NoteSigner(NAME, KEY)
VERIFIER = SIGNER.verifier
BODY = "line one\nline two\n"
ROOT = hashlib.sha256(b"root").digest()

# Published example of golang.org/x/mod/sumdb/note (package documentation).
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = ("If you think cryptography is the answer to your problem,\n"
           "then you don't know what your problem is.\n")
GO_NOTE = (GO_TEXT + "\n— PeterNeumann "
           "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n")


def test_sign_open_round_trip() -> None:
    note = SIGNER.sign(BODY)
    assert note.startswith(BODY + "\n— " + NAME + " ")
    assert note.endswith("\n")
    assert open_note(note, [VERIFIER]) == BODY
    body, sigs = split_note(note)
    assert body == BODY and len(sigs) == 1 and sigs[0][0] == NAME


def test_vkey_round_trip() -> None:
    vkey = VERIFIER.vkey()
    assert NoteVerifier.from_vkey(vkey) == VERIFIER
    assert NoteVerifier.from_vkey(vkey + "\n") == VERIFIER


def test_vkey_with_plus_in_base64() -> None:
    # About half of all Ed25519 keys have a '+' in their base64. This verifier key is test
    # data of transparency-dev/formats (note_cosigv1_test.go), type 0x01.
    plus_vkey = "TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"
    verifier = NoteVerifier.from_vkey(plus_vkey)
    assert verifier.name == "TEST"
    assert verifier.vkey() == plus_vkey
    assert "+" in VERIFIER.vkey().split("+", 2)[2]  # the test key above is such a key too


def test_c2sp_key_hash_and_formats_recomputed() -> None:
    pub = KEY.public_key().public_bytes_raw()
    key_hash = hashlib.sha256(NAME.encode() + b"\n" + b"\x01" + pub).digest()[:4]
    assert VERIFIER.public_key == pub
    assert VERIFIER.key_hash == key_hash
    key_b64 = base64.b64encode(b"\x01" + pub).decode()
    assert VERIFIER.vkey() == f"{NAME}+{key_hash.hex()}+{key_b64}"
    # Signature line: "— name base64(key hash ‖ Ed25519 signature over the body bytes)".
    note = SIGNER.sign(BODY)
    text, sig_line = note.split("\n\n")
    assert text + "\n" == BODY
    dash, name, b64 = sig_line.rstrip("\n").split(" ")
    assert (dash, name) == ("\u2014", NAME)
    raw = base64.b64decode(b64)
    assert raw[:4] == key_hash and len(raw) == 68
    Ed25519PublicKey.from_public_bytes(pub).verify(raw[4:], BODY.encode())


def test_go_sumdb_note_example_reproduced() -> None:
    parts = GO_SKEY.split("+", 4)
    assert parts[:4] == ["PRIVATE", "KEY", "PeterNeumann", "c74f20a3"]
    raw = base64.b64decode(parts[4])
    assert raw[0] == 1
    signer = NoteSigner("PeterNeumann", Ed25519PrivateKey.from_private_bytes(raw[1:]))
    assert signer.verifier.vkey() == GO_VKEY
    assert signer.sign(GO_TEXT) == GO_NOTE
    verifier = NoteVerifier.from_vkey(GO_VKEY)
    assert open_note(GO_NOTE, [verifier]) == GO_TEXT
    with pytest.raises(SignatureError):
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), [verifier])


def test_wrong_key_and_foreign_name() -> None:
    note = SIGNER.sign(BODY)
    other = NoteSigner(NAME, OTHER)
    with pytest.raises(SignatureError):
        open_note(note, [other.verifier])
    with pytest.raises(SignatureError):
        open_note(note, [])
    # Same key under another name: the key hash differs, nothing matches.
    renamed = NoteVerifier("other.example/witness", VERIFIER.public_key)
    with pytest.raises(SignatureError):
        open_note(note, [renamed])
    # A note signed by a foreign key name the verifier does not know.
    foreign = NoteSigner("foreign", KEY).sign(BODY)
    with pytest.raises(SignatureError):
        open_note(foreign, [VERIFIER])
    # The signature line renamed to the trusted name, hash and signature untouched.
    with pytest.raises(SignatureError):
        open_note(foreign.replace("— foreign ", f"— {NAME} "), [VERIFIER])


def test_one_of_several_signatures_suffices() -> None:
    note = NoteSigner("other", OTHER).sign(BODY)
    extra = SIGNER.sign(BODY).split("\n\n")[1]
    both = note + extra
    assert open_note(both, [VERIFIER]) == BODY


@settings(deadline=None, max_examples=100)
@given(st.data())
def test_any_modification_of_body_or_signature(data: st.DataObject) -> None:
    note = SIGNER.sign(BODY)
    sig_start = note.index("\n\n") + 2 + len(f"— {NAME} ")
    pos = data.draw(st.sampled_from([*range(len(BODY) - 1), *range(sig_start, len(note) - 1)]))
    ch = data.draw(st.sampled_from("ABab01/+x"))
    if note[pos] == ch:
        return
    mutated = note[:pos] + ch + note[pos + 1 :]
    with pytest.raises((SignatureError, MalformedError)) as info:
        open_note(mutated, [VERIFIER])
    if pos < len(BODY):
        assert info.type is SignatureError


@pytest.mark.parametrize(
    "note",
    [
        pytest.param(BODY + "— x AAAAAAAA\n", id="no-blank-line"),
        pytest.param(BODY + "\n— " + NAME + " not*base64!\n", id="bad-base64"),
        pytest.param(BODY + "\n— " + NAME + " AAAA\n", id="signature-too-short"),
        pytest.param(BODY + "\n" + NAME + " AAAAAAAA\n", id="no-dash"),
        pytest.param(BODY + "\n— " + NAME + " AAAAAAAA", id="no-final-newline"),
        pytest.param(BODY + "\n\n", id="empty-signature-block"),
        pytest.param("a\n\n\n— x AAAAAAAA\n", id="blank-line-in-body"),
        pytest.param("x" * MAX_NOTE_SIZE + "\n\n— x AAAAAAAA\n", id="too-long"),
    ],
)
def test_malformed_notes(note: str) -> None:
    with pytest.raises(MalformedError):
        open_note(note, [VERIFIER])


@pytest.mark.parametrize("body", ["no newline", "a\n\nb\n", ""])
def test_sign_rejects_bad_body(body: str) -> None:
    with pytest.raises(MalformedError):
        SIGNER.sign(body)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "tab\tname"])
def test_bad_key_names(name: str) -> None:
    with pytest.raises(MalformedError):
        NoteSigner(name, KEY)
    with pytest.raises(MalformedError):
        NoteVerifier(name, bytes(32))


@pytest.mark.parametrize(
    "vkey",
    [
        "name+00000000",
        GO_VKEY.replace("c74f20a3", "c74f20a4"),
        GO_VKEY.replace("+ARpc", "+AhPc"),  # another algorithm byte
        GO_VKEY[:-4],
        "PeterNeumann+c74f20a3+not base64",
        "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_bad_vkeys(vkey: str) -> None:
    with pytest.raises(MalformedError):
        NoteVerifier.from_vkey(vkey)


# --- checkpoints ----------------------------------------------------------------------


@settings(deadline=None, max_examples=50)
@given(st.integers(min_value=0, max_value=2**64 - 1), st.binary(min_size=32, max_size=32))
def test_checkpoint_round_trip(size: int, root: bytes) -> None:
    cp = Checkpoint(NAME, size, root)
    assert cp.body() == f"{NAME}\n{size}\n{base64.b64encode(root).decode()}\n"
    assert Checkpoint.parse(cp.body()) == cp
    assert open_checkpoint(sign_checkpoint(cp, SIGNER), [VERIFIER], NAME) == cp


def test_checkpoint_size_beyond_uint64_is_refused() -> None:
    with pytest.raises(MalformedError):
        Checkpoint.parse(Checkpoint(NAME, 2**64, bytes(32)).body())


def test_checkpoint_extension_lines_allowed() -> None:
    cp = Checkpoint(NAME, 7, ROOT)
    assert Checkpoint.parse(cp.body() + "extension line\n") == cp


def test_checkpoint_wrong_origin_or_key() -> None:
    note = sign_checkpoint(Checkpoint(NAME, 7, ROOT), SIGNER)
    with pytest.raises(SignatureError):
        open_checkpoint(note, [VERIFIER], "another.example/log")
    with pytest.raises(SignatureError):
        open_checkpoint(note, [NoteSigner(NAME, OTHER).verifier], NAME)
    with pytest.raises(SignatureError):
        open_checkpoint(note.replace("\n7\n", "\n8\n"), [VERIFIER], NAME)


_B64_ROOT = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(f"o\n007\n{_B64_ROOT}\n", id="leading-zeros"),
        pytest.param(f"o\n00\n{_B64_ROOT}\n", id="double-zero"),
        pytest.param(f"o\n-1\n{_B64_ROOT}\n", id="negative"),
        pytest.param(f"o\n+1\n{_B64_ROOT}\n", id="plus-sign"),
        pytest.param(f"o\n 1\n{_B64_ROOT}\n", id="space"),
        pytest.param(f"o\n\n{_B64_ROOT}\n", id="empty-size"),
        pytest.param(f"o\n\u0663\n{_B64_ROOT}\n", id="arabic-indic-digit"),
        pytest.param(f"o\n\u00b2\n{_B64_ROOT}\n", id="superscript-two"),
        pytest.param(f"\n1\n{_B64_ROOT}\n", id="empty-origin"),
        pytest.param(f"o\n1\n{base64.b64encode(ROOT[:31]).decode()}\n", id="root-31-bytes"),
        pytest.param(f"o\n1\n{base64.b64encode(ROOT + b'x').decode()}\n", id="root-33-bytes"),
        pytest.param(f"o\n1\n{ROOT.hex()}\n", id="root-hex"),
        pytest.param(f"o\n1\n{_B64_ROOT}", id="no-final-newline"),
        pytest.param("o\n1\n", id="no-root"),
    ],
)
def test_checkpoint_parse_rejects(body: str) -> None:
    with pytest.raises(MalformedError):
        Checkpoint.parse(body)


def test_checkpoint_parse_rejects_huge_size() -> None:
    with pytest.raises(MalformedError):
        Checkpoint.parse(f"o\n{'1' * 5000}\n{_B64_ROOT}\n")


def test_open_note_lone_surrogate_body() -> None:
    sig = base64.b64encode(VERIFIER.key_hash + bytes(64)).decode()
    with pytest.raises((MalformedError, SignatureError)):
        open_note(f"a\ud800\n\n— {NAME} {sig}\n", [VERIFIER])


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\r", "\t", "\x0b"])
def test_a_control_character_anywhere_makes_the_note_malformed(char: str) -> None:
    note = SIGNER.sign(BODY)
    with pytest.raises(MalformedError, match="control character"):
        split_note(note.replace("line one", f"line{char}one"))
    with pytest.raises(MalformedError, match="control character"):
        open_note(note[:-1] + char + "\n", [VERIFIER])


def test_a_bad_signature_by_a_trusted_key_refuses_the_note_even_next_to_a_good_one() -> None:
    note = SIGNER.sign(BODY)
    good_line = note.split("\n\n", 1)[1]
    raw = bytearray(base64.b64decode(good_line.split(" ")[2]))
    raw[-1] ^= 1
    bad_line = f"— {NAME} {base64.b64encode(bytes(raw)).decode()}\n"
    for lines in (good_line + bad_line, bad_line + good_line):
        with pytest.raises(SignatureError, match="invalid signature by trusted key"):
            open_note(BODY + "\n" + lines, [VERIFIER])


def test_unknown_keys_lines_are_ignored_and_too_many_lines_refused() -> None:
    note = SIGNER.sign(BODY)
    other = NoteSigner("other.example/witness", OTHER).sign(BODY).split("\n\n", 1)[1]
    assert open_note(note + other, [VERIFIER]) == BODY
    with pytest.raises(MalformedError, match="more than 100 signatures"):
        split_note(note + other * 100)


@given(st.text(alphabet="0123456789", max_size=22) | st.text(max_size=6))
def test_a_canonical_uint64_is_the_one_spelling_of_a_number_below_2_64(text: str) -> None:
    expected = (text.isascii() and text.isdigit() and str(int(text)) == text
                and int(text) < 2**64)
    assert is_canonical_uint64(text) == expected
