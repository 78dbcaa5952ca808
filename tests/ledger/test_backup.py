"""`witness backup` / `witness restore` on a real log (sealed bids opened, findings, leads,
tokens): the restored log is the same log — same size and root, fsck intact, sealed records
still open with the restored keys — into SQLite or PostgreSQL; a damaged backup, a used
target and missing keys are refused in one line."""

from __future__ import annotations

import gzip
import io
import os
import stat
import subprocess
import sys
import tarfile
from datetime import datetime
from pathlib import Path

import pytest

from ledger.backup import restore_backup
from ledger.demo import generate_project
from ledger.events import Pseudonymizer
from ledger.home import init_home, open_log
from ledger.ingest import Ingestor
from ledger.keys import load_secret
from ledger.rules.context import RuleContext
from ledger.rules.service import RuleService
from ledger.settings import Settings
from verifier.ledger_check import check_ledger
from verifier.policy import build


def witness(home: Path, *args: str, db_url: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "WITNESS_DB_URL"}
    env["WITNESS_HOME"] = str(home)
    if db_url:
        env["WITNESS_DB_URL"] = db_url
    return subprocess.run([sys.executable, "-m", "ledger.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, Path, str]:
    settings = Settings(home=tmp_path_factory.mktemp("src") / "home", origin="ggzy.ln.example/w")
    info = init_home(settings)
    log = open_log(settings)
    svc = RuleService(log, RuleContext.default())
    ingest = Ingestor(log, Pseudonymizer(load_secret(settings.pseudonym_key_path)),
                      now=lambda: datetime.fromisoformat("2026-11-01T00:00:00+08:00"))
    for seed, planted in ((3, set()), (4, {"late_bid"})):
        svc.on_appended(ingest.submit(generate_project(seed, "works", planted).events))
    log.checkpoint()
    log.db.dispose()
    backup = settings.home.parent / "backup.tgz"
    proc = witness(settings.home, "backup", "-o", str(backup))
    assert proc.returncode == 0, proc.stderr
    return settings, backup, info["vkey"]


def _intact(home: Path, vkey: str, db_url: str) -> None:
    report = check_ledger(db_url, build(key=vkey, origin="ggzy.ln.example/w"))
    assert report.outcome in {"intact", "pending"} and not report.problems, report.to_text()
    assert report.counts["sealed_opened"] == report.counts["sealed"] > 0


def test_restore_into_sqlite_is_the_same_log(source: tuple[Settings, Path, str],
                                              tmp_path: Path) -> None:
    settings, backup, vkey = source
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    target = tmp_path / "restored"
    proc = witness(target, "restore", str(backup))
    assert proc.returncode == 0, proc.stderr
    assert "the same size and root" in proc.stdout
    for key in ("log.key", "seal.key", "pseudonym.key"):
        assert stat.S_IMODE((target / key).stat().st_mode) == 0o600
    _intact(target, vkey, f"sqlite:///{target / 'witness.db'}")
    src, dst = open_log(settings), open_log(Settings(home=target))
    try:
        assert (src.size(), src.tree_hash(src.size())) == (dst.size(), dst.tree_hash(dst.size()))
        assert dst.receipt(5, upgrade=False).dumps() == src.receipt(5, upgrade=False).dumps()
    finally:
        src.db.dispose()
        dst.db.dispose()
    again = witness(target, "restore", str(backup))
    assert again.returncode == 1 and "restore into a new data directory" in again.stderr


def test_restore_into_postgresql(source: tuple[Settings, Path, str], tmp_path: Path,
                                 pg_url: str) -> None:
    _, backup, vkey = source
    restore_backup(backup, Settings(home=tmp_path / "pg-home", db_url=pg_url))
    _intact(tmp_path / "pg-home", vkey, pg_url)


def test_a_damaged_backup_is_refused(source: tuple[Settings, Path, str], tmp_path: Path) -> None:
    _, backup, _ = source
    damaged = tmp_path / "damaged.tgz"
    with tarfile.open(backup, "r:gz") as tar, tarfile.open(damaged, "w:gz") as out:
        for member in tar.getmembers():
            data = tar.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "tables/events.jsonl":
                data = data.replace(b'"project_seq": 3', b'"project_seq": 4', 1)
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    proc = witness(tmp_path / "t", "restore", str(damaged))
    assert proc.returncode == 1 and "table events is damaged" in proc.stderr
    assert proc.stderr.count("\n") == 1 and not (tmp_path / "t" / "witness.db").exists()
    junk = tmp_path / "junk.tgz"
    junk.write_bytes(gzip.compress(b"not a tar"))
    assert witness(tmp_path / "u", "restore", str(junk)).returncode == 2


def test_a_backup_without_keys_needs_them_in_place(source: tuple[Settings, Path, str],
                                                   tmp_path: Path) -> None:
    settings, _, vkey = source
    bare = tmp_path / "bare.tgz"
    assert witness(settings.home, "backup", "--no-keys", "-o", str(bare)).returncode == 0
    target = tmp_path / "keys-apart"
    refused = witness(target, "restore", str(bare))
    assert refused.returncode == 1 and "has no keys" in refused.stderr
    target.mkdir()
    for key in ("log.key", "seal.key", "pseudonym.key"):
        (target / key).write_bytes((settings.home / key).read_bytes())
        (target / key).chmod(0o600)
    assert witness(target, "restore", str(bare)).returncode == 0
    _intact(target, vkey, f"sqlite:///{target / 'witness.db'}")
