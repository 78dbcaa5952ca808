"""One real ``witness-cosign`` process: the tlog-witness answers, durability, restarts."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.core.cosignature import WitnessKey, count_cosignatures
from ledger.core.note import Checkpoint, NoteSigner, sign_checkpoint, split_note
from ledger.log import WitnessLog
from tests.witness_cosign.conftest import BIN, WitnessProcess, add_body, grow


def _valid(w: WitnessProcess, note: str, answer: str) -> bool:
    body, _ = split_note(note)
    _, sigs = split_note(body + "\n" + answer)
    return w.name in count_cosignatures(body, sigs, [WitnessKey.from_vkey(w.vkey)]).valid


def test_cosigns_refuses_rollback_and_fork_and_survives_restart(
        tmp_path: Path, ledger: WitnessLog) -> None:
    w = WitnessProcess(tmp_path / "w", "regulator.example/w1", ledger.signer.verifier.vkey())
    w.init().start()
    try:
        assert (w.home / "witness.key").stat().st_mode & 0o777 == 0o600
        grow(ledger, 0, 5)
        cp5 = ledger.checkpoint()
        answer = w.post(add_body(ledger, cp5.note, 5, 0))
        assert answer.status_code == 200, answer.text
        assert _valid(w, cp5.note, answer.text)
        grow(ledger, 5, 6)
        cp11 = ledger.checkpoint()
        assert w.post(add_body(ledger, cp11.note, 11, 5)).status_code == 200
        w.stop()
        w.start()  # state reloaded from its home
        stale = w.post(add_body(ledger, cp11.note, 11, 5))
        assert stale.status_code == 409
        assert stale.headers["content-type"].startswith("text/x.tlog.size")
        assert stale.text == "11\n"
        rollback = w.post(add_body(ledger, cp5.note, 5, 11))  # an older checkpoint
        assert rollback.status_code == 400
        assert w.post(add_body(ledger, cp5.note, 5, 5)).status_code == 409
        fork = sign_checkpoint(Checkpoint(ledger.origin, 11, b"\x07" * 32), ledger.signer)
        refused = w.post(add_body(ledger, fork, 11, 11))
        assert refused.status_code == 422 and "fork" in refused.text
        grow(ledger, 11, 4)
        cp15 = ledger.checkpoint()
        extra = "A" * 43 + "=\n"  # one hash too many: not the proof from 11 to 15
        bad_proof = add_body(ledger, cp15.note, 15, 11).replace("old 11\n", "old 11\n" + extra)
        assert w.post(bad_proof).status_code == 422
        accepted = w.post(add_body(ledger, cp15.note, 15, 11))
        assert accepted.status_code == 200 and _valid(w, cp15.note, accepted.text)
    finally:
        w.stop()
    with sqlite3.connect(w.home / "state.db") as conn:
        assert conn.execute("SELECT size FROM cosigned").fetchall() == [(15,)]


def test_refusals_have_the_protocol_codes(tmp_path: Path, ledger: WitnessLog) -> None:
    w = WitnessProcess(tmp_path / "w", "w.example", ledger.signer.verifier.vkey())
    w.init().start()
    try:
        grow(ledger, 0, 3)
        cp = ledger.checkpoint()
        other = NoteSigner(ledger.origin, Ed25519PrivateKey.generate())
        forged = sign_checkpoint(Checkpoint(ledger.origin, 3, cp.root), other)
        assert w.post(add_body(ledger, forged, 3, 0)).status_code == 403
        stranger = NoteSigner("elsewhere.example/log", Ed25519PrivateKey.generate())
        unknown = sign_checkpoint(Checkpoint("elsewhere.example/log", 3, cp.root), stranger)
        assert w.post(add_body(ledger, unknown, 3, 0)).status_code == 404
        for body in ("", "old x\n\n" + cp.note, "old 0\nnot base64!\n\n" + cp.note,
                     "old 0\n\nnot a note", "old 01\n\n" + cp.note):
            answer = w.post(body)
            assert answer.status_code == 400, (body, answer.text)
            assert "Traceback" not in answer.text
        assert w.post(b"old 0\n" + b"A" * 40_000).status_code == 413
        assert w.post(add_body(ledger, cp.note, 3, 0)).status_code == 200
    finally:
        w.stop()


def test_key_never_printed_and_errors_exit_as_in_every_command_line(tmp_path: Path) -> None:
    home = tmp_path / "w"
    out = subprocess.run([str(BIN), "init", "--home", str(home), "--name", "w.example"],
                         capture_output=True, text=True, check=True)
    pem = (home / "witness.key").read_text()
    assert "PRIVATE" not in out.stdout + out.stderr
    assert pem.split("\n")[1] not in out.stdout
    again_key = subprocess.run([str(BIN), "vkey", "--home", str(home)], capture_output=True,
                               text=True, check=True)
    assert again_key.stdout == out.stdout and out.stdout.startswith("w.example+")
    again = subprocess.run([str(BIN), "init", "--home", str(home), "--name", "w.example"],
                           capture_output=True, text=True)
    assert again.returncode == 1 and len(again.stderr.strip().splitlines()) == 1  # exists
    os.chmod(home / "witness.key", 0o644)
    loose = subprocess.run([str(BIN), "vkey", "--home", str(home)], capture_output=True,
                           text=True)
    assert loose.returncode == 1 and "chmod 600" in loose.stderr  # a state, not input
    bad = subprocess.run([str(BIN), "serve", "--home", str(home), "--log", "nonsense"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
