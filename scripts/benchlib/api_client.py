"""The load generator of ``scripts/bench_api.py``: a minimal keep-alive HTTP/1.1 client.

It is cheaper per request than a full client library, so that on a 2-core machine more CPU
is left to the server; it runs in a child process of its own (it must not share the
server's or the orchestrator's GIL). The same client, in the same run, measures the
framework floor and the service, so their ratio does not depend on the client's cost.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

# (method, path, body or None)
Request = tuple[str, str, bytes | None]


class Conn:
    """One keep-alive connection; reconnects lazily after an error."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, token: str,
                      body: bytes | None = None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
                f"Authorization: Bearer {token}\r\n")
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + (body or b""))
        assert self.reader is not None
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def pct(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


class _Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.events = 0

    def error(self, key: str, data: bytes = b"") -> None:
        self.errors[key] = self.errors.get(key, 0) + 1
        if data and self.errors[key] <= 2:
            print(f"  unexpected {key}: {data[:300]!r}", file=sys.stderr)


async def _worker(port: int, token: str, queue: list[Request], expect: tuple[int, ...],
                  stop: float, tally: _Tally) -> None:
    conn = Conn("127.0.0.1", port)
    try:
        while queue and time.perf_counter() < stop:
            method, path, body = queue.pop()
            t0 = time.perf_counter()
            try:
                status, data = await conn.request(method, path, token, body)
            except (ConnectionError, asyncio.IncompleteReadError, OSError) as exc:
                tally.error(type(exc).__name__)
                conn.close()
                conn = Conn("127.0.0.1", port)
                continue
            tally.latencies.append(time.perf_counter() - t0)
            if status not in expect:
                tally.error(f"http {status}", data)
            elif path.endswith("/batch"):
                tally.events += json.loads(data)["created"]
    finally:
        conn.close()


async def _run_load(port: int, token: str, requests: Sequence[Request], concurrency: int,
                    expect: tuple[int, ...], deadline_s: float) -> dict[str, Any]:
    queue = list(reversed(requests))
    tally = _Tally()
    stop = time.perf_counter() + deadline_s
    t0 = time.perf_counter()
    await asyncio.gather(*(_worker(port, token, queue, expect, stop, tally)
                           for _ in range(concurrency)))
    wall = time.perf_counter() - t0
    lat = sorted(tally.latencies)
    return {"requests": len(lat), "seconds": round(wall, 3),
            "req_per_s": round(len(lat) / wall, 1),
            "events_created": tally.events, "events_per_s": round(tally.events / wall, 1),
            "p50_ms": round(pct(lat, 0.50) * 1000, 2), "p99_ms": round(pct(lat, 0.99) * 1000, 2),
            "max_ms": round(lat[-1] * 1000, 2) if lat else None, "errors": tally.errors,
            "clients": concurrency}


def _load_child(*args: Any) -> dict[str, Any]:
    return asyncio.run(_run_load(*args))


def run_load(port: int, token: str, requests: Sequence[Request], concurrency: int,
             expect: tuple[int, ...], deadline_s: float) -> dict[str, Any]:
    """Send ``requests`` over ``concurrency`` connections (in a child process); the figures."""
    with ProcessPoolExecutor(1) as pool:
        return pool.submit(_load_child, port, token, requests, concurrency, expect,
                           deadline_s).result()
