"""The real `witness serve` the browser tests drive, loaded with a small Liaoning demo trail.

Everything goes through the commands and HTTP routes an operator and the trading systems use:
`witness init` (embedded EVM chain), `witness demo-data` (two projects, violations planted),
`witness token create` per role, `witness serve --workers 1`, POST /v1/events/batch, the rule
follower, POST /v1/leads/{id}/transfer. Two bids of the first project are given real bid files
(their SHA-256 written into the trail before it is posted), so the browser can check a file
against the ledger.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

BIN = Path(sys.executable).parent
ORIGIN = "test.ggzy.ln.example/witness"
SEED = "2"  # two projects of 253 and 153 events: realistic, and quick in a browser
LARGE_FILE_BYTES = 64 * 1024 * 1024
SMALL_FILE_BYTES = 256 * 1024
ROLES = ("bidder", "supervisor", "regulator", "admin")


@dataclass
class Portal:
    """A running service and what the tests need to know about its data."""

    base: str
    home: Path
    proc: subprocess.Popen[bytes]
    tokens: dict[str, str] = field(default_factory=dict)  # role (and "other_bidder") → token
    project_id: str = ""  # the first project: the supervisor's, with the transferred lead
    other_project_id: str = ""  # outside the supervisor's and the regulator's scope
    lead_id: str = ""
    bid_index: int = -1  # bidder A's bid (small bid file)
    other_bid_index: int = -1  # bidder B's bid (the large bid file)
    files: dict[str, Path] = field(default_factory=dict)  # name → path in the temp dir

    def url(self, path: str) -> str:
        return self.base + path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "WITNESS_HOME": str(home), "WITNESS_CHECKPOINT_INTERVAL": "1",
            "WITNESS_API_ACCESS_LOG": "false", "PYTHONUNBUFFERED": "1"}


def spawn(home: Path, *args: str) -> subprocess.Popen[str]:
    """Start the operator's CLI (each start costs a second or two: several run at once)."""
    return subprocess.Popen([str(BIN / "witness"), *args], env=_env(home), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen[str]) -> str:
    """Wait for a CLI run; its stdout, or why it failed."""
    stdout, stderr = proc.communicate(timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{proc.args!r}: exit {proc.returncode}: {stderr}")
    return stdout


def witness(home: Path, *args: str) -> str:
    return finish(spawn(home, *args))


def spawn_tokens(home: Path, scopes: dict[str, list[str]]) -> dict[str, subprocess.Popen[str]]:
    return {name: spawn(home, "token", "create", "--json", *args)
            for name, args in scopes.items()}


def collect_tokens(procs: dict[str, subprocess.Popen[str]]) -> dict[str, str]:
    return {name: str(json.loads(finish(proc))["token"]) for name, proc in procs.items()}


def write_bid_file(path: Path, size: int) -> str:
    """Random bytes (so no chunk of them can appear anywhere by chance); their SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as fh:
        left = size
        while left:
            chunk = os.urandom(min(left, 4 * 1024 * 1024))
            digest.update(chunk)
            fh.write(chunk)
            left -= len(chunk)
    return digest.hexdigest()


def start(home: Path, log_path: Path) -> Portal:
    port = free_port()
    log = log_path.open("wb")
    proc = subprocess.Popen([str(BIN / "witness"), "serve", "--port", str(port), "--workers",
                             "1"], env=_env(home), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    portal = Portal(base=f"http://127.0.0.1:{port}", home=home, proc=proc)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"witness serve exited with {proc.returncode}; see {log_path}")
        try:
            if httpx.get(portal.url("/healthz"), timeout=2).status_code == 200:
                return portal
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(portal)
    raise RuntimeError(f"witness serve did not come up; see {log_path}")


def stop(portal: Portal) -> None:
    if portal.proc.poll() is not None:
        return
    os.killpg(portal.proc.pid, signal.SIGTERM)
    try:
        portal.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(portal.proc.pid, signal.SIGKILL)
        portal.proc.wait(timeout=10)


def wait_anchored(portal: Portal, timeout: float = 90) -> None:
    """Until the chain has caught up with the log (every event in an anchored checkpoint)."""
    deadline = time.monotonic() + timeout
    detail = ""
    while time.monotonic() < deadline:
        checks = httpx.get(portal.url("/readyz"), timeout=10).json().get("checks", {})
        detail = checks.get("chain", {}).get("detail", "")
        if "lag 0 events" in detail and "anchored size 0" not in detail:
            return
        time.sleep(0.3)
    raise RuntimeError(f"anchoring did not catch up: {detail}")


def _read_trail(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _registration(events: list[dict[str, Any]], project_id: str) -> dict[str, Any]:
    return next(ev["payload"] for ev in events
                if ev["project_id"] == project_id and ev["type"] == "PROJECT_REGISTERED")


def _give_bid_files(events: list[dict[str, Any]], tmp: Path) -> dict[str, Any]:
    """Bidder A's and bidder B's first bids of the first project name real files."""
    first = events[0]["project_id"]
    bids = [ev for ev in events if ev["project_id"] == first and ev["type"] == "BID_SUBMITTED"]
    bid_a = bids[0]
    bid_b = next(b for b in bids if b["payload"]["bidder_org"] != bid_a["payload"]["bidder_org"])
    files = {"bid_small": tmp / "投标文件-A.lntf", "bid_large": tmp / "投标文件-B.lntf",
             "bid_wrong": tmp / "投标文件-A-改.lntf"}
    for bid, name, size in ((bid_a, "bid_small", SMALL_FILE_BYTES),
                            (bid_b, "bid_large", LARGE_FILE_BYTES)):
        bid["payload"]["file_hash"] = write_bid_file(files[name], size)
        bid["payload"]["file_size"] = size
    write_bid_file(files["bid_wrong"], SMALL_FILE_BYTES)
    return {"files": files, "bid_a": bid_a, "bid_b": bid_b}


def _post_trail(portal: Portal, token: str, events: list[dict[str, Any]]) -> dict[str, Any]:
    """POST each project whole, as a trading system would; event id → batch result."""
    by_project: dict[str, list[dict[str, Any]]] = {}
    for ev in events:
        by_project.setdefault(ev["project_id"], []).append(ev)
    results: dict[str, Any] = {}
    with httpx.Client(base_url=portal.base, timeout=120,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        for evs in by_project.values():
            for start_at in range(0, len(evs), 500):
                batch = evs[start_at:start_at + 500]
                resp = client.post("/v1/events/batch", json={"events": batch})
                resp.raise_for_status()
                body = resp.json()
                if body["rejected"]:
                    raise RuntimeError(f"events rejected: {body['results'][:3]}")
                for ev, item in zip(batch, body["results"], strict=True):
                    results[ev["event_id"]] = item
    return results


def _transfer_lead(portal: Portal, project_id: str, department: str) -> str:
    admin = {"Authorization": f"Bearer {portal.tokens['admin']}"}
    leads = httpx.get(portal.url("/v1/leads"), params={"project": project_id}, headers=admin,
                      timeout=30).json()["leads"]
    if not leads:
        raise RuntimeError(f"the rules raised no lead on {project_id}")
    lead_id = str(leads[0]["lead_id"])
    resp = httpx.post(portal.url(f"/v1/leads/{lead_id}/transfer"), headers=admin, timeout=30,
                      json={"department": department})
    resp.raise_for_status()
    return lead_id


def _anchored_receipt(portal: Portal, event_id: str, role: str) -> dict[str, Any]:
    """The receipt as its owner fetches it once anchored."""
    resp = httpx.get(portal.url(f"/v1/events/{event_id}/receipt"), timeout=30,
                     headers={"Authorization": f"Bearer {portal.tokens[role]}"})
    resp.raise_for_status()
    receipt: dict[str, Any] = resp.json()
    if "anchored" not in receipt:
        raise RuntimeError(f"the receipt of {event_id} is not anchored: {sorted(receipt)}")
    return receipt


def _save_receipts(portal: Portal, tmp: Path, bids: dict[str, Any], pending: Any) -> None:
    """Bidder A's receipt as anchored, as first promised (pending) and tampered with (the
    recorded file hash edited); bidder B's as anchored (for the large bid file)."""
    intact = _anchored_receipt(portal, bids["bid_a"]["event_id"], "bidder")
    recorded = bids["bid_a"]["payload"]["file_hash"]
    if recorded not in intact["canonical_event"]:
        raise RuntimeError("the receipt's event does not record the bid file's hash")
    tampered = {**intact, "canonical_event": intact["canonical_event"].replace(recorded, "0" * 64)}
    docs = {"receipt_intact": intact, "receipt_pending": pending, "receipt_tampered": tampered,
            "receipt_large": _anchored_receipt(portal, bids["bid_b"]["event_id"], "other_bidder")}
    for name, doc in docs.items():
        portal.files[name] = tmp / f"{name}.json"
        portal.files[name].write_text(json.dumps(doc, ensure_ascii=False, indent=2), "utf-8")


