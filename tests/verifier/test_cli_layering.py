"""The CLI's exit codes and one-line errors, and the verifier's import rules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.export import dumps_bundle, export_project
from tests.verifier.conftest import PROJECTS, Built
from verifier.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def test_bundle_cli_json(built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "b.json"
    path.write_text(dumps_bundle(export_project(built.log, PROJECTS[0])))
    code, out, _ = run(capsys, "--key", built.policy.verifier.vkey(), "--json", "bundle",
                       str(path))
    data = json.loads(out)
    assert code == 0 and data["ok"] and data["outcome"] == "pending"
    assert {"counts", "problems", "unchecked", "timeline", "first_divergence"} <= data.keys()


def test_ledger_cli_with_policy_file(built: Built, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "trust.json"
    policy.write_text(json.dumps(built.policy.to_json()))
    code, out, _ = run(capsys, "--policy", str(policy), "ledger", "--db", str(built.db_path))
    assert code == 0 and "INTACT" in out


@pytest.mark.parametrize("content", [b"", b"\x00\xff garbage", b'{"format": "x"}',
                                     b"[" * 100000, b" " * (2 * 1024 * 1024)])
def test_malformed_receipt_exit_2_one_line(built: Built, tmp_path: Path, content: bytes,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(content)
    code, out, err = run(capsys, "--key", built.policy.verifier.vkey(), "receipt", str(path))
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err


def test_usage_errors_exit_2(built: Built, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "receipt", str(tmp_path / "none.json"))[0] == 2  # no key pinned
    assert run(capsys, "--key", "garbage", "ledger", "--db", str(built.db_path))[0] == 2
    assert run(capsys, "--key", built.policy.verifier.vkey(), "ledger", "--db",
               str(tmp_path / "nothing.db"))[0] == 2


def test_unreachable_sources_exit_3(built: Built, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.json"
    path.write_text(built.log.receipt(1).dumps())
    code, _, err = run(capsys, "--key", built.policy.verifier.vkey(), "receipt", str(path),
                       "--upgrade", "http://127.0.0.1:9")
    assert code == 3 and "127.0.0.1:9" in err
    code, _, _ = run(capsys, "--key", built.policy.verifier.vkey(), "ledger", "--db",
                     "postgresql+psycopg://u:p@127.0.0.1:9/none")
    assert code == 3


def test_tampered_ledger_exit_1(built: Built, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.verifier.conftest import tamper

    tamper(built.db_path, "DELETE FROM events WHERE idx=3")
    code, out, _ = run(capsys, "--key", built.policy.verifier.vkey(), "--json", "ledger",
                       "--db", str(built.db_path))
    data = json.loads(out)
    assert code == 1 and data["first_divergence"]["code"] == "sequence"
    assert data["first_divergence"]["index"] == 3


def test_verifier_imports_only_core_and_its_own() -> None:
    probe = ("import sys, verifier, verifier.cli, verifier.commands\n"
             "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
             "{'fastapi', 'witness_api', 'eth_tester', 'evm'} or (m.startswith('ledger.') and "
             "not m.startswith('ledger.core')) or m.startswith('sqlalchemy.orm'))\n"
             "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True, timeout=120)
    assert out.stdout.strip() == ""
