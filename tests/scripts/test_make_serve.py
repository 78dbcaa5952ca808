"""`make serve` on a fresh data directory: it creates the log first, then serves."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_make_serve_on_a_fresh_home_initialises_then_serves(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "WITNESS_HOME": str(tmp_path / "fresh"), "WITNESS_CHAIN": "embedded"}
    proc = subprocess.Popen(["make", "-s", "serve", f"SERVE_ARGS=--port {port}"], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline, status = time.monotonic() + 120, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code
                break
            except httpx.HTTPError:
                time.sleep(0.5)
        assert status == 200, proc.stdout.read().decode() if proc.poll() is not None else ""
        assert (tmp_path / "fresh" / "witness.db").is_file()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)
