"""fsck in worker processes (``--jobs``): every corruption is found with the same report —
problems, order, evidence, counts — as by the single pass, wherever the ranges fall: inside
a range, on a boundary (a project's link across it, the leaf at it, a node straddling it),
on SQLite and PostgreSQL. Tiny chunks and ranges make a 22-event ledger split many ways."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ledger.core import tree
from ledger.events import Pseudonymizer
from ledger.home import init_home, open_log
from ledger.ingest import Ingestor
from ledger.keys import load_secret
from ledger.log import WitnessLog
from ledger.settings import Settings
from tests.verifier.conftest import PROJECTS, TRIGGERS, project_events
from tests.verifier.sealed_log import BEFORE, RELEASE, SealedLedger, new_ledger
from verifier import check_ledger
from verifier.cli import main
from verifier.fsck_join import plan
from verifier.fsck_tree import graft
from verifier.policy import TrustPolicy, build
from verifier.report import Report

# (chunk, span): ranges of 4 events (boundaries 4, 8, 12, 16, 20), of 6, of 2, of 1
SPLITS = [(2, 4), (3, 6), (2, 2), (1, 1)]
SIZE = 22  # 2 projects x 9 events (4 of them sealed bids) and 4 releases
Statement = tuple[str, dict[str, Any]]


@dataclass
class Ledger:
    url: str
    log: WitnessLog
    policy: TrustPolicy

    def rewrite(self, *statements: Statement) -> None:
        """Change rows as an attacker with database access (append-only guards off)."""
        engine = sa.create_engine(self.url)
        try:
            with engine.begin() as conn:
                pg = engine.dialect.name != "sqlite"
                for table in ("events", "tree_hashes", "checkpoints"):
                    if pg:
                        conn.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
                if not pg:
                    for trigger in TRIGGERS:
                        conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {trigger}"))
                for sql, params in statements:
                    conn.execute(sa.text(sql), params)
        finally:
            engine.dispose()

    def canonical(self, idx: int) -> bytes:
        with self.log.db.read() as conn:
            return bytes(conn.execute(sa.text("SELECT canonical FROM events WHERE idx = :i"),
                                      {"i": idx}).scalar_one())


@pytest.fixture(params=["sqlite", "postgres"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    url = request.getfixturevalue("pg_url") if request.param == "postgres" else None
    settings = Settings(home=tmp_path / "home", db_url=url)
    info = init_home(settings)
    log = open_log(settings)
    ingestor = Ingestor(log, Pseudonymizer(load_secret(settings.pseudonym_key_path)))
    for batch in range(3):  # two interleaved projects, a checkpoint after each batch
        events = [e for k in range(3) for p in PROJECTS
                  for e in project_events(p, batch * 3 + k, 1)]
        assert all(r.ok for r in ingestor.submit(events))
        log.checkpoint()
    built = Ledger(settings.database_url, log, build(key=info["vkey"], origin=info["origin"]))
    yield built
    log.db.dispose()


def _same(ledger: Ledger | SealedLedger, splits: list[tuple[int, int]] = SPLITS) -> Report:
    """The single pass's report, after checking every split gives the same one."""
    reports = {}
    for chunk, span in splits:
        one = check_ledger(ledger.url, ledger.policy, jobs=1, chunk=chunk).to_json()
        many = check_ledger(ledger.url, ledger.policy, jobs=2, chunk=chunk, span=span)
        assert many.subject.pop("jobs") == 2
        assert many.to_json() == one, (chunk, span, many.to_text())
        reports[chunk] = one
    return check_ledger(ledger.url, ledger.policy, jobs=1)


def _codes(report: Report) -> list[tuple[str, int | None]]:
    return [(p.code, p.index) for p in report.problems]


