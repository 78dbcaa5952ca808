"""docs/reference-data.md: its keys are the ones ReferenceData reads, its example loads and
drives the rules it names, and the documented `witness rules run --reference` accepts it."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from ledger.rules.context import ReferenceData, RuleContext
from ledger.rules.engine import evaluate
from ledger.rules.registry import load_all
from tests.rules.builders import LAWFUL_FLAGS_GP, ev, make_trail

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reference-data.md"

load_all()


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def _example(tmp_path: Path) -> Path:
    (block,) = re.findall(r"```json\n(.*?)```", _text(), flags=re.S)
    path = tmp_path / "reference.json"
    path.write_text(block, encoding="utf-8")
    return path


def test_documented_keys_are_the_loaded_ones() -> None:
    shape = _text().split("## Shape", 1)[1].split("###", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", shape, flags=re.M))
    assert documented == {f.name for f in dataclasses.fields(ReferenceData)}


def test_example_loads(tmp_path: Path) -> None:
    ref = ReferenceData.load(_example(tmp_path))
    assert ref.experts["EXP-210200-0093"]["status"] == "suspended"
    assert ref.enterprises["91210100MA0Y8K1A2B"]["region_code"] == "210100"
    assert ref.related("91210200MA0Y3C4D5E", "91210100MA0Y8K1A2B")  # either direction
    assert "91210300MA0Y6F7G8H" in ref.debarred


def _bid(org: str, minute: int) -> dict[str, Any]:
    return ev("BID_SUBMITTED", f"2026-03-20T09:{minute:02d}:00+08:00", section="S1",
              bidder_org=org, accepted=True, received_at=f"2026-03-20T09:{minute:02d}:00+08:00",
              file_hash=f"{minute:064x}")


def test_example_drives_the_rules_it_names(tmp_path: Path) -> None:
    ctx = dataclasses.replace(RuleContext.default(),
                              reference=ReferenceData.load(_example(tmp_path)))
    trail = make_trail(LAWFUL_FLAGS_GP, [_bid("91210100MA0Y8K1A2B", 1),
                                         _bid("91210200MA0Y3C4D5E", 2),
                                         _bid("91210300MA0Y6F7G8H", 3)])
    rules = ["R-TBR-34-RELATED-BIDDERS", "R-GP-22-DEBARRED-BIDDER"]
    found = {(f.rule_id, tuple(f.subjects)) for f in evaluate(trail, ctx, rules)}
    assert found == {("R-TBR-34-RELATED-BIDDERS", ("91210100MA0Y8K1A2B", "91210200MA0Y3C4D5E")),
                     ("R-GP-22-DEBARRED-BIDDER", ("91210300MA0Y6F7G8H",))}


def test_rules_run_accepts_the_example(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "WITNESS_HOME": str(home)}
    env.pop("WITNESS_RULES_REFERENCE", None)

    def witness(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "ledger.cli", "--home", str(home), *args],
                              capture_output=True, text=True, env=env, timeout=300, check=False)

    assert witness("init", "--no-chain").returncode == 0
    proc = witness("--json", "rules", "run", "--reference", str(_example(tmp_path)))
    assert proc.returncode == 0, proc.stderr
    assert "no reference data" not in proc.stderr
    assert "no reference data" in witness("--json", "rules", "run").stderr
