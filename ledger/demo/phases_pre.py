"""Demo trail, first half: registration, announcement, documents, objections, bonds, bids
and the bid opening.

Role: write the events of those phases from a ``Plan`` (lawful unless a class is planted).
Pure. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ledger.demo import names
from ledger.demo.builder import Builder, at, ts, ts_ms
from ledger.demo.parties import Bidder, Section
from ledger.demo.plan import Plan

PLATFORM = {"id": "ln-ggzy-platform", "role": "system"}  # 辽宁省公共资源交易平台
PLATFORM_MEDIA = "LN-GGZY-PLATFORM"
GP_MEDIA = "CCGP-LN"  # 中国政府采购网 辽宁分网
APP_NAME = "辽宁省公共资源交易平台投标文件制作工具 V5.2"
BANK = {"id": "bank-icbc-ln", "role": "system"}
BANK_NAME = "中国工商银行股份有限公司辽宁省分行"


def opening_place(plan: Plan) -> str:
    """The city center's electronic opening hall (the city platforms of the provincial one)."""
    return f"{plan.parties.city}市公共资源交易中心电子开标大厅"


def tenderer(plan: Plan) -> dict[str, Any]:
    p = plan.parties
    return {"id": p.tenderer_user, "role": "tenderer", "org_id": p.tenderer.org_id}


def agent(plan: Plan) -> dict[str, Any]:
    p = plan.parties
    return {"id": p.agent_user, "role": "agent", "org_id": p.agent.org_id}


def bidder_actor(bd: Bidder) -> dict[str, Any]:
    return {"id": bd.user_id, "role": "bidder", "org_id": bd.org.org_id}


def bond_amount(plan: Plan) -> Decimal:
    """1% of the estimate / budget, at most 800 000 yuan (well under the 2% cap)."""
    return min((plan.amount * Decimal("0.01")).quantize(Decimal("1")), Decimal(800000))


def register(b: Builder, plan: Plan, project_name: str) -> None:
    p = plan.parties
    amount = str(plan.amount)
    payload: dict[str, Any] = {
        "name": project_name, "regime": plan.regime, "must_tender": plan.tb,
        "state_funded_dominant": True, "method": "open", "subject": plan.kind,
        "electronic": True, "max_price": str(sum(s.max_price for s in p.sections)),
        "fiscal_year": plan.registered.year,
        "tenderer_org": {"org_id": p.tenderer.org_id, "name": p.tenderer.name},
        "agent_org": {"org_id": p.agent.org_id, "name": p.agent.name},
        "supervisory_dept": plan.supervisory_dept, "region_code": p.region_code,
        "sections": [s.section_id for s in p.sections],
    }
    if plan.tb:
        payload["estimate_amount"] = amount
        ref = f"LNFG-{plan.registered.year}-{b.rng.randrange(9999):04d}"
        payload["approval_refs"] = [{"ref": ref, "scope": "method",
                                     "issued_by": f"{p.city}市发展和改革委员会",
                                     "issued_at": ts(plan.registered - timedelta(days=20))}]
    else:
        payload.update(budget_amount=amount, gp_above_open_threshold=True,
                       budget_item_code=f"LNCZ-{plan.registered.year}-{b.rng.randrange(99999):05d}",
                       catalog_item="A02010104")
    b.emit("PROJECT_REGISTERED", plan.registered, payload, actor=tenderer(plan),
           context={"client_ip": p.office_ip})


def announce_and_issue(b: Builder, plan: Plan) -> str:
    """Tender announcement on two designated media and the tender document; its hash."""
    content, doc_hash = names.sha(b.rng), names.sha(b.rng)
    period_end = at(b.plus_wd(plan.announced.date(), 5), 17) if not plan.tb else plan.doc_until
    for media in (PLATFORM_MEDIA, "CN-CEBPUBSERVICE" if plan.tb else GP_MEDIA):
        b.emit("ANNOUNCEMENT_PUBLISHED", plan.announced,
               {"kind": "tender", "media_id": media, "published_at": ts(plan.announced),
                "period_start": ts(plan.announced), "period_end": ts(period_end),
                "content_hash": content}, actor=agent(plan),
               context={"client_ip": plan.parties.agent_ip})
    b.emit("DOC_ISSUED", plan.announced, {
        "doc_kind": "tender_doc", "version": 1, "doc_hash": doc_hash,
        "doc_size": b.rng.randrange(2_000_000, 30_000_000), "doc_name": "招标文件.lnzf",
        "available_from": ts(plan.announced), "available_until": ts(plan.doc_until),
        "fee": "0.00", "bid_deadline": ts(plan.deadline), "opening_time": ts(plan.deadline),
        "opening_place": opening_place(plan), "bid_validity_days": 90,
        "structured_terms": _terms(plan), "standard_template_id":
            "LN-SGZB-2024" if plan.tb else "LN-ZFCG-HW-2024",
    }, actor=agent(plan), context={"client_ip": plan.parties.agent_ip})
    return doc_hash


def _terms(plan: Plan) -> dict[str, Any]:
    qual = ({"type": "qualification_grade", "value": "市政公用工程施工总承包二级及以上"}
            if plan.tb else {"type": "other", "value": "具有独立承担民事责任的能力"})
    return {
        "qualification_reqs": [qual],
        "scoring_factors": [
            {"id": "P1", "category": "price", "points": "40", "is_objective": True},
            {"id": "T1", "category": "technical", "points": "40", "is_objective": False},
            {"id": "C1", "category": "commercial", "points": "20", "is_objective": False}],
        "price_weight": "40", "price_formula": "low_price_first", "trims_extremes": False,
        "max_price_disclosed": True, "budget_disclosed": True,
        "bond_amount": str(bond_amount(plan)),
        "bond_forms_allowed": ["transfer", "bank_guarantee", "insurance_guarantee"],
        "perf_bond_ratio": "5", "bid_validity_days": 90, "consortium_statement": "not_accepted",
        "registration_gate": False, "samples_required": False,
    }


