"""Several workers, one socket each: the kernel spreads connections over the workers.

The supervisor holds the address bound but not listening; each worker it starts is handed a
socket of its own on that address (``SO_REUSEPORT``). The real service with two workers must
list exactly two listeners on its port, one per worker, and a burst of kept-alive
connections must reach both (on one shared socket, the first worker to wake took them all).
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

import pytest

from ledger.home import init_home
from ledger.settings import Settings
from tests.api.test_concurrency import _free_port
from tests.api.test_server_resilience import WITNESS, Server, _collect, _wait_ready
from witness_api.supervisor import WorkerOwnSocket

LISTEN, ESTABLISHED = "0A", "01"


def test_each_started_worker_gets_a_socket_of_its_own() -> None:
    held = WorkerOwnSocket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    held.bind(("127.0.0.1", 0))
    try:
        # what multiprocessing does with the socket list, once per worker it starts
        one, two = (pickle.loads(ForkingPickler.dumps([held]))[0] for _ in range(2))
        try:
            assert type(one) is socket.socket and type(two) is socket.socket
            assert one.getsockname() == two.getsockname() == held.getsockname()
            assert len({one.fileno(), two.fileno(), held.fileno()}) == 3
            assert one.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        finally:
            one.close()
            two.close()
    finally:
        held.close()


def _tcp_sockets(port: int, state: str) -> set[str]:
    """Inodes of the TCP sockets in ``state`` whose local port is ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == state:
                found.add(fields[9])
    return found


def _inodes_of(pid: int) -> set[str]:
    out = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(target[len("socket:["):-1])
    return out


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[Server, int]]:
    if not WITNESS.exists():
        pytest.skip(f"no console script {WITNESS}")
    settings = Settings(home=tmp_path / "home")
    init_home(settings)
    port = _free_port()
    env = {**os.environ, "WITNESS_HOME": str(settings.home), "WITNESS_API_ACCESS_LOG": "false",
           "WITNESS_API_RULES": "0", "WITNESS_API_ANCHOR": "0"}
    proc = subprocess.Popen([str(WITNESS), "serve", "--port", str(port), "--workers", "2"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    srv = Server(proc, f"http://127.0.0.1:{port}", "")
    threading.Thread(target=_collect, args=(proc.stderr, srv.logs), daemon=True).start()
    try:
        _wait_ready(srv.base, proc)
        deadline = time.monotonic() + 30
        while len(srv.workers_started()) < 2 or len(_tcp_sockets(port, LISTEN)) < 2:
            assert time.monotonic() < deadline, srv.logs[-10:]
            time.sleep(0.1)
        yield srv, port
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    assert code == 0, srv.logs[-20:]


def test_two_workers_listen_apart_and_a_burst_of_connections_reaches_both(
        two_workers: tuple[Server, int]) -> None:
    srv, port = two_workers
    workers = srv.workers_started()
    listening = _tcp_sockets(port, LISTEN)
    assert len(listening) == 2  # the supervisor's socket is bound, not listening
    assert [len(_inodes_of(pid) & listening) for pid in workers] == [1, 1]
    burst = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
    try:
        for conn in burst:  # answered, and kept alive
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        for conn in burst:
            assert conn.recv(100).startswith(b"HTTP/1.1 200")
        served = _tcp_sockets(port, ESTABLISHED)
        # 40 connections hashed over two sockets: all on one would have odds of 2^-39
        assert all(_inodes_of(pid) & served for pid in workers), workers
    finally:
        for conn in burst:
            conn.close()
