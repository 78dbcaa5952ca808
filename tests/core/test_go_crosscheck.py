"""Our vectors opened by Go's reference code: golang.org/x/mod/sumdb/note and .../tlog.

tests/core/gocheck/main.go reads tests/vectors/{note,checkpoint,inclusion,consistency}.json
and prints Go's outcome for every case; each must equal the outcome the vector expects
(which ledger.core confirmed while generating). Go 1.19 from Debian (golang-go) builds it
in GOPATH mode against Debian's golang-golang-x-mod-dev, so no module download is needed.

Two differences are deliberate and listed with their reason; any other is a bug.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import unavailable

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent / "vectors"
GOPATH = Path("/usr/share/gocode")
FILES = ("note.json", "checkpoint.json", "inclusion.json", "consistency.json")

DELIBERATE = {
    # RFC 9162 §2.1.4: a consistency proof from the empty tree is empty and always valid;
    # tlog.CheckTree only accepts an old size of at least 1.
    ("consistency.json", "m0-n7/valid"): "invalid",
    # note.Open skips every later line of a key it has already verified; we refuse a note
    # in which any line of a trusted key fails: it is corrupt or forged, whatever its order.
    ("note.json", "refused/bad-trusted-signature-after-good"): "valid",
}


@pytest.fixture(scope="module")
def go_outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    go = shutil.which("go")
    if go is None or not (GOPATH / "src/golang.org/x/mod/sumdb/note").is_dir():
        unavailable("Go and golang.org/x/mod are needed (apt-get install golang-go "
                    "golang-golang-x-mod-dev)")
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": str(GOPATH), "GOFLAGS": "",
           "GOCACHE": str(tmp_path_factory.mktemp("gocache"))}
    proc = subprocess.run([go, "run", "main.go", str(VECTORS)], cwd=HERE / "gocheck", env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, dict[str, str]] = json.loads(proc.stdout)
    return result


def _expected(name: str) -> dict[str, str]:
    data: dict[str, Any] = json.loads((VECTORS / name).read_text(encoding="utf-8"))
    cases = data["cases"] + data.get("vkey_cases", [])
    return {case["name"]: case["expected"] for case in cases}


@pytest.mark.parametrize("name", FILES)
def test_go_reference_code_agrees_with_every_vector(
        go_outcomes: dict[str, dict[str, str]], name: str) -> None:
    expected = _expected(name)
    got = go_outcomes[name]
    assert set(got) == set(expected)
    differences = {}
    for case, outcome in got.items():
        verdict = outcome.split(":", 1)[0]
        wanted = DELIBERATE.get((name, case), expected[case])
        if verdict != wanted:
            differences[case] = f"vector says {expected[case]}, Go says {outcome}"
    assert not differences, differences


def test_the_deliberate_differences_still_exist(go_outcomes: dict[str, dict[str, str]]) -> None:
    """A listed difference that vanished (a vector changed) must be removed from the list."""
    for (name, case), go_verdict in DELIBERATE.items():
        assert _expected(name)[case] != go_verdict
        assert go_outcomes[name][case].split(":", 1)[0] == go_verdict