def downloads(b: Builder, plan: Plan, doc_hash: str) -> None:
    span = int((plan.doc_until - plan.announced).total_seconds() // 60) - 60
    for sec in plan.parties.sections:
        for bd in sec.bidders:
            moment = plan.announced + timedelta(minutes=b.rng.randint(15, max(16, span)))
            b.emit("DOC_DOWNLOADED", moment, {
                "downloader_org": bd.org.org_id, "user_id": bd.user_id, "doc_hash": doc_hash,
                "ip": bd.ip, "mac": bd.mac, "device_fp": bd.device_fp,
            }, actor=bidder_actor(bd), section=sec.section_id, context={"client_ip": bd.ip})


def bonds_and_bids(b: Builder, plan: Plan) -> None:
    for sec in plan.parties.sections:
        taken: list[datetime] = []
        for pos, bd in enumerate(sec.bidders):
            paid = plan.deadline - timedelta(days=b.rng.randint(2, 6), hours=b.rng.randint(0, 5))
            b.emit("BOND_PAID", paid, {
                "bidder_org": bd.org.org_id, "amount": str(bond_amount(plan)),
                "form": "transfer", "payer_name": bd.org.name, "payer_account_hash": bd.account,
                "payer_is_basic_account": True, "issuer": BANK_NAME,
            }, actor=BANK, section=sec.section_id)
            late = plan.has("late_bid") and sec.index == 0 and pos == len(sec.bidders) - 1
            received = (plan.deadline + timedelta(minutes=7, seconds=12) if late else
                        _apart(b, plan.deadline, taken))
            taken.append(received)
            _bid(b, sec, bd, received)


def _apart(b: Builder, deadline: datetime, taken: list[datetime]) -> datetime:
    """A lawful arrival time at least 5 minutes from the section's other bids: independent
    bidders that happen to upload in the same minute would read as coordinated timing."""
    while True:
        received = deadline - b.minutes(30, 60 * 40)
        if all(abs(received - t) >= timedelta(minutes=5) for t in taken):
            return received


def _bid(b: Builder, sec: Section, bd: Bidder, received: datetime) -> None:
    received = received.replace(microsecond=b.rng.randrange(1000) * 1000)
    created = received - timedelta(days=b.rng.randint(3, 9), minutes=b.rng.randint(0, 600))
    short = bd.org.org_id[-6:].lower()
    b.emit("BID_SUBMITTED", received, {
        "bidder_org": bd.org.org_id, "bidder_name": bd.org.name, "received_at": ts_ms(received),
        "accepted": True, "encrypted": True, "file_hash": bd.file_hash,
        "file_size": bd.file_size, "file_name": f"{short}-投标文件.lntf",
        "file_meta": {"author": bd.author, "last_modified_by": bd.author,
                      "company": bd.org.name, "app_name": APP_NAME,
                      "app_license_serial": bd.license_serial, "created_at": ts(created),
                      "modified_at": ts(received - timedelta(minutes=b.rng.randint(5, 90)))},
        "tool_machine_code": bd.machine_code, "ip": bd.ip, "mac": bd.mac,
        "device_fp": bd.device_fp, "ca_cert_serial": bd.ca_serial,
        "ca_subject_id": bd.ca_subject, "project_manager_id": bd.pm_id,
        "contact_phone": f"+86 13{b.rng.randrange(10)}-{b.rng.randrange(10000):04d}-"
                         f"{b.rng.randrange(10000):04d}",
        "contact_email": f"bid@{short}.example.cn", "authorized_rep_id": bd.rep_id,
    }, actor=PLATFORM, section=sec.section_id, context={
        "client_ip": bd.ip, "ca_cert_serial": bd.ca_serial, "ca_subject_id": bd.ca_subject,
        "tsa_token": f"MIIG{names.hexid(b.rng, 40)}"})


def opening(b: Builder, plan: Plan) -> None:
    start = plan.deadline + (timedelta(hours=2, minutes=10) if plan.has("late_opening")
                             else timedelta(0))
    for sec in plan.parties.sections:
        base = {"place": opening_place(plan), "host": plan.parties.agent_user,
                "bid_count": len(sec.bidders),
                "av_recording_ids": [f"AV-OPEN-{sec.section_id}"]}
        actor = agent(plan)
        b.emit("OPENING_STARTED", start, base, actor=actor, section=sec.section_id)
        for bd in sec.bidders:
            # The price enters the trail here, read from the decrypted bid, never at submission
            # (招标投标法 第22条: nothing affecting fair competition is disclosed before opening).
            b.emit("BID_DECRYPTED", start + b.minutes(2, 25), {
                "bidder_org": bd.org.org_id, "success": True, "bid_price": str(bd.price),
                "ip": bd.ip, "mac": bd.mac,
            }, actor=bidder_actor(bd), section=sec.section_id, context={"client_ip": bd.ip})
        b.emit("OPENING_RECORD_PUBLISHED", start + timedelta(minutes=35), {
            "entries": [{"bidder_org": bd.org.org_id, "bid_price": str(bd.price),
                         "duration_days": 365 if plan.tb else 60} for bd in sec.bidders],
            "record_hash": names.sha(b.rng),
            "signatures": [{"signer_id": plan.parties.agent_user}],
        }, actor=PLATFORM, section=sec.section_id)
        b.emit("OPENING_ENDED", start + timedelta(minutes=45), base, actor=actor,
               section=sec.section_id)
