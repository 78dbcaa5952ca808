"""The browser verifier (portal-js/) against the Python verifier, on the same catalogue.

The tamper catalogues tests/vectors/receipts.json and bundles.json (scripts/gen_vectors.py)
name, per case, the verdict and failing check. Here: the node test suite of portal-js runs
(it applies every case to the JS verifier, the chain's JSON-RPC answers replayed); the
Python verifier runs over the same cases with the same recorded chain; the verdicts of both
are compared case by case; and the committed bundle is what a fresh build produces.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from scripts.vectorlib.rpc_replay import VERDICTS, apply_mutations, python_outcome
from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[2]
PORTAL_JS = ROOT / "portal-js"
VECTORS = ROOT / "tests" / "vectors"


def _load(name: str) -> dict[str, Any]:
    return dict(json.loads((VECTORS / name).read_text(encoding="utf-8")))


RECEIPTS, BUNDLES = _load("receipts.json"), _load("bundles.json")


def _receipt_doc(case: dict[str, Any]) -> dict[str, Any]:
    base = {"policy": RECEIPTS["policy"], "receipt": RECEIPTS["receipts"][case["receipt"]],
            "rpc": RECEIPTS["rpc"],
            "bid_file": RECEIPTS["bid_file"]["base64"] if case["bid_file"] else None}
    return apply_mutations(base, case["mutations"])


def _bundle_doc(case: dict[str, Any]) -> dict[str, Any]:
    base = {"policy": BUNDLES["policy"], "bundle": BUNDLES["bundles"][case["bundle"]],
            "rpc": BUNDLES["rpc"]}
    return apply_mutations(base, case["mutations"])


def _cases() -> list[Any]:
    return ([pytest.param("receipt", c, id=f"receipt {c['name']}") for c in RECEIPTS["cases"]]
            + [pytest.param("bundle", c, id=f"bundle {c['name']}") for c in BUNDLES["cases"]])


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        unavailable("Node.js is not installed (the browser verifier runs on it)")
    if not (PORTAL_JS / "node_modules" / "@noble" / "hashes").is_dir():
        done = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_portal_js.py"),
                               "--check"], capture_output=True, text=True, timeout=600)
        if done.returncode == 2:
            unavailable(f"portal-js dependencies cannot be installed: {done.stderr.strip()}")
    return str(node)


@pytest.fixture(scope="module")
def js_verdicts() -> dict[str, dict[str, Any]]:
    done = subprocess.run([_node(), "tools/verdicts.mjs"], cwd=PORTAL_JS, capture_output=True,
                          text=True, timeout=120, check=True)
    return dict(json.loads(done.stdout))


def test_catalogues_are_large_enough() -> None:
    bad = [c for c in RECEIPTS["cases"] + BUNDLES["cases"]
           if c["expected"]["verdict"] == "inconsistent"]
    assert len(bad) >= 20
    assert any(c["expected"]["verdict"] == "pending" for c in RECEIPTS["cases"])


@pytest.mark.parametrize(("kind", "case"), _cases())
def test_python_and_js_agree(kind: str, case: dict[str, Any],
                             js_verdicts: dict[str, dict[str, Any]]) -> None:
    doc = _receipt_doc(case) if kind == "receipt" else _bundle_doc(case)
    outcome, code = python_outcome(doc, kind)
    expected = case["expected"]
    assert (outcome, code) == (expected["python"], expected["python_code"])
    js = js_verdicts[f"{kind} {case['name']}"]
    assert js["verdict"] == VERDICTS[outcome] == expected["verdict"]
    if expected["verdict"] == "inconsistent":
        assert expected["check"] in js["failed"]
    else:
        assert js["failed"] == []


def test_node_suite_passes() -> None:
    done = subprocess.run([_node(), "--test", "test/"], cwd=PORTAL_JS, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout


def test_committed_bundle_is_reproducible() -> None:
    _node()
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "build_portal_js.py"),
                           "--check"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr


# Hardhat's first well-known development account (public test key, never for real funds).
HARDHAT_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def anchored_ledger(home: Path, chain: str) -> tuple[Any, Any, str, int]:
    """A ledger bound to ``chain`` with one project (sealed bids, their opening), anchored:
    (settings, open log, project id, log index of a bid)."""
    from ledger.anchoring import Anchorer, bind_chain, open_bound_chain
    from ledger.anchoring.binding import anchorer_account
    from ledger.anchoring.signer import load_checkpoint_key
    from ledger.events import Pseudonymizer
    from ledger.home import init_home, open_log
    from ledger.ingest import Ingestor
    from ledger.keys import load_secret
    from ledger.settings import Settings
    from tests.verifier.conftest import PROJECTS, project_events

    settings = Settings(home=home, origin=f"portal.test/{home.parent.name}", chain=chain)
    init_home(settings)
    log = open_log(settings)
    bind_chain(settings, log)
    events = project_events(PROJECTS[0], 0, 7)  # registered … bids … opening started, ended
    results = Ingestor(log, Pseudonymizer(load_secret(settings.pseudonym_key_path))).submit(events)
    assert all(r.ok for r in results), [r.error for r in results]
    backend, binding = open_bound_chain(settings, log)
    try:
        anchorer = Anchorer(log, backend, binding, anchorer_account(settings, create=False),
                            checkpoint_key=load_checkpoint_key(settings.home))
        assert anchorer.anchor_once().action == "anchored"
    finally:
        backend.close()
    return settings, log, PROJECTS[0], log.index_of(events[3]["event_id"])


def _verify_js(kind: str, path: Path, policy: Path, rpc: str) -> tuple[int, dict[str, Any]]:
    done = subprocess.run([_node(), "tools/verify.mjs", kind, str(path), "--policy", str(policy),
                           "--rpc", rpc], cwd=PORTAL_JS, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, dict(json.loads(done.stdout))


def test_real_ledger_anchored_on_hardhat(hardhat_node: str, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A receipt and a project bundle of a real ledger, anchored on the Hardhat node, checked
    by the browser verifier over real JSON-RPC: intact; a flipped proof hash: inconsistent."""
    from ledger.export import export_project
    from ledger.trust_policy import policy_document

    monkeypatch.setenv("WITNESS_CHAIN_PRIVATE_KEY", HARDHAT_DEV_KEY)
    monkeypatch.delenv("WITNESS_REGISTRY", raising=False)
    settings, log, project, bid_index = anchored_ledger(tmp_path / "home", hardhat_node)
    try:
        receipt = log.receipt(bid_index).to_json()
        files = {"receipt": receipt, "bundle": export_project(log, project),
                 "policy": policy_document(settings, log, endpoint=hardhat_node)}
    finally:
        log.db.dispose()
    for name, obj in files.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(obj, ensure_ascii=False))
    policy = tmp_path / "policy.json"
    for kind in ("receipt", "bundle"):
        code, report = _verify_js(kind, tmp_path / f"{kind}.json", policy, hardhat_node)
        assert (code, report["verdict"]) == (0, "intact"), report
    assert report["anchor"]["chain_id"] == 31337
    receipt["anchored"]["inclusion_proof"][0] = "00" * 32
    (tmp_path / "receipt.json").write_text(json.dumps(receipt, ensure_ascii=False))
    code, report = _verify_js("receipt", tmp_path / "receipt.json", policy, hardhat_node)
    assert (code, report["verdict"]) == (1, "inconsistent")
