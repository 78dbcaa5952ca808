"""Lead packages (``witness-bundle/v1``, ``kind: "lead"``, docs/leads.md): a real ledger from
the demo generator with a planted late bid, bound to the embedded chain and anchored; the
package verifies clean (offline and on chain) and each tamper is detected; its governance
receipts (LEAD_TRANSFERRED, LEAD_ACKNOWLEDGED) show who and when, and that the file is the
one transferred."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.anchoring import bind_chain
from ledger.anchoring.anchorer import Anchorer
from ledger.anchoring.binding import anchorer_account, open_bound_chain
from ledger.anchoring.signer import load_checkpoint_key
from ledger.core.note import NoteSigner
from ledger.demo import generate_project
from ledger.events import Pseudonymizer
from ledger.home import init_home, open_log
from ledger.ingest import Ingestor
from ledger.keys import load_secret, load_signer
from ledger.rules.context import RuleContext
from ledger.rules.package import package_digest, signature_body
from ledger.rules.service import RuleService
from ledger.settings import Settings
from verifier import check_bundle
from verifier.cli import main
from verifier.policy import TrustPolicy, build
from verifier.readers.chain import ChainRegistryReader, open_registry
from verifier.report import Report

RULE = "R-TB-28-LATE-BID"


@dataclass
class LeadLedger:
    home: Path
    origin: str
    policy: TrustPolicy
    package: bytes
    lead_id: str
    receipts: tuple[bytes, bytes, bytes]  # LEAD_TRANSFERRED, LEAD_ACKNOWLEDGED, LEAD_RAISED
    anchor: dict[str, Any]  # the anchor reference of the package's checkpoint


@pytest.fixture(scope="module")
def lead_ledger(tmp_path_factory: pytest.TempPathFactory) -> LeadLedger:
    home = tmp_path_factory.mktemp("lead") / "home"
    settings = Settings(home=home, origin="lead.verify.test/log", chain="embedded")
    info = init_home(settings)
    log = open_log(settings)
    try:
        bind_chain(settings, log)
        project = generate_project(7, planted={"late_bid"})
        ingestor = Ingestor(log, Pseudonymizer(load_secret(settings.pseudonym_key_path)))
        assert all(r.ok for r in ingestor.submit(project.events))
        service = RuleService(log, RuleContext.default())
        leads = service.run_project(project.project_id).new_leads
        lead_id = next(lid for lid in leads if RULE in service.lead(lid)["rule_ids"])
        chain, binding = open_bound_chain(settings, log)
        try:
            anchorer = Anchorer(log, chain, binding, anchorer_account(settings, create=False),
                                checkpoint_key=load_checkpoint_key(settings.home))
            assert anchorer.anchor_once().action == "anchored"
            moved = service.transfer(lead_id, "市发展和改革委员会", by="移送经办 张三")
            package = service.export_lead(lead_id)
            acked = service.acknowledge(lead_id, by="fgw-li")
            assert anchorer.anchor_once().action == "anchored"  # the receipts are anchored
            assert service.export_lead(lead_id) == package  # later events, a later anchor
            anchor = log.anchor_for(json.loads(package)["proof_size"])
        finally:
            chain.close()
        receipts = (log.receipt(moved).dumps().encode(), log.receipt(acked).dumps().encode(),
                    log.receipt(service.lead(lead_id)["raised_index"]).dumps().encode())
    finally:
        log.db.dispose()
    policy = build(key=info["vkey"], origin=info["origin"], chain_id=binding.chain_id,
                   registry=binding.registry, chain=f"embedded:{home / 'chain'}")
    assert anchor is not None
    return LeadLedger(home, info["origin"], policy, package, lead_id, receipts,
                      anchor.to_json())


@pytest.fixture
def reader(lead_ledger: LeadLedger) -> Iterator[ChainRegistryReader]:
    p = lead_ledger.policy
    assert p.chain and p.chain_id is not None and p.registry
    r = open_registry(p.chain, p.chain_id, p.registry)
    yield r
    r.close()


def _pkg(ll: LeadLedger) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ll.package)
    return data


def _check(pkg: dict[str, Any], ll: LeadLedger, reader: Any = None) -> Report:
    return check_bundle(json.dumps(pkg, ensure_ascii=False).encode(), ll.policy, reader)


def _resign(pkg: dict[str, Any], ll: LeadLedger, signer: NoteSigner | None = None) -> None:
    """What the center could do: sign the changed package again with its own log key."""
    signer = signer or load_signer(ll.home / "log.key", ll.origin)
    pkg["signature"] = signer.sign(signature_body(ll.origin, pkg["lead"]["lead_id"],
                                                  package_digest(pkg)))


def _codes(report: Report) -> set[str]:
    return {p.code for p in report.problems}


def test_clean_lead_package_on_chain(lead_ledger: LeadLedger,
                                     reader: ChainRegistryReader) -> None:
    pkg = _pkg(lead_ledger)
    # no anchor reference in the file: found on chain by the checkpoint's size
    assert pkg["kind"] == "lead" and pkg["checkpoints"][0]["anchor"] is None
    report = _check(pkg, lead_ledger, reader)
    assert report.outcome == "intact", report.to_text()
    assert report.counts["anchors"] == 1
    assert report.counts["inclusion_proofs"] == report.counts["events"] == len(pkg["events"])
    assert report.counts["signatures"] == 2  # package + project head (checkpoint separately)
    lead = report.subject["lead"]
    assert lead["lead_id"] == lead_ledger.lead_id and lead["rule_ids"] == [RULE]
    assert lead["raised_at"] and lead["raised_anchored_at"]
    assert "TB 第28条" in lead["rules"][0]["basis"]
    roles = [t.get("role") for t in report.timeline]
    assert "LEAD RAISED" in roles and f"evidence {RULE}" in roles
    assert all(t["result"] == "ok" for t in report.timeline)
    assert "links" in report.counts and "sequence" not in _codes(report)
    text = report.to_text()
    assert RULE in text and "basis: TB 第28条" in text and "evidence timeline" in text


def test_clean_lead_package_offline_cli(lead_ledger: LeadLedger, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "lead.json"
    path.write_bytes(lead_ledger.package)
    with pytest.raises(SystemExit) as exc:
        main(["--key", lead_ledger.policy.verifier.vkey(), "--offline", "bundle", str(path)])
    out = capsys.readouterr().out
    assert exc.value.code == 0 and "截止时间" in out
    assert f"pending: checkpoint {_pkg(lead_ledger)['proof_size']}" in out  # chain not read
    assert "not checked: that this file is the package transferred" in out


@pytest.mark.parametrize("resign", [False, True])
def test_evidence_event_dropped(lead_ledger: LeadLedger, resign: bool) -> None:
    pkg = _pkg(lead_ledger)
    first = pkg["lead"]["findings"][0]["evidence"][0]
    pkg["events"] = [e for e in pkg["events"] if e["index"] != first[0]]
    if resign:
        _resign(pkg, lead_ledger)
    report = _check(pkg, lead_ledger)
    assert report.exit_code == 1
    missing = next(p for p in report.problems if p.code == "lead")
    assert (missing.index, missing.event_id) == (first[0], first[1])
    assert ("signature" in _codes(report)) is not resign


@pytest.mark.parametrize("resign", [False, True])
def test_rule_id_altered(lead_ledger: LeadLedger, resign: bool) -> None:
    pkg = _pkg(lead_ledger)
    pkg["lead"]["rule_ids"] = ["R-TB-24-DEADLINE"]
    for f in pkg["lead"]["findings"]:
        f["rule_id"] = "R-TB-24-DEADLINE"
    if resign:
        _resign(pkg, lead_ledger)
    report = _check(pkg, lead_ledger)
    assert report.exit_code == 1
    if resign:  # signed by the log key, but the witnessed LEAD_RAISED names the real rule
        assert "lead" in _codes(report) and "signature" not in _codes(report)
        assert any("rule_ids" in p.detail and RULE in p.detail for p in report.problems)
    else:
        assert "signature" in _codes(report)


def test_resigned_with_another_key(lead_ledger: LeadLedger) -> None:
    pkg = _pkg(lead_ledger)
    _resign(pkg, lead_ledger, NoteSigner(lead_ledger.origin, Ed25519PrivateKey.generate()))
    report = _check(pkg, lead_ledger)
    assert _codes(report) == {"signature"} and "lead package signature" in \
        report.problems[0].detail


def test_message_changed_breaks_the_signature(lead_ledger: LeadLedger) -> None:
    pkg = _pkg(lead_ledger)
    pkg["lead"]["findings"][0]["message_zh"] = "无异常"
    assert _codes(_check(pkg, lead_ledger)) == {"signature"}


def test_evidence_payload_changed(lead_ledger: LeadLedger) -> None:
    pkg = _pkg(lead_ledger)
    ev = pkg["events"][0]
    assert '"occurred_at":"2025-' in ev["canonical"]
    ev["canonical"] = ev["canonical"].replace('"occurred_at":"2025-', '"occurred_at":"2024-', 1)
    import hashlib

    ev["leaf_hash"] = hashlib.sha256(b"\x00" + ev["canonical"].encode()).hexdigest()
    _resign(pkg, lead_ledger)
    report = _check(pkg, lead_ledger)
    assert _codes(report) == {"inclusion"} and report.problems[0].index == ev["index"]


def test_lead_checkpoint_not_on_chain(lead_ledger: LeadLedger,
                                      reader: ChainRegistryReader) -> None:
    pkg = _pkg(lead_ledger)
    pkg["checkpoints"][0]["anchor"] = {**lead_ledger.anchor, "chain_index": 5}
    _resign(pkg, lead_ledger)
    report = _check(pkg, lead_ledger, reader)
    assert _codes(report) == {"anchor"}


def test_project_bundle_rules_still_apply(lead_ledger: LeadLedger) -> None:
    """The same events presented as a PROJECT bundle are not a complete trail."""
    pkg = _pkg(lead_ledger)
    pkg["kind"] = "project"
    assert "sequence" in _codes(_check(pkg, lead_ledger))


def test_unknown_kind_is_bad_input(lead_ledger: LeadLedger) -> None:
    from ledger.core.errors import MalformedError

    pkg = _pkg(lead_ledger)
    pkg["kind"] = "other"
    with pytest.raises(MalformedError):
        _check(pkg, lead_ledger)
    pkg = _pkg(lead_ledger)
    del pkg["signature"]
    with pytest.raises(MalformedError):
        _check(pkg, lead_ledger)



def _receipts(ll: LeadLedger, tmp_path: Path, *which: int) -> list[str]:
    out = []
    for n in which:
        path = tmp_path / f"receipt-{n}.json"
        path.write_bytes(ll.receipts[n])
        out += ["--receipt", str(path)]
    return out


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    out = capsys.readouterr().out
    return int(exc.value.code or 0), json.loads(out) if out.startswith("{") else {"text": out}


def test_governance_receipts_name_this_file(lead_ledger: LeadLedger, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "lead.json"
    path.write_bytes(lead_ledger.package)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(lead_ledger.policy.to_json()))
    code, report = _cli(["--policy", str(policy), "--json", "bundle", str(path),
                         *_receipts(lead_ledger, tmp_path, 0, 1)], capsys)
    assert code == 0 and report["outcome"] == "intact", report
    transfer, ack = report["subject"]["lead"]["governance"]
    assert (transfer["type"], transfer["by"], transfer["department"]) == (
        "LEAD_TRANSFERRED", "移送经办 张三", "市发展和改革委员会")
    assert (ack["type"], ack["by"], ack["actor"]["role"]) == ("LEAD_ACKNOWLEDGED", "fgw-li",
                                                              "regulator")
    assert transfer["at"].endswith("+08:00") and transfer["anchored_at"].endswith("+08:00")
    assert transfer["package_hash_matches"] and ack["package_hash_matches"]
    roles = {t.get("role") for t in report["timeline"]}
    assert {"TRANSFERRED", "ACKNOWLEDGED", "LEAD RAISED"} <= roles
    code, _ = _cli(["--policy", str(policy), "bundle", str(path),
                    *_receipts(lead_ledger, tmp_path, 0)], capsys)
    assert code == 0


def test_another_file_than_the_one_transferred_fails(
        lead_ledger: LeadLedger, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Re-indented: the signature (over canonical JSON) still holds, but it is not the file
    whose hash the log recorded at the transfer."""
    path = tmp_path / "lead.json"
    path.write_text(json.dumps(_pkg(lead_ledger), ensure_ascii=False, indent=2))
    args = ["--key", lead_ledger.policy.verifier.vkey(), "--offline", "--json", "bundle",
            str(path), *_receipts(lead_ledger, tmp_path, 0)]
    code, report = _cli(args, capsys)
    assert code == 1 and {p["code"] for p in report["problems"]} == {"lead"}
    assert "not the package transferred" in report["problems"][0]["detail"]


def test_a_receipt_of_another_event_fails(lead_ledger: LeadLedger, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "lead.json"
    path.write_bytes(lead_ledger.package)
    args = ["--key", lead_ledger.policy.verifier.vkey(), "--offline", "--json", "bundle",
            str(path), *_receipts(lead_ledger, tmp_path, 2)]
    code, report = _cli(args, capsys)
    assert code == 1 and "not a LEAD_TRANSFERRED" in report["problems"][0]["detail"]


def test_a_tampered_transfer_receipt_fails(lead_ledger: LeadLedger, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A receipt whose event is changed to name this file's hash no longer proves anything."""
    receipt = json.loads(lead_ledger.receipts[0])
    receipt["canonical_event"] = receipt["canonical_event"].replace("张三", "李四")
    path = tmp_path / "lead.json"
    path.write_bytes(lead_ledger.package)
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(receipt, ensure_ascii=False))
    args = ["--key", lead_ledger.policy.verifier.vkey(), "--offline", "--json", "bundle",
            str(path), "--receipt", str(forged)]
    code, report = _cli(args, capsys)
    assert code == 1 and report["outcome"] == "failed", report
    assert "receipt of index" in report["problems"][0]["detail"]
