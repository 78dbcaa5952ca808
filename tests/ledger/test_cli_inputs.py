"""The ledger CLI on bad input: `witness ingest FILE` reads each line strictly (a repeated
key or nesting beyond the bound refused and named, the other lines appended); `witness init`
refuses to change a log's origin; the rules say when they run without reference data;
ingest shows progress on stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ledger.events.examples import example_event


def witness(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WITNESS_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "ledger.cli", "--home", str(home), *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_a_line_with_a_repeated_key_is_refused_and_named(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert witness(home, "init", "--no-chain").returncode == 0
    good = example_event("ANNOUNCEMENT_PUBLISHED")
    other = {**good, "event_id": good["event_id"] + "-2"}
    text = json.dumps(good, ensure_ascii=False)
    repeated = text[:-1] + ', "project_id": "OTHER-PROJECT"}'  # the last one would win
    deep = "[" * 100_000 + "]" * 100_000
    lines = [text, repeated, deep, json.dumps(other, ensure_ascii=False)]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = witness(home, "--json", "ingest", str(path))
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["accepted"] == 2 and json.loads(proc.stdout)["rejected"] == 2
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 2 and "Traceback" not in proc.stderr
    assert errors[0].startswith("witness: line 2:") and "'project_id'" in errors[0]
    assert errors[1].startswith("witness: line 3:") and "deep" in errors[1]


def test_init_again_with_another_origin_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert witness(home, "init", "--no-chain", "--origin", "ggzy.ln.example/witness"
                   ).returncode == 0
    again = witness(home, "init", "--no-chain", "--origin", "ggzy.ln.example/witness")
    assert again.returncode == 0  # idempotent with the same origin
    other = witness(home, "init", "--no-chain", "--origin", "other.example/witness")
    assert other.returncode == 2 and "origin never changes" in other.stderr
    assert len(other.stderr.strip().splitlines()) == 1


def test_rules_without_reference_data_say_what_they_cannot_find(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert witness(home, "init", "--no-chain").returncode == 0
    proc = witness(home, "rules", "run")
    assert proc.returncode == 0 and "warning: no reference data" in proc.stderr
    (home / "reference.json").write_text('{"experts": [], "enterprises": [], "relations": []}',
                                         encoding="utf-8")
    quiet = witness(home, "rules", "run")
    # (a calendar warning may still come, from November: tests/rules/test_calendar_years.py)
    assert quiet.returncode == 0 and "no reference data" not in quiet.stderr, quiet.stderr


def test_a_database_that_is_down_is_unreachable_not_uninitialised(tmp_path: Path) -> None:
    env = {**os.environ, "WITNESS_HOME": str(tmp_path / "home"),
           "WITNESS_DB_URL": "postgresql+psycopg://witness@127.0.0.1:9/witness"}  # discard port
    proc = subprocess.run([sys.executable, "-m", "ledger.cli", "status"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.startswith("witness: cannot reach the database: ")
    assert len(proc.stderr.strip().splitlines()) == 1 and "witness init" not in proc.stderr


def test_a_fresh_home_says_to_run_init(tmp_path: Path) -> None:
    proc = witness(tmp_path / "missing", "status")
    assert proc.returncode == 1 and "witness init" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_ingest_reports_progress_when_not_on_a_terminal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert witness(home, "init", "--no-chain").returncode == 0
    base = example_event("ANNOUNCEMENT_PUBLISHED")
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps({**base, "event_id": f"{base['event_id']}-{i}"},
                                       ensure_ascii=False) + "\n" for i in range(2100)),
                    encoding="utf-8")
    proc = witness(home, "ingest", str(path))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert [x.split(",")[0] for x in lines] == ["witness: ingest: 1000 lines read",
                                                "witness: ingest: 2000 lines read"]
    quiet = witness(home, "ingest", "--no-progress", str(path))
    assert quiet.returncode == 0 and quiet.stderr == ""
