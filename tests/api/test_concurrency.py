"""N concurrent clients against a real ``uvicorn`` with 2 workers: a gap-free log with every
acknowledged event present exactly once — on SQLite and on the PostgreSQL server.

PostgreSQL: 127.0.0.1:5432 as user ``postgres`` (trust auth), one uniquely named database per
session, dropped afterwards. Unreachable → skipped, unless ``CI=true`` (then it fails).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from ledger.events import example_event
from ledger.home import init_home
from ledger.sealing.keys import load_sealer
from ledger.settings import Settings
from ledger.store.database import Database
from ledger.store.schema import events
from witness_api.tokens import TokenStore

CLIENTS = 8
ROUNDS = 6  # per client: alternately one event and a batch of 5
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    name = f"witness_api_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is unreachable in CI: {exc}")
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is unreachable: {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _serve(home: Path, db_url: str | None) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "WITNESS_HOME": str(home), "WITNESS_API_ACCESS_LOG": "false"}
    if db_url:
        env["WITNESS_DB_URL"] = db_url
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "witness_api.app:app_from_env", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "server died")
    proc.terminate()
    raise RuntimeError("server did not become ready")


def _event(client_no: int, n: int) -> dict[str, object]:
    ev = example_event("DOC_DOWNLOADED")  # a bid-phase record: sealed (no project chain)
    ev["event_id"] = f"EV-C{client_no}-{n}"
    ev["project_id"] = f"P-{client_no % 3}"  # shared projects: per-project chains interleave
    return ev


def _client(base: str, token: str, client_no: int) -> dict[str, int]:
    acked: dict[str, int] = {}
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
        n = 0
        for round_no in range(ROUNDS):
            if round_no % 2 == 0:
                r = http.post("/v1/events", json=_event(client_no, n))
                assert r.status_code == 201, r.text
                acked[r.json()["event_id"]] = r.json()["index"]
                n += 1
                continue
            batch = [_event(client_no, n + k) for k in range(5)]
            n += 5
            r = http.post("/v1/events/batch", json={"events": batch})
            assert r.status_code == 200, r.text
            for item in r.json()["results"]:
                assert item["status"] == "created", item
                acked[item["event_id"]] = item["index"]
    return acked


def _run(tmp_path: Path, db_url: str | None) -> None:
    settings = Settings(home=tmp_path / "home", db_url=db_url)
    init_home(settings)
    db = Database(settings.database_url)
    token, _ = TokenStore(db).create("ingest")
    proc, base = _serve(settings.home, db_url)
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            results = list(pool.map(lambda i: _client(base, token, i), range(CLIENTS)))
    finally:
        proc.terminate()  # SIGTERM: uvicorn's graceful shutdown
        assert proc.wait(timeout=30) == 0
    acked = {k: v for r in results for k, v in r.items()}
    assert len(acked) == CLIENTS * (ROUNDS // 2) * 6
    with db.read() as conn:
        rows = conn.execute(select(events.c.idx, events.c.event_id).order_by(events.c.idx)).all()
    db.dispose()
    assert [r[0] for r in rows] == list(range(len(rows)))  # gap-free
    stored = {r[1]: r[0] for r in rows}
    assert len(stored) == len(rows)  # each event id once
    # every acknowledged event, at the acknowledged index, nothing else; the downloads were
    # recorded before any opening, so they are sealed: stored under blinded ids
    sealer = load_sealer(settings.seal_key_path)
    assert stored == {sealer.blind("event", k): v for k, v in acked.items()}


def test_concurrent_clients_sqlite(tmp_path: Path) -> None:
    _run(tmp_path, None)


@pytest.mark.postgres
def test_concurrent_clients_postgres(tmp_path: Path, pg_url: str) -> None:
    _run(tmp_path, pg_url)
