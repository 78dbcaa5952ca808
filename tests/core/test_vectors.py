"""The committed vectors in tests/vectors/: every case has the recorded outcome, the valid
proofs equal the naive reference, and ``scripts/gen_vectors.py --check`` finds them fresh."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ledger.core import errors
from ledger.core.note import NoteVerifier, open_checkpoint
from ledger.core.verify import verify_consistency, verify_inclusion
from tests import reference_merkle as ref

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
LEAVES = [ref.leaf_hash(b"leaf-%d" % i) for i in range(1000)]


def _load(name: str) -> dict[str, Any]:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def _h(x: str) -> bytes:
    return bytes.fromhex(x)


def _assert_outcome(case: dict[str, Any], run: Any) -> None:
    if case["expected"] == "valid":
        assert case["error"] is None
        run()
        return
    assert case["expected"] == "invalid"
    error_class = getattr(errors, case["error"])
    assert issubclass(error_class, errors.WitnessError)
    with pytest.raises(error_class) as info:
        run()
    assert type(info.value) is error_class


def _names(cases: list[dict[str, Any]]) -> set[str]:
    return {c["name"].split("/", 1)[1] for c in cases}


def test_inclusion_vectors() -> None:
    data = _load("inclusion.json")
    assert data["leaf_data"] == "leaf-%d"
    cases = data["cases"]
    for case in cases:
        i, n = case["index"], case["size"]
        proof = [_h(p) for p in case["proof"]]
        if case["expected"] == "valid":
            assert proof == ref.path(i, LEAVES[:n]), case["name"]
            assert _h(case["root"]) == ref.mth(LEAVES[:n]) and _h(case["leaf_hash"]) == LEAVES[i]
        _assert_outcome(case, lambda c=case, p=proof: verify_inclusion(
            c["index"], c["size"], _h(c["leaf_hash"]), p, _h(c["root"])))
    assert {n for c in cases for n in [c["size"]]} >= {1, 2, 3, 7, 8, 9, 1000}
    assert {"valid", "flip-bit-proof[2]", "flip-bit-leaf", "flip-bit-root", "wrong-index",
            "wrong-size", "truncated", "extended", "proof-of-other-index",
            "root-of-other-size"} <= _names(cases)


def test_consistency_vectors() -> None:
    cases = _load("consistency.json")["cases"]
    for case in cases:
        m, n = case["size1"], case["size2"]
        proof = [_h(p) for p in case["proof"]]
        if case["expected"] == "valid":
            assert proof == ref.proof(m, LEAVES[:n]), case["name"]
            assert _h(case["root1"]) == ref.mth(LEAVES[:m])
            assert _h(case["root2"]) == ref.mth(LEAVES[:n])
        _assert_outcome(case, lambda c=case, p=proof: verify_consistency(
            c["size1"], c["size2"], _h(c["root1"]), _h(c["root2"]), p))
    assert {"valid", "flip-bit-proof[0]", "flip-bit-root1", "flip-bit-root2", "swapped-sizes",
            "truncated", "extended", "root-of-other-size"} <= _names(cases)


def test_checkpoint_vectors() -> None:
    data = _load("checkpoint.json")
    assert "TEST key" in data["description"]
    verifier = NoteVerifier.from_vkey(data["vkey"])
    for case in data["cases"]:
        _assert_outcome(case, lambda c=case: open_checkpoint(c["note"], [verifier], c["origin"]))
        if case["expected"] == "valid":
            cp = open_checkpoint(case["note"], [verifier], case["origin"])
            assert cp.root == ref.mth(LEAVES[: case["size"]])
    assert {c["error"] for c in data["cases"]} == {None, "SignatureError", "MalformedError"}


def test_gen_vectors_check() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_vectors.py"), "--check"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr


def test_gen_vectors_check_detects_stale(tmp_path: Path) -> None:
    script = str(ROOT / "scripts" / "gen_vectors.py")
    run = [sys.executable, script, "--output", str(tmp_path)]
    assert subprocess.run([*run, "--check"], capture_output=True, timeout=300).returncode == 1
    assert subprocess.run(run, capture_output=True, timeout=300).returncode == 0
    assert subprocess.run([*run, "--check"], capture_output=True, timeout=300).returncode == 0
    (tmp_path / "checkpoint.json").write_text("{}\n")
    assert subprocess.run([*run, "--check"], capture_output=True, timeout=300).returncode == 1