def test_plan_ranges_are_whole_chunks() -> None:
    assert plan(22, 2, 2, 4) == [(0, 4), (4, 8), (8, 12), (12, 16), (16, 20), (20, 22)]
    assert plan(22, 2, 3, 7) == [(0, 6), (6, 12), (12, 18), (18, 22)]
    for size, jobs in ((1_000_000, 2), (100_200, 2), (100_200, 4), (7_000, 2)):
        ranges = plan(size, jobs, 5000)
        spans = [hi - lo for lo, hi in ranges]
        assert [lo for lo, _ in ranges] == [0, *(hi for _, hi in ranges[:-1])]
        assert ranges[-1][1] == size and all(s % 5000 == 0 for s in spans[:-1])
        # large ranges first, bounded, shrinking to one chunk: the workers end together
        assert spans[:-1] == sorted(spans[:-1], reverse=True) and max(spans) <= 250_000
        assert spans[-1] <= 5000 and (len(spans) < 3 or spans[-2] == 5000)


def test_graft_makes_the_single_tree() -> None:
    leaves = [bytes([i]) * 32 for i in range(23)]
    _, whole = tree.append_leaf_hashes(tree.EMPTY_FRONTIER, leaves)
    rows = dict(tree.append_leaf_hashes(tree.EMPTY_FRONTIER, leaves)[0])
    for lo in (4, 6, 8, 12, 20):
        _, left = tree.append_leaf_hashes(tree.EMPTY_FRONTIER, leaves[:lo])
        pieces, at = [], lo
        for level in _maximal(lo, 23):
            pieces.append((level, rows[tree.stored_hash_index(level, at >> level)]))
            at += 1 << level
        made: dict[int, bytes] = {}
        assert graft(left, pieces, made) == whole
        assert all(rows[i] == h for i, h in made.items()) and (made or lo == 20)


def _maximal(lo: int, hi: int) -> list[int]:
    out = []
    while lo < hi:
        level = (lo & -lo).bit_length() - 1 if lo else (hi - lo).bit_length() - 1
        while lo + (1 << level) > hi:
            level -= 1
        out.append(level)
        lo += 1 << level
    return out


def test_intact_in_every_split(ledger: Ledger) -> None:
    report = _same(ledger)
    assert report.outcome == "intact" and report.counts["events"] == SIZE


@pytest.mark.parametrize("idx", [0, 3, 4, 5, 11, 12, 21])
def test_payload_changed_in_each_range_and_at_boundaries(ledger: Ledger, idx: int) -> None:
    data = ledger.canonical(idx)
    if data[:4] == b"WSL1":
        pytest.skip("a sealed row")
    ledger.rewrite(("UPDATE events SET canonical = :c WHERE idx = :i",
                    {"c": data.replace(b'"v":1', b'"v":2'), "i": idx}))
    assert _codes(_same(ledger))[0] == ("payload", idx)


@pytest.mark.parametrize("idx", [3, 4, 8, 12, 13, 20])
def test_event_deleted_in_a_range_or_at_its_edge(ledger: Ledger, idx: int) -> None:
    ledger.rewrite((f"DELETE FROM events WHERE idx = {idx}", {}))
    first = _same(ledger).first_divergence
    assert first is not None and (first.code, first.index) == ("sequence", idx)


def test_events_deleted_across_a_boundary(ledger: Ledger) -> None:
    ledger.rewrite(("DELETE FROM events WHERE idx >= 7 AND idx < 13", {}))
    first = _same(ledger).first_divergence
    assert first is not None and first.evidence["next_present"] == 13


def test_project_link_across_a_boundary(ledger: Ledger) -> None:
    """Two events of one project swapped across the boundary at 4 (and 6)."""
    ledger.rewrite(("UPDATE events SET idx = -1 WHERE idx = 2", {}),
                   ("UPDATE events SET idx = 2 WHERE idx = 4", {}),
                   ("UPDATE events SET idx = 4 WHERE idx = -1", {}))
    report = _same(ledger)
    assert {p.code for p in report.problems if p.index == 2} == {"leaf", "sequence"}


