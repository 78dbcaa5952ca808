"""tests/vectors/note.json opened by ledger.core.note: every rule's refusal, by error class."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.core import errors
from ledger.core.note import NoteVerifier, open_note

DATA: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "note.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", DATA["cases"], ids=lambda c: c["name"])
def test_note_case(case: dict[str, Any]) -> None:
    verifiers = [NoteVerifier.from_vkey(k) for k in case["vkeys"]]
    if case["expected"] == "valid":
        assert open_note(case["note"], verifiers)
    else:
        with pytest.raises(getattr(errors, case["error"])):
            open_note(case["note"], verifiers)


@pytest.mark.parametrize("case", DATA["vkey_cases"], ids=lambda c: c["name"])
def test_vkey_case(case: dict[str, Any]) -> None:
    if case["expected"] == "valid":
        NoteVerifier.from_vkey(case["vkey"])
    else:
        with pytest.raises(getattr(errors, case["error"])):
            NoteVerifier.from_vkey(case["vkey"])
