"""`make demo`: the main job end to end on the embedded defaults (SQLite + embedded EVM chain).

A realistic tendering trail of several projects (some with planted violations) is posted to
a running `witness serve` as the trading systems would; one project is shown before its
opening (its bids sealed from everyone but their owners, even in the raw database) and after
it (opened and fully verified); the service's elected anchorer seals and anchors
checkpoints; a bidder fetches and verifies a receipt; a supervisor exports and verifies a
project bundle; the rules raise leads and a regulator verifies a lead package; an auditor
runs the whole-ledger check. Every step runs the real commands a user would run.
Outputs land in ./demo-output. May import anything (scripts/ layer).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from ledger.sealing.classes import OPENING_TRIGGERS

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "demo-output"
HOME = OUT / "witness-data"
BIN = Path(sys.executable).parent
ORIGIN = "demo.ggzy.ln.example/witness"  # the Liaoning center's demo log
PROJECTS = 6


def step(title: str) -> None:
    print(f"\n\033[1m== {title}\033[0m", flush=True)


def env() -> dict[str, str]:
    return {**os.environ, "WITNESS_HOME": str(HOME), "WITNESS_CHECKPOINT_INTERVAL": "2",
            "WITNESS_API_ACCESS_LOG": "false", "PYTHONUNBUFFERED": "1"}


def run(*args: str, check: bool = True, quiet: bool = False) -> subprocess.CompletedProcess[str]:
    """Run a console script of this virtualenv, echoing the command like a user would."""
    print("$ " + " ".join(args), flush=True)
    proc = subprocess.run([str(BIN / args[0]), *args[1:]], env=env(), cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    if not quiet and proc.stdout.strip():
        print(_indent(proc.stdout))
    if proc.stderr.strip() and (proc.returncode or not quiet):
        print(_indent(proc.stderr))
    if check and proc.returncode != 0:
        raise SystemExit(f"demo: `{' '.join(args)}` failed with exit code {proc.returncode}")
    return proc


def _indent(text: str, limit: int = 40) -> str:
    lines = text.rstrip().splitlines()
    shown = lines[:limit] + ([f"… ({len(lines) - limit} more lines)"] if len(lines) > limit else [])
    return "\n".join("    " + line for line in shown)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def token(role: str, *extra: str) -> str:
    proc = run("witness", "token", "create", "--role", role, *extra, quiet=True)
    return proc.stdout.strip().splitlines()[0]


def start_service(port: int) -> subprocess.Popen[str]:
    print(f"$ witness serve --port {port} --workers 2", flush=True)
    log = (OUT / "serve.log").open("w")
    proc = subprocess.Popen([str(BIN / "witness"), "serve", "--port", str(port), "--workers", "2"],
                            env=env(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                print(f"    service up: http://127.0.0.1:{port}/docs")
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    stop_service(proc)
    raise SystemExit("demo: the service did not come up; see demo-output/serve.log")


def stop_service(proc: subprocess.Popen[str]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    print(f"    service stopped (exit code {proc.returncode})")


def read_trail(trail: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in trail.read_text(encoding="utf-8").splitlines()]


def split_at_opening(events: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], ...]:
    """The first project's events before its first opening, and everything else."""
    pid = events[0]["project_id"]
    first = next(i for i, ev in enumerate(events)
                 if ev["project_id"] == pid and ev["type"] in OPENING_TRIGGERS)
    return events[:first], events[first:]