@pytest.mark.parametrize("level,k", [(0, 4), (0, 8), (1, 2), (2, 1), (3, 0), (3, 1), (4, 0)])
def test_stored_hash_changed_at_or_across_a_boundary(ledger: Ledger, level: int,
                                                     k: int) -> None:
    """(3, 0) and (4, 0) are nodes over leaves 0..7 and 0..15: they straddle boundaries."""
    stored = tree.stored_hash_index(level, k)
    ledger.rewrite(("UPDATE tree_hashes SET hash = :h WHERE idx = :i",
                    {"h": b"\x07" * 32, "i": stored}))
    first = _same(ledger).first_divergence
    assert first is not None and first.code == ("leaf" if level == 0 else "node")
    assert first.evidence["stored_index"] == stored


def test_stored_hash_missing_across_a_boundary(ledger: Ledger) -> None:
    ledger.rewrite(("DELETE FROM tree_hashes WHERE idx = :i",
                    {"i": tree.stored_hash_index(3, 0)}))
    assert _codes(_same(ledger))[0][0] in ("node", "leaf")


@pytest.mark.parametrize("size", [6, 16])
def test_checkpoint_root_changed_at_a_boundary(ledger: Ledger, size: int) -> None:
    ledger.rewrite(("UPDATE checkpoints SET root = :r WHERE size = :s",
                    {"r": b"\x01" * 32, "s": size}))
    assert _codes(_same(ledger)) == [("root", size)]


def test_sealed_blob_and_release_in_other_ranges(tmp_path: Path) -> None:
    """A sealed record flipped in one range, its release (read by the parent) in another,
    and a release rewritten to leave a record out."""
    sealed = new_ledger(tmp_path / "home")
    try:
        sealed.append(BEFORE, "E")
        sealed.open_section()
        sealed.flip_blob_byte(3)
        small = [(2, 2), (1, 1), (1, 3)]  # 9 events: the ranges must be small to split them
        assert _codes(_same(sealed, small)) == [("payload", 3)]
        sealed.rewrite_release(RELEASE, [2, 4])
        report = _same(sealed, small)
        assert ("sequence", 3) in _codes(report)
    finally:
        sealed.log.db.dispose()


def test_last_event_deleted(ledger: Ledger) -> None:
    ledger.rewrite(("DELETE FROM events WHERE idx = 21", {}))
    assert "sequence" in {c for c, _ in _codes(_same(ledger))}


def test_progress_counts_the_workers_rows(ledger: Ledger) -> None:
    seen: list[tuple[int, int]] = []
    report = check_ledger(ledger.url, ledger.policy,
                          progress=lambda n, total: seen.append((n, total)),
                          jobs=2, chunk=2, span=4)
    assert report.subject["jobs"] == 2 and report.ok
    assert sum(n for n, _ in seen) == SIZE and {t for _, t in seen} == {SIZE}


def test_one_job_runs_the_range_code_here(ledger: Ledger) -> None:
    seen: list[tuple[int, int]] = []
    report = check_ledger(ledger.url, ledger.policy,
                          progress=lambda n, total: seen.append((n, total)), jobs=1, chunk=2)
    assert "jobs" not in report.subject and report.ok
    assert sum(n for n, _ in seen) == SIZE and {t for _, t in seen} == {SIZE}
    assert [n for n, _ in seen] == [2] * (SIZE // 2)  # chunk by chunk, as they are read


def test_cli_jobs_option(ledger: Ledger, capsys: pytest.CaptureFixture[str]) -> None:
    key = ledger.policy.verifier.vkey()
    for jobs, code in (("2", 0), ("1", 0), ("0", 2)):
        with pytest.raises(SystemExit) as exc:
            main(["--key", key, "--origin", ledger.policy.origin, "ledger", "--db",
                  ledger.url, "--no-progress", "--jobs", jobs])
        assert int(exc.value.code or 0) == code, capsys.readouterr()
