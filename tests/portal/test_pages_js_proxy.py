"""The browser verifier reading the chain through the portal's proxy: a real ledger's
receipt and project bundle, anchored on the embedded chain, checked by ``WitnessVerify``
(under Node, as the page would) with ``--rpc .../v1/chain/rpc`` — both intact."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from tests.conftest import unavailable
from tests.portal.conftest import World

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "portal-js" / "tools" / "verify.mjs"


@pytest.fixture(scope="module")
def served(portal_world: World) -> Iterator[str]:
    """The world's app on a real socket (the verifier speaks HTTP to the proxy)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(portal_world.app, host="127.0.0.1", port=port,
                                           lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        unavailable("Node.js is not installed (the browser verifier runs on it)")
    if not (ROOT / "portal-js" / "node_modules" / "@noble" / "hashes").is_dir():
        unavailable("portal-js/node_modules is missing: run python scripts/build_portal_js.py")
    return str(node)


def _verify(kind: str, doc: object, policy: object, rpc: str, tmp: Path) -> dict[str, object]:
    (tmp / "doc.json").write_text(json.dumps(doc), encoding="utf-8")
    (tmp / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
    done = subprocess.run([_node(), str(TOOL), kind, str(tmp / "doc.json"), "--policy",
                           str(tmp / "policy.json"), "--rpc", rpc],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    return report


def test_receipt_and_bundle_are_intact_through_the_proxy(portal_world: World, served: str,
                                                         tmp_path: Path) -> None:
    node = _node()
    assert node
    api = TestClient(portal_world.app)
    admin = {"Authorization": f"Bearer {portal_world.tokens['admin']}"}
    policy = api.get("/v1/trust-policy").json()
    receipt = api.get(f"/v1/receipts/{portal_world.bids['A']}", headers=admin).json()
    report = _verify("receipt", receipt, policy, f"{served}/v1/chain/rpc", tmp_path)
    assert report["verdict"] == "intact", report
    checks = {c["id"]: c["status"] for c in report["checks"]}  # type: ignore[attr-defined]
    assert checks["anchor_on_chain"] == "ok", report
    bundle = api.get(f"/v1/projects/{portal_world.projects['A']}/bundle", headers=admin).json()
    audit = _verify("bundle", bundle, policy, f"{served}/v1/chain/rpc", tmp_path)
    assert audit["verdict"] == "intact", audit
