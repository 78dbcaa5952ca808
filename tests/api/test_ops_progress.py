"""Progress with rate and ETA on stderr for the long commands: ``witness ingest``,
``witness export project``, ``witness rules run`` and ``witness-verify ledger`` (fsck).

Off a terminal (here: captured stderr) each prints a line every N items (N from
``WITNESS_PROGRESS_EVERY``, small here), and nothing with ``--no-progress``; on a terminal a
bar is redrawn in place. One log of two generated projects serves every command (the CLIs
run in this process)."""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger.cli.app import main as witness
from ledger.core.progress import Progress
from verifier.cli import main as witness_verify

LINE = r"; \d+ % of {total}, [\d,]+ {unit}/s, ETA \d+:\d\d:\d\d$"


@dataclass(frozen=True)
class Built:
    home: Path
    trail: Path
    lines: int
    projects: list[str]
    policy: Path


def _run(main: object, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    assert callable(main)
    try:
        main(argv)
    except SystemExit as exc:
        assert exc.code in (0, None), capsys.readouterr().err
    out = capsys.readouterr()
    return out.out, out.err


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Two generated projects ingested, anchored on the embedded chain, a trust policy."""
    root = tmp_path_factory.mktemp("progress")
    home, trail, policy = root / "home", root / "trail.jsonl", root / "trust.json"
    for argv in (["init"], ["demo-data", "--projects", "2", "--plant-every", "0", "-o",
                            str(trail)],
                 ["ingest", "--no-progress", str(trail), "-o", str(root / "r.jsonl")],
                 ["anchor"], ["trust-policy", "export", "-o", str(policy)]):
        try:
            witness(["--home", str(home), *argv])
        except SystemExit as exc:
            assert exc.code in (0, None), argv
    events = [json.loads(x) for x in trail.read_text(encoding="utf-8").splitlines()]
    projects = sorted({e["project_id"] for e in events})
    return Built(home, trail, len(events), projects, policy)


def _progress_lines(err: str, prefix: str) -> list[str]:
    return [x for x in err.splitlines() if x.startswith(prefix)]


def test_ingest_prints_a_line_every_n_lines_with_rate_and_eta(
        built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WITNESS_PROGRESS_EVERY", "20")
    _, err = _run(witness, ["--home", str(built.home), "ingest", str(built.trail), "-o",
                            str(tmp_path / "again.jsonl")], capsys)
    lines = _progress_lines(err, "witness: ingest: ")
    assert len(lines) == built.lines // 20
    pattern = (r"^witness: ingest: 20 lines read, \d+ accepted, 0 rejected so far"
               + LINE.format(total=built.lines, unit="lines"))
    assert re.match(pattern, lines[0]), lines[0]


def test_export_prints_its_events(built: Built, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WITNESS_PROGRESS_EVERY", "5")
    out = tmp_path / "bundle.json"
    _, err = _run(witness, ["--home", str(built.home), "export", "project", built.projects[0],
                            "-o", str(out)], capsys)
    events = len(json.loads(out.read_text(encoding="utf-8"))["events"])
    lines = _progress_lines(err, "witness: export: ")
    assert len(lines) == events // 5 and events >= 5
    assert re.match(r"^witness: export: 5 events written" + LINE.format(total=events,
                                                                        unit="events"), lines[0])
    _, quiet = _run(witness, ["--home", str(built.home), "export", "project",
                              built.projects[0], "-o", str(out), "--no-progress"], capsys)
    assert not _progress_lines(quiet, "witness: export: ")


def test_rules_run_prints_its_projects(built: Built, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WITNESS_PROGRESS_EVERY", "1")
    _, err = _run(witness, ["--home", str(built.home), "rules", "run"], capsys)
    lines = _progress_lines(err, "witness: rules run: ")
    total = len(lines)  # the generated projects, and the log's own (its signer event)
    assert total >= len(built.projects) == 2
    for n, line in enumerate(lines, start=1):
        assert re.match(rf"^witness: rules run: {n} projects evaluated, \d+ new lead\(s\) so "
                        "far" + LINE.format(total=total, unit="projects"), line), line


def test_fsck_prints_its_events(built: Built, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WITNESS_PROGRESS_EVERY", "10")
    args = ["--policy", str(built.policy), "ledger", "--db", str(built.home / "witness.db")]
    out, err = _run(witness_verify, args, capsys)
    assert "INTACT" in out
    lines = _progress_lines(err, "witness-verify: fsck: ")
    assert lines and all(re.match(r"^witness-verify: fsck: \d+ events checked"
                                  + LINE.format(total=r"\d+", unit="events"), x) for x in lines)
    _, quiet = _run(witness_verify, [*args, "--no-progress"], capsys)
    assert not _progress_lines(quiet, "witness-verify: fsck")


def test_a_terminal_gets_a_bar_redrawn_in_place() -> None:
    now = [0.0]
    stream = io.StringIO()
    with Progress("fsck", unit="events", verb="checked", total=200, stream=stream, tty=True,
                  clock=lambda: now[0]) as meter:
        for _ in range(4):
            now[0] += 1.0
            meter.advance(50)
    text = stream.getvalue()
    assert text.count("\r") == 5 and text.endswith("\n") and "\n" not in text[:-1]
    assert "fsck 100% |" in text and "200/200 [50 events/s, ETA 0:00:00]" in text
    assert "fsck  25% |██████" in text and "ETA 0:00:03" in text
