"""The rule service over a real (SQLite) witness log: incremental findings, LEAD_RAISED
witnessed once, idempotent re-runs, transfer, and the signed lead package round trip."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ledger.core.note import open_note
from ledger.core.verify import verify_inclusion
from ledger.demo import generate_project
from ledger.events import Pseudonymizer
from ledger.home import init_home, open_log
from ledger.ingest import Ingestor
from ledger.log import WitnessLog
from ledger.rules.context import RuleContext
from ledger.rules.package import package_digest, signature_body, zh_number
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
    _ingest(log, svc, p.events)
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
    first = svc.transfer(lead["lead_id"], "浙江省住房和城乡建设厅")
    assert svc.transfer(lead["lead_id"], "浙江省住房和城乡建设厅") == first
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
