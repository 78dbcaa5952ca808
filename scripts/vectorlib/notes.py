"""Test vectors for signed notes (docs/formats.md §2): each rule of strict note opening.

A note is opened against a list of trusted verifier keys. Each named case carries the
note text, the keys trusted, the expected outcome and error class, confirmed with
``ledger.core.note`` while generating; tests/core/test_go_crosscheck.py feeds the same
cases to Go's golang.org/x/mod/sumdb/note, the reference implementation of these rules.
The keys are TEST keys derived from published seeds: never trust them.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.core.errors import WitnessError
from ledger.core.note import MAX_SIGNATURES, NoteSigner, NoteVerifier, open_note

NAME = "test.example/witness-notes"
BODY = "test.example/witness-notes\nline two\n"
_EXPECTED = {"valid": "valid", "refused": "invalid"}


def _key(label: str) -> Ed25519PrivateKey:
    seed = hashlib.sha256(f"witness-ledger note vectors: TEST key {label}".encode()).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


SIGNER = NoteSigner(NAME, _key("log"))
WITNESS = NoteSigner("witness.example/w1", _key("witness"))
STRANGER = NoteSigner("stranger.example/s", _key("stranger"))


def _outcome(check: Callable[[], Any]) -> tuple[str, str | None]:
    try:
        check()
    except WitnessError as exc:
        return "invalid", type(exc).__name__
    return "valid", None


def _sig_line(signer: NoteSigner, body: str = BODY) -> str:
    return signer.sign(body).split("\n\n", 1)[1]


def _flipped_line(signer: NoteSigner) -> str:
    line = _sig_line(signer)
    prefix, name, b64 = line[:-1].split(" ")
    raw = bytearray(base64.b64decode(b64))
    raw[-1] ^= 1
    return f"{prefix} {name} {base64.b64encode(bytes(raw)).decode()}\n"


def _note_cases() -> list[tuple[str, str, list[NoteSigner]]]:
    """(name, note text, signers trusted) for every rule."""
    good = _sig_line(SIGNER)
    other = _sig_line(STRANGER)
    trusted = [SIGNER]
    return [
        ("valid/one-signature", BODY + "\n" + good, trusted),
        ("valid/two-trusted-keys", BODY + "\n" + good + _sig_line(WITNESS), [SIGNER, WITNESS]),
        ("valid/unknown-key-line-ignored", BODY + "\n" + other + good, trusted),
        ("valid/duplicate-line-ignored", BODY + "\n" + good + good, trusted),
        ("valid/del-character-is-text", SIGNER.sign(BODY.replace("two", "t\x7fwo")), trusted),
        ("valid/100-signature-lines", BODY + "\n" + other * (MAX_SIGNATURES - 1) + good, trusted),
        ("refused/control-nul", SIGNER.sign(BODY.replace("two", "t\x00wo")), trusted),
        ("refused/control-esc", SIGNER.sign(BODY.replace("two", "t\x1bwo")), trusted),
        ("refused/control-tab", SIGNER.sign(BODY.replace("two", "t\two")), trusted),
        ("refused/control-cr", SIGNER.sign(BODY.replace("two", "t\rwo")), trusted),
        ("refused/bad-trusted-signature-after-good", BODY + "\n" + good + _flipped_line(SIGNER),
         trusted),
        ("refused/bad-trusted-signature-before-good", BODY + "\n" + _flipped_line(SIGNER) + good,
         trusted),
        ("refused/only-unknown-keys", BODY + "\n" + other, trusted),
        ("refused/101-signature-lines", BODY + "\n" + other * MAX_SIGNATURES + good, trusted),
        ("refused/no-final-newline", (BODY + "\n" + good)[:-1], trusted),
        ("refused/no-signature-block", BODY, trusted),
        ("refused/signature-too-short", BODY + "\n— " + NAME + " AAAA\n", trusted),
        ("refused/signature-not-base64", BODY + "\n— " + NAME + " !!!!\n", trusted),
        ("refused/signature-line-extra-space", BODY + "\n" + good.replace(" ", "  ", 1), trusted),
        ("refused/signature-line-without-dash", BODY + "\n" + good[2:], trusted),
        ("refused/body-with-blank-line", "a\n\nb\n\n" + good, trusted),
        *_bad_name_cases(other, good, trusted),
    ]


def _bad_name_cases(other: str, good: str, trusted: list[NoteSigner]
                    ) -> list[tuple[str, str, list[NoteSigner]]]:
    """A stranger's line whose key name breaks the key-name rules, next to a good line: the
    note is malformed even though the name is nobody's the reader trusts."""
    sig = other.rsplit(" ", 1)[1]
    return [(f"refused/signature-line-name-{label}", f"{BODY}\n\u2014 {name} {sig}{good}",
             trusted)
            for label, name in (("empty", ""), ("with-plus", "a+b"), ("nbsp", "a\u00a0b"),
                                ("em-space", "a\u2003b"), ("nel", "a\u0085b"))]


def _vkey_cases() -> list[tuple[str, str]]:
    vkey = SIGNER.verifier.vkey()
    name, key_hash, key_b64 = vkey.split("+", 2)
    raw = base64.b64decode(key_b64)
    other_alg = base64.b64encode(bytes([0x7F]) + raw[1:]).decode()
    return [
        ("valid/vkey", vkey),
        ("refused/vkey-hash-mismatch", f"{name}+{'0' * 8}+{key_b64}"),
        ("refused/vkey-unknown-algorithm",
         f"{name}+{key_hash}+{other_alg}"),
        ("refused/vkey-short-key", f"{name}+{key_hash}+{base64.b64encode(raw[:20]).decode()}"),
        ("refused/vkey-name-with-space", f"bad name+{key_hash}+{key_b64}"),
        ("refused/vkey-empty-name", f"+{key_hash}+{key_b64}"),
    ]


def note_vectors() -> dict[str, Any]:
    cases = []
    for name, note, signers in _note_cases():
        verifiers = [s.verifier for s in signers]
        outcome, error = _outcome(lambda n=note, v=verifiers: open_note(n, v))
        if outcome != _EXPECTED[name.split("/")[0]]:
            raise AssertionError(f"note case {name}: got {outcome} ({error})")
        cases.append({"name": name, "note": note, "vkeys": [v.vkey() for v in verifiers],
                      "expected": outcome, "error": error})
    vkeys = []
    for name, vkey in _vkey_cases():
        outcome, error = _outcome(lambda k=vkey: NoteVerifier.from_vkey(k))
        if outcome != _EXPECTED[name.split("/")[0]]:
            raise AssertionError(f"vkey case {name}: got {outcome} ({error})")
        vkeys.append({"name": name, "vkey": vkey, "expected": outcome, "error": error})
    return {
        "description": "C2SP signed notes opened strictly (the rules of Go's note.Open). "
                       "Keys are TEST keys derived from published seeds: never trust them.",
        "cases": cases,
        "vkey_cases": vkeys,
    }
