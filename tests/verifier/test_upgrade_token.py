"""`witness-verify receipt --upgrade URL` against a real `witness serve`: it sends the
caller's token ($WITNESS_TOKEN or --token-file), and a refused token is bad input (exit 2,
one line naming the fix), not "unreachable"."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ledger.events.examples import example_event
from ledger.home import init_home
from ledger.settings import Settings
from ledger.store.database import Database
from witness_api.tokens import TokenStore

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str, Path]]:
    root = tmp_path_factory.mktemp("upgrade")
    settings = Settings(home=root / "home")
    info = init_home(settings)
    db = Database(settings.database_url)
    token, _ = TokenStore(db).create("ingest")
    db.dispose()
    port = _free_port()
    env = {**os.environ, "WITNESS_HOME": str(settings.home), "WITNESS_API_ACCESS_LOG": "false"}
    proc = subprocess.Popen([str(BIN / "witness"), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        resp = httpx.post(base + "/v1/events", json=example_event("ANNOUNCEMENT_PUBLISHED"),
                          headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert resp.status_code == 201, resp.text
        receipt = root / "receipt.json"
        receipt.write_text(json.dumps(resp.json()["receipt"]), encoding="utf-8")
        yield base, token, info["vkey"], receipt
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def _verify(receipt: Path, vkey: str, base: str, *extra: str, token: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "WITNESS_TOKEN"}
    if token is not None:
        env["WITNESS_TOKEN"] = token
    return subprocess.run([str(BIN / "witness-verify"), "--key", vkey, "--offline", "receipt",
                           str(receipt), "--upgrade", base, "-o", str(receipt) + ".up",
                           *extra], capture_output=True, text=True, env=env, timeout=120)


def test_upgrade_sends_the_token_from_the_environment_or_a_file(
        served: tuple[str, str, str, Path], tmp_path: Path) -> None:
    base, token, vkey, receipt = served
    assert _verify(receipt, vkey, base, token=token).returncode == 0
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n", encoding="utf-8")
    token_file.chmod(0o600)
    proc = _verify(receipt, vkey, base, "--token-file", str(token_file))
    assert proc.returncode == 0, proc.stderr
    assert token not in proc.stdout + proc.stderr  # never printed


@pytest.mark.parametrize("token, says", [(None, "needs your token"),
                                         ("wit_wrong", "not accepted")])
def test_a_missing_or_wrong_token_is_bad_input_not_unreachable(
        served: tuple[str, str, str, Path], token: str | None, says: str) -> None:
    base, _, vkey, receipt = served
    proc = _verify(receipt, vkey, base, token=token)
    assert proc.returncode == 2, proc.stderr
    assert "HTTP 401" in proc.stderr and says in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
