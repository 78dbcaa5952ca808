"""The real service (``witness serve --workers 1``) survives hostile bodies and worker deaths.

One server for the module, on a fresh data dir: first 100,000-deep bodies to every route
of its OpenAPI document that takes a JSON body (a new endpoint is covered without editing
this file), unauthenticated; then a worker killed with SIGSEGV. Each time the service must
keep answering, and a death must be in its log.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.events import example_event
from ledger.home import init_home
from ledger.settings import Settings
from ledger.store.database import Database
from tests.api.test_concurrency import _free_port
from witness_api.tokens import TokenStore

WITNESS = Path(sys.executable).with_name("witness")
DEEP = 100_000


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    token: str
    logs: list[dict[str, Any]] = field(default_factory=list)

    def wait_for_log(self, match: Callable[[dict[str, Any]], bool],
                     timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in list(self.logs):
                if match(entry):
                    return entry
            time.sleep(0.05)
        raise AssertionError(f"no such log line in {len(self.logs)} lines")

    def workers_started(self) -> list[int]:
        return [e["pid"] for e in list(self.logs) if e.get("message") == "worker started"]


def _collect(stream: Any, out: list[dict[str, Any]]) -> None:
    for line in stream:
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append({"text": line.decode("utf-8", "replace")})


def _wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "witness serve exited"
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("witness serve did not answer")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not WITNESS.exists():
        pytest.skip(f"no console script {WITNESS}")
    settings = Settings(home=tmp_path_factory.mktemp("serve") / "home")
    init_home(settings)
    db = Database(settings.database_url)
    token, _ = TokenStore(db).create("ingest")
    db.dispose()
    port = _free_port()
    env = {**os.environ, "WITNESS_HOME": str(settings.home), "WITNESS_API_ACCESS_LOG": "false"}
    proc = subprocess.Popen([str(WITNESS), "serve", "--port", str(port), "--workers", "1"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    srv = Server(proc, f"http://127.0.0.1:{port}", token)
    threading.Thread(target=_collect, args=(proc.stderr, srv.logs), daemon=True).start()
    try:
        _wait_ready(srv.base, proc)
        yield srv
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    assert code == 0, srv.logs[-20:]


def json_body_routes(base: str) -> list[tuple[str, str]]:
    """(method, path with parameters filled) of every operation with a JSON request body."""
    schema = httpx.get(base + "/openapi.json", timeout=10).json()
    routes = []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            content = op.get("requestBody", {}).get("content", {})
            if any(t == "application/json" or t.endswith("+json") for t in content):
                routes.append((method.upper(), re.sub(r"\{[^}]+\}", "x1", path)))
    return routes


def _ingest_one(srv: Server, event_id: str) -> None:
    event = example_event("BID_SUBMITTED")
    event["event_id"] = event_id
    r = httpx.post(srv.base + "/v1/events", json=event, timeout=30,
                   headers={"Authorization": f"Bearer {srv.token}"})
    assert r.status_code == 201, r.text


def test_deep_bodies_on_every_json_route_are_400_and_harmless(server: Server) -> None:
    routes = json_body_routes(server.base)
    assert {("POST", "/v1/events"), ("POST", "/v1/events/batch")} <= set(routes)
    bodies = ["[" * DEEP + "]" * DEEP, '{"a":' * DEEP]  # valid JSON, and an open prefix
    with httpx.Client(base_url=server.base, timeout=30) as http:
        for method, path in routes:
            for body in bodies:
                r = http.request(method, path, content=body.encode(),
                                 headers={"Content-Type": "application/json"})
                assert r.status_code == 400, (method, path, r.status_code, r.text[:200])
                assert r.headers["content-type"] == "application/problem+json"
                assert r.json()["type"] == "urn:witness:problem:json-too-deep"
        assert http.get("/healthz").status_code == 200
    _ingest_one(server, "EV-AFTER-DEEP-1")
    assert len(server.workers_started()) == 1  # the first worker is still the one serving
    assert not [e for e in server.logs if e.get("logger") == "witness_api.supervisor"
                and e.get("level") == "error"]


def test_a_killed_worker_is_logged_and_replaced(server: Server) -> None:
    pid = server.wait_for_log(lambda e: e.get("message") == "worker started")["pid"]
    os.kill(pid, signal.SIGSEGV)
    killed = time.monotonic()
    death = server.wait_for_log(lambda e: e.get("message") == "worker died"
                                and e.get("pid") == pid)
    assert death["level"] == "error" and death["logger"] == "witness_api.supervisor"
    assert (death["signal"], death["exitcode"]) == ("SIGSEGV", -signal.SIGSEGV)
    assert death["replacement_pid"] not in (None, pid)
    _wait_ready(server.base, server.proc, timeout=30)
    assert time.monotonic() - killed < 30
    assert server.workers_started()[-1] == death["replacement_pid"]
    _ingest_one(server, "EV-AFTER-SEGV-1")
