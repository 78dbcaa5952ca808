"""The rule service over a real (SQLite) witness log: incremental findings, LEAD_RAISED
witnessed once, idempotent re-runs, transfer, the signed lead package round trip, and the
governance events (LEAD_TRANSFERRED with the package hash and the person, LEAD_ACKNOWLEDGED
once) from the service and from the command line."""

from __future__ import annotations

import base64
import getpass
import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ledger.core.errors import WitnessError
from ledger.core.note import open_note
from ledger.core.verify import verify_inclusion
from ledger.demo import generate_project
from ledger.errors import StateConflictError
from ledger.events import Pseudonymizer
from ledger.home import init_home, open_log
from ledger.ingest import Ingestor
from ledger.log import WitnessLog
from ledger.rules.context import RuleContext
from ledger.rules.package import package_digest, package_hash, signature_body, zh_number
from ledger.rules.service import RuleService
from ledger.settings import Settings
from ledger.store.schema import events


@pytest.fixture
def log(tmp_path: Path) -> Iterator[WitnessLog]:
    s = Settings(home=tmp_path / "home", origin="test.example/log")
    init_home(s)
    opened = open_log(s)
    opened.db.migrate()
    yield opened
    opened.db.dispose()


def _ingest(log: WitnessLog, svc: RuleService, evs: list[dict[str, Any]], batch: int = 100) -> None:
    ing = Ingestor(log, Pseudonymizer(b"k" * 32), now=lambda: datetime.fromisoformat(
        "2026-11-01T00:00:00+08:00"))
    for k in range(0, len(evs), batch):
        svc.on_appended(ing.submit(evs[k:k + batch]))


def _count(log: WitnessLog, etype: str) -> int:
    with log.db.read() as conn:
        return len(conn.execute(events.select().where(events.c.event_type == etype)).all())


def test_lawful_project_raises_no_lead(log: WitnessLog) -> None:
    svc = RuleService(log, RuleContext.default())
    p = generate_project(4, "goods")
    # one batch: every event is received at the same late "now", so a batch cut between a
    # contract and its filing would rightly see the filing overdue
    _ingest(log, svc, p.events, batch=len(p.events))
    assert svc.leads() == []
    assert svc.run_project(p.project_id).new_findings == ()


def test_planted_lead_raised_once_and_idempotent(log: WitnessLog) -> None:
    svc = RuleService(log, RuleContext.default())
    p = generate_project(2, "works", {"late_contract"})
    _ingest(log, svc, p.events, batch=1000)
    found = svc.leads(project_id=p.project_id)
    assert any("R-TB-46-CONTRACT-30D" in lead["rule_ids"] for lead in found)
    raised = _count(log, "LEAD_RAISED")
    assert raised == len(found) >= 1
    again = svc.run_project(p.project_id)
    _ingest(log, svc, p.events)  # the same trail again: duplicates only
    assert again.new_findings == () and again.new_leads == ()
    assert _count(log, "LEAD_RAISED") == raised
    assert len(svc.leads()) == len(found)
    lead = next(x for x in found if "R-TB-46-CONTRACT-30D" in x["rule_ids"])
    assert lead["raised_index"] is not None
    first = svc.transfer(lead["lead_id"], "沈阳市住房和城乡建设局", by="operator-1")
    assert svc.transfer(lead["lead_id"], "沈阳市住房和城乡建设局", by="operator-1") == first
    assert _count(log, "LEAD_TRANSFERRED") == 1
    assert svc.lead(lead["lead_id"])["status"] == "transferred"


def test_lead_package_round_trip(log: WitnessLog) -> None:
    svc = RuleService(log, RuleContext.default())
    p = generate_project(5, "works", {"short_deadline"})
    _ingest(log, svc, p.events)
    lead = next(x for x in svc.leads() if "R-TB-24-DEADLINE" in x["rule_ids"])
    log.checkpoint()
    pkg = json.loads(svc.export_lead(lead["lead_id"]))
    assert pkg["format"] == "witness-bundle/v1" and pkg["kind"] == "lead"
    cp_note = pkg["checkpoints"][0]["note"]
    body = open_note(cp_note, [log.signer.verifier]).split("\n")
    size, root = int(body[1]), base64.b64decode(body[2])
    assert size == pkg["proof_size"]
    indexes = {e["index"] for e in pkg["events"]}
    assert lead["raised_index"] in indexes
    for e in pkg["events"]:
        data = e["canonical"].encode()
        leaf = hashlib.sha256(b"\x00" + data).digest()
        verify_inclusion(e["index"], size, leaf, [bytes.fromhex(h) for h in
                                                  e["inclusion_proof"]], root)
    signed = open_note(pkg["signature"], [log.signer.verifier])
    assert signed == signature_body(log.origin, lead["lead_id"], package_digest(pkg))
    rule = pkg["lead"]["rules"][0]
    assert rule["id"] == "R-TB-24-DEADLINE" and "第24条" in rule["basis"]
    tampered = {**pkg, "proof_size": size + 1}
    assert package_digest(tampered) != package_digest(pkg)