def _token_scopes(events: list[dict[str, Any]], bids: dict[str, Any]) -> dict[str, list[str]]:
    """A token per role: the supervisor oversees the first project, the regulator is its
    supervising department, bidders A and B hold one bid each."""
    first = events[0]["project_id"]
    dept = _registration(events, first)["supervisory_dept"]
    if dept == _registration(events, events[-1]["project_id"])["supervisory_dept"]:
        raise RuntimeError("both demo projects have one supervising department")
    return {
        "ingest": ["--role", "ingest", "--label", "电子招标投标交易平台"],
        "admin": ["--role", "admin", "--label", "见证中心-王工"],
        "supervisor": ["--role", "supervisor", "--project", first, "--label", "监督员-李明"],
        "regulator": ["--role", "regulator", "--department", dept, "--label", "行政监督-赵静"],
        "bidder": ["--role", "bidder", "--bidder", bids["bid_a"]["payload"]["bidder_org"]],
        "other_bidder": ["--role", "bidder", "--bidder", bids["bid_b"]["payload"]["bidder_org"]],
    }


def launch(tmp: Path) -> Portal:
    """Init, generate and post the trail, raise and transfer a lead, wait for the anchor."""
    home, trail = tmp / "home", tmp / "trail.jsonl"
    generating = spawn(home, "demo-data", "--projects", "2", "--seed", SEED, "--plant-every",
                       "1", "-o", str(trail))
    witness(home, "init", "--origin", ORIGIN)
    finish(generating)
    events = _read_trail(trail)
    bids = _give_bid_files(events, tmp)
    creating = spawn_tokens(home, _token_scopes(events, bids))
    portal = start(home, tmp / "serve.log")
    try:
        portal.tokens, portal.files = collect_tokens(creating), dict(bids["files"])
        portal.project_id, portal.other_project_id = events[0]["project_id"], \
            events[-1]["project_id"]
        results = _post_trail(portal, portal.tokens["ingest"], events)
        portal.bid_index = int(results[bids["bid_a"]["event_id"]]["index"])
        portal.other_bid_index = int(results[bids["bid_b"]["event_id"]]["index"])
        witness(home, "rules", "follow", "--once", "--reference",
                str(trail.with_suffix(".reference.json")))
        dept = _registration(events, portal.project_id)["supervisory_dept"]
        portal.lead_id = _transfer_lead(portal, portal.project_id, dept)
        wait_anchored(portal)
        _save_receipts(portal, tmp, bids, results[bids["bid_a"]["event_id"]]["receipt"])
    except BaseException:
        stop(portal)
        raise
    return portal