def post_events(base: str, ingest_token: str, events: list[dict[str, Any]]) -> dict[str, int]:
    """POST each project whole, in batches of at most 500, as a trading system would."""
    by_project: dict[str, list[dict[str, Any]]] = {}
    for ev in events:
        by_project.setdefault(ev["project_id"], []).append(ev)
    totals = {"created": 0, "rejected": 0}
    headers = {"Authorization": f"Bearer {ingest_token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        for pid, evs in by_project.items():
            for start in range(0, len(evs), 500):
                body = client.post("/v1/events/batch", json={"events": evs[start:start + 500]})
                body.raise_for_status()
                totals["created"] += body.json()["created"]
                totals["rejected"] += body.json()["rejected"]
            print(f"    {pid}: {len(evs)} events posted")
    print(f"    accepted {totals['created']} events, rejected {totals['rejected']}")
    return totals


def before_opening(base: str, sealed: list[dict[str, Any]]) -> None:
    """Bids are in the log but nobody except their owner can read them, nor count them."""
    pid = sealed[0]["project_id"]
    bids = [ev for ev in sealed if ev["type"] == "BID_SUBMITTED"]
    names = sorted({ev["payload"]["bidder_org"] for ev in sealed if "bidder_org" in ev["payload"]})
    # before any bidder holds a token (a bidder token names its holder, not a bid)
    raw = b"".join(p.read_bytes() for p in HOME.glob("witness.db*"))
    hits = {n: raw.count(n.encode()) for n in names}
    print(f"    raw database files: {sum(hits.values())} occurrences of the {len(names)} "
          "bidders' names")
    if any(hits.values()):
        raise SystemExit(f"demo: bidder names in the raw database before the opening: {hits}")
    # the city's supervisor: a token scoped by region (2101 沈阳, 2102 大连, …), not by project
    reg = registration(sealed, pid)
    region = reg["region_code"][:4]
    print(f"    {pid}: region {region}, supervised by {reg['supervisory_dept']}")
    sup = {"Authorization": f"Bearer {token('supervisor', '--region', region)}"}
    print(f"$ curl -H 'Authorization: Bearer …' {base}/v1/projects/{pid}/timeline  # supervisor")
    timeline = httpx.get(f"{base}/v1/projects/{pid}/timeline", headers=sup, timeout=30).json()
    shown = sorted({e["type"] for e in timeline["events"] if e.get("type")})
    print(f"    shown: {shown}\n    sealed: {timeline['sealed']}")
    if {"BID_SUBMITTED", "BOND_PAID", "DOC_DOWNLOADED"} & set(shown):
        raise SystemExit("demo: the supervisor read sealed records before the opening")
    receipt = f"{base}/v1/events/{bids[0]['event_id']}/receipt"
    owner_token = token("bidder", "--bidder", bids[0]["payload"]["bidder_org"])
    owner = {"Authorization": f"Bearer {owner_token}"}
    seen = (httpx.get(receipt, headers=sup, timeout=30).status_code,
            httpx.get(receipt, headers=owner, timeout=30).status_code)
    print(f"    a bid's receipt: HTTP {seen[0]} to the supervisor (unknown to it), "
          f"HTTP {seen[1]} to the bidder who sent it")
    if seen != (404, 200):
        raise SystemExit(f"demo: a sealed bid's receipt answered {seen}, not (404, 200)")


def registration(events: list[dict[str, Any]], pid: str) -> dict[str, Any]:
    """The PROJECT_REGISTERED payload of ``pid`` (who oversees it: region and department)."""
    return next(ev["payload"] for ev in events
                if ev["project_id"] == pid and ev["type"] == "PROJECT_REGISTERED")


def wait_anchored(base: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    detail = ""
    while time.monotonic() < deadline:
        checks = httpx.get(f"{base}/readyz", timeout=10).json().get("checks", {})
        detail = checks.get("chain", {}).get("detail", "")
        if "lag 0 events" in detail:
            return detail
        time.sleep(1)
    raise SystemExit(f"demo: anchoring did not catch up: {detail}")


def trust_policy() -> Path:
    """What a bidder, supervisor or regulator pins: from the operator, not from the files
    (log key, origin, chain id, genesis hash, registry, log id), with its fingerprint."""
    path = OUT / "trust-policy.json"
    out = json.loads(run("witness", "--json", "trust-policy", "export", "-o", str(path),
                         quiet=True).stdout)
    print(f"    trust policy written to {path.relative_to(ROOT)}; fingerprint to publish: "
          f"{out['fingerprint']}")
    return path


def bidder_receipt(base: str, trail: Path, policy: Path) -> Path:
    """A bidder fetches the receipt of its own bid with its own token, then verifies it."""
    bid = next(json.loads(line) for line in trail.read_text(encoding="utf-8").splitlines()
               if json.loads(line)["type"] == "BID_SUBMITTED")
    bidder = bid["payload"]["bidder_org"]
    bidder_token = token("bidder", "--bidder", bidder)
    headers = {"Authorization": f"Bearer {bidder_token}"}
    print(f"$ curl -H 'Authorization: Bearer …' {base}/v1/events/{bid['event_id']}/receipt")
    resp = httpx.get(f"{base}/v1/events/{bid['event_id']}/receipt", headers=headers, timeout=30)
    resp.raise_for_status()
    path = OUT / "bidder-receipt.json"
    path.write_text(json.dumps(resp.json(), ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"    receipt of {bidder}'s bid saved to {path.relative_to(ROOT)}")
    run("witness-verify", "--policy", str(policy), "receipt", str(path))
    return path


def supervisor_bundle(project_id: str, policy: Path) -> Path:
    path = OUT / f"bundle-{project_id}.json"
    run("witness", "export", "project", project_id, "-o", str(path))
    run("witness-verify", "--policy", str(policy), "bundle", str(path))
    return path


def regulator_lead(policy: Path, trail: Path) -> Path | None:
    leads = json.loads(run("witness", "--json", "leads", quiet=True).stdout)
    items = leads if isinstance(leads, list) else leads.get("leads", [])
    run("witness", "leads")
    if not items:
        return None
    lead_id = items[0]["lead_id"]
    path = OUT / "lead-package.json"
    # handed to the project's own supervising department (e.g. 沈阳市住房和城乡建设局)
    dept = registration(read_trail(trail), items[0]["project_id"])["supervisory_dept"]
    run("witness", "lead", "transfer", lead_id, "--to", dept, "--by", "见证中心-王工")
    run("witness", "anchor")  # the LEAD_RAISED / LEAD_TRANSFERRED events are anchored too
    run("witness", "lead", "export", lead_id, "-o", str(path))
    # the transfer's receipt ties this very file (its SHA-256) to the witnessed hand-over
    transfer = OUT / "lead-transfer-receipt.json"
    run("witness", "receipt", "--event-id", f"{lead_id}:transferred", "-o", str(transfer))
    run("witness-verify", "--policy", str(policy), "bundle", str(path), "--receipt", str(transfer))
    return path


def portal_pages(base: str, trail: Path) -> None:
    """Screenshots of every page as the bidder, supervisor, regulator and operator see them
    (scripts/portal_shots.py); without Chromium the demo says why and goes on."""
    from portal_shots import BrowserMissing, take_screenshots  # scripts/ is this script's path

    events = read_trail(trail)
    reg = registration(events, events[0]["project_id"])
    bid = next(ev for ev in events if ev["type"] == "BID_SUBMITTED")
    tokens = {"bidder": token("bidder", "--bidder", bid["payload"]["bidder_org"]),
              "supervisor": token("supervisor", "--region", reg["region_code"][:4]),
              "regulator": token("regulator", "--department", reg["supervisory_dept"]),
              "admin": token("admin")}
    try:
        shots = take_screenshots(base, tokens, OUT / "portal")
        print(f"    {len(shots)} screenshots in {(OUT / 'portal').relative_to(ROOT)}/")
    except BrowserMissing as exc:
        print(f"    no screenshots: {exc}")
    print(f"    portal: {base}/ (with `make serve`: http://127.0.0.1:8080/); log in with a token "
          "from `witness token create --role bidder --bidder <统一社会信用代码>` (or --role "
          "supervisor --region 2101, --role regulator --department <部门>, --role admin)")


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    step("1. Operator: create the log and bind it to the embedded EVM chain")
    run("witness", "init", "--origin", ORIGIN)
    step(f"2. Generate {PROJECTS} realistic tendering projects (some with planted violations)")
    trail = OUT / "trail.jsonl"
    run("witness", "demo-data", "--projects", str(PROJECTS), "--seed", "7", "--plant-every", "2",
        "-o", str(trail))
    ingest_token = token("ingest")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    step("3. Start the service; the trading systems post the trail over HTTP")
    service = start_service(port)
    try:
        sealed, rest = split_at_opening(read_trail(trail))
        post_events(base, ingest_token, sealed)
        step("4. Before the opening: the bids are witnessed, and sealed from everyone else")
        before_opening(base, sealed)
        step("5. The opening unseals them (BIDS_UNSEALED); the rest of the trail follows")
        post_events(base, ingest_token, rest)
        step("6. Early warning: the rule follower evaluates the new events (leads are witnessed)")
        run("witness", "rules", "follow", "--once", "--reference",
            str(trail.with_suffix(".reference.json")))
        step("7. The elected anchorer seals checkpoints and anchors them on chain")
        print("    " + wait_anchored(base))
        run("witness", "chain")
        policy = trust_policy()
        step("8. Bidder: fetch my receipt as myself and verify it against the chain")
        bidder_receipt(base, trail, policy)
        step("8b. The portal (见证门户): each role logs in with its token; every page shot")
        portal_pages(base, trail)
    finally:
        step("9. Stop the service cleanly")
        stop_service(service)
    finish(trail, policy)


def finish(trail: Path, policy: Path) -> None:
    first_project = json.loads(trail.read_text(encoding="utf-8").splitlines()[0])["project_id"]
    step("10. Log: status and an inclusion proof")
    run("witness", "status")
    run("witness", "prove", "--index", "7")
    step("11. Supervisor: export a project bundle and verify it offline and on chain")
    bundle = supervisor_bundle(first_project, policy)
    step("12. Auditor: check the whole ledger against the chain (fsck)")
    run("witness-verify", "--policy", str(policy), "ledger", "--db", str(HOME / "witness.db"),
        "--no-progress")
    step("13. Regulator: the leads, one transferred (移送), its signed package verified")
    lead = regulator_lead(policy, trail)
    step("Done. Outputs")
    for path in (HOME, trail, policy, OUT / "bidder-receipt.json", bundle, lead,
                 OUT / "serve.log", OUT / "portal"):
        if path is not None:
            print(f"    {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