def test_zh_numbers() -> None:
    assert [zh_number(n) for n in (3, 10, 15, 24, 40, 101, 110, 115)] == [
        "三", "十", "十五", "二十四", "四十", "一百零一", "一百一十", "一百一十五"]


def _envelope(log: WitnessLog, index: int) -> dict[str, Any]:
    env: dict[str, Any] = json.loads(log.event_bytes(index))
    return env


def test_governance_events_and_a_deterministic_package(log: WitnessLog) -> None:
    svc = RuleService(log, RuleContext.default())
    p = generate_project(5, "works", {"short_deadline"})
    _ingest(log, svc, p.events)
    lid = next(x for x in svc.leads() if "R-TB-24-DEADLINE" in x["rule_ids"])["lead_id"]
    with pytest.raises(StateConflictError, match="not been transferred"):
        svc.acknowledge(lid, by="reg-1")
    with pytest.raises(WitnessError, match="not in a checkpoint"):
        svc.export_lead(lid)  # exporting never seals a checkpoint; transferring does
    index = svc.transfer(lid, "某市住建局", by="operator-1")
    package = svc.export_lead(lid)
    env = _envelope(log, index)
    assert env["payload"]["package_hash"] == package_hash(package)
    assert env["actor"] == {"id": "operator-1", "role": "center_staff"}
    assert json.loads(package)["proof_size"] <= index  # it cannot contain its transfer
    _ingest(log, svc, generate_project(6, "goods").events)
    log.checkpoint()
    ack = svc.acknowledge(lid, by="reg-1")
    assert svc.acknowledge(lid, by="reg-1") == ack and _count(log, "LEAD_ACKNOWLEDGED") == 1
    assert _envelope(log, ack)["payload"]["transferred_index"] == index
    assert svc.lead(lid)["status"] == "acknowledged"
    assert svc.export_lead(lid) == package
    with pytest.raises(StateConflictError, match="already transferred"):
        svc.transfer(lid, "别的局", by="operator-1")


def test_cli_transfer_and_acknowledge_name_the_operator(
        log: WitnessLog, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ledger.cli.app import main as witness

    svc = RuleService(log, RuleContext.default())
    p = generate_project(5, "works", {"short_deadline"})
    _ingest(log, svc, p.events)
    lid = next(x for x in svc.leads() if "R-TB-24-DEADLINE" in x["rule_ids"])["lead_id"]
    home = str(tmp_path / "home")
    witness(["--home", home, "--json", "lead", "transfer", lid, "--to", "某市住建局"])
    moved = json.loads(capsys.readouterr().out)
    assert moved["by"] == getpass.getuser()  # default: the OS user running the command
    assert _envelope(log, moved["index"])["payload"]["by"] == moved["by"]
    witness(["--home", home, "--json", "lead", "acknowledge", lid, "--by", "王工"])
    acked = json.loads(capsys.readouterr().out)
    env = _envelope(log, acked["index"])
    assert env["type"] == "LEAD_ACKNOWLEDGED" and env["payload"]["by"] == "王工"
    assert env["payload"]["package_hash"] == moved["package_hash"]
    out = tmp_path / "lead.json"
    witness(["--home", home, "lead", "export", lid, "-o", str(out)])
    assert moved["package_hash"] in capsys.readouterr().out
    assert package_hash(out.read_bytes()) == moved["package_hash"]
    with pytest.raises(SystemExit) as bad:
        witness(["--home", home, "lead", "acknowledge", lid, "--by", " "])
    assert bad.value.code == 2 and "--by" in capsys.readouterr().err
