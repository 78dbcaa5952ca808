"""`witness demo-data` end to end, through the CLI as an operator runs it
(``python -m ledger.cli``): generate a portfolio, ingest it each project whole, run the
rules (`witness rules run`, then `witness rules follow --once`), and find every planted
class among the leads and nothing on the lawful projects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from ledger.demo import expected_rules

PROJECTS = 6
SEED = 1


def witness(home: Path, *args: str) -> Any:
    env = {**os.environ, "WITNESS_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-m", "ledger.cli", "--home", str(home), "--json",
                           *args], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, f"witness {' '.join(args)}: {proc.stderr}"
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("demo")
    home, out = root / "home", root / "trails.jsonl"
    made = witness(home, "demo-data", "--projects", str(PROJECTS), "--seed", str(SEED),
                   "--plant-every", "2", "-o", str(out))
    witness(home, "init", "--no-chain")
    # Ingest each project whole (one batch per project): a trail evaluated while cut short
    # may flag a step a later batch brings (due-date rules; see ledger.rules.service).
    per_project: dict[str, list[str]] = defaultdict(list)
    for line in out.read_text(encoding="utf-8").splitlines():
        per_project[json.loads(line)["project_id"]].append(line)
    for pid, lines in per_project.items():
        part = root / f"{pid}.jsonl"
        part.write_text("\n".join(lines) + "\n", encoding="utf-8")
        res = witness(home, "ingest", str(part), "--batch", "1000")
        assert res["accepted"] == len(lines) and res["rejected"] == 0
    return {"home": home, "made": made, "reference": made["reference"], "root": root}


def test_demo_data_writes_trails_and_reference(demo: dict[str, Any]) -> None:
    made = demo["made"]
    assert len(made["projects"]) == PROJECTS and made["events"] > 100 * PROJECTS
    assert Path(made["output"]).is_file() and Path(made["reference"]).is_file()
    planted = [p for p in made["projects"] if p["planted"]]
    assert len(planted) == PROJECTS // 2
    ref = json.loads(Path(made["reference"]).read_text(encoding="utf-8"))
    assert set(ref) >= {"experts", "enterprises", "relations"} and ref["experts"]


def test_rules_run_raises_the_planted_leads(demo: dict[str, Any]) -> None:
    home = demo["home"]
    run = witness(home, "rules", "run", "--reference", demo["reference"])
    assert run["new_leads"]
    leads = witness(home, "leads")["leads"]
    by_project: dict[str, set[str]] = defaultdict(set)
    for lead in leads:
        by_project[lead["project_id"]].update(lead["rule_ids"])
    for p in demo["made"]["projects"]:
        regime = "TB" if p["kind"] == "works" else "GP"
        if not p["planted"]:
            assert not by_project.get(p["project_id"]), (p, by_project.get(p["project_id"]))
            continue
        for cls in p["planted"]:
            want = set(expected_rules(cls, regime))
            assert want & by_project[p["project_id"]], (cls, p["project_id"], by_project)
    again = witness(home, "rules", "run", "--reference", demo["reference"])
    assert again["new_leads"] == []  # idempotent
    followed = witness(home, "rules", "follow", "--once", "--reference", demo["reference"])
    assert followed["leads"] == 0 and followed["findings"] == 0  # nothing left to find
    assert followed["position"] == witness(home, "status")["size"]


def test_lead_export_of_a_demo_lead(demo: dict[str, Any]) -> None:
    home = demo["home"]
    leads = witness(home, "leads")["leads"]
    assert leads
    witness(home, "checkpoint")
    out = demo["root"] / "lead.json"
    res = witness(home, "lead", "export", leads[0]["lead_id"], "-o", str(out))
    pkg = json.loads(out.read_text(encoding="utf-8"))
    assert pkg["kind"] == "lead" and pkg["lead"]["lead_id"] == leads[0]["lead_id"]
    assert len(res["sha256"]) == 64
