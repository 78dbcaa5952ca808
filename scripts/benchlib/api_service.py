"""Servers for ``scripts/bench_api.py``: ``witness serve`` and the bare floor app, a scratch
PostgreSQL database, and the workload's events.

Both servers are started the same way (a process group of their own on a free port, ready
once ``GET /healthz`` answers 200) and stopped with SIGINT, so the floor and the service
differ only in what runs inside the workers.
"""

from __future__ import annotations

import copy
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchlib.append import create_pg_database, drop_pg_database, sqlalchemy_pg_url

WITNESS = str(Path(sys.executable).with_name("witness"))
SCRIPTS = Path(__file__).resolve().parents[1]


def make_events(run: str, start: int, n: int, projects: int = 500) -> list[dict[str, Any]]:
    """``n`` valid BID_SUBMITTED events with unique ids (the catalogue's example, varied)."""
    from ledger.events import example_event

    base = example_event("BID_SUBMITTED")
    base.pop("section_id", None)
    out = []
    for i in range(start, start + n):
        ev = copy.deepcopy(base)
        ev["event_id"] = f"EV-{run}-{i:09d}"
        ev["project_id"] = f"ZJ-BENCH-{run}-{i % projects:05d}"
        ev["payload"]["file_hash"] = hashlib.sha256(f"{run}/{i}".encode()).hexdigest()
        out.append(ev)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def witness(env: dict[str, str], *args: str) -> str:
    """Run the ``witness`` command; its stdout (RuntimeError with its stderr on failure)."""
    done = subprocess.run([WITNESS, *args], env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"witness {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def _healthy(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            return s.recv(100).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


class Server:
    """A running server: its port, and the CPU time its processes have used so far."""

    def __init__(self, port: int, pgid: int) -> None:
        self.port, self.pgid = port, pgid

    def cpu_seconds(self) -> float:
        """User + system time of every live process of the server's process group (the
        supervisor and its workers): on a busy machine, CPU per request is steadier than
        requests per second."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # exited meanwhile
            if int(fields[2]) == self.pgid:  # fields after the name: state, ppid, pgrp, …
                total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / tick


@contextmanager
def _server(argv: list[str], env: dict[str, str], port: int, workers: int,
            log_path: Path) -> Iterator[Server]:
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(argv, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not _healthy(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{argv[0]} did not start; see {log_path}")
            time.sleep(0.2)
        time.sleep(1.0 if workers > 1 else 0.2)  # let every worker come up
        yield Server(port, proc.pid)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@contextmanager
def serve(env: dict[str, str], workers: int, log_path: Path) -> Iterator[Server]:
    """``witness serve`` on a free port (uvicorn picks uvloop and httptools when installed)."""
    port = free_port()
    argv = [WITNESS, "serve", "--port", str(port), "--workers", str(workers),
            "--log-level", "warning"]
    with _server(argv, env, port, workers, log_path) as server:
        yield server


@contextmanager
def serve_floor(workers: int, log_path: Path) -> Iterator[Server]:
    """The bare FastAPI app of ``benchlib.api_floor`` under uvicorn's own supervisor, with
    the same worker count, uvloop and httptools, and no access log (none is configured)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SCRIPTS), str(SCRIPTS.parent)])}
    argv = [sys.executable, "-m", "uvicorn", "benchlib.api_floor:create_app", "--factory",
            "--port", str(port), "--workers", str(workers), "--loop", "uvloop",
            "--http", "httptools", "--no-access-log", "--log-level", "warning"]
    with _server(argv, env, port, workers, log_path) as server:
        yield server


@contextmanager
def pg_database(base_url: str) -> Iterator[str]:
    """A fresh database on ``base_url`` (``postgresql://user@host:port``), dropped after."""
    name = create_pg_database(base_url)
    try:
        yield sqlalchemy_pg_url(base_url, name)
    finally:
        drop_pg_database(base_url, name)
