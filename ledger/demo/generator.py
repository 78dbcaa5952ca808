"""The demo-data generator: complete, realistic tendering trails, lawful by default.

Role: ``generate_project`` (one project: events + reference data), ``generate_portfolio``
(several, planting a violation class in every k-th project) and ``write_jsonl``. Every
event passes ``ledger.events.parse_event``; everything is deterministic from the seed.
Must not import the store, the API or the verifier.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from ledger.demo import names, phases_award, phases_eval, phases_pre, phases_remote
from ledger.demo.builder import Builder, ordered
from ledger.demo.parties import draw_parties, draw_prices, plant_sharing
from ledger.demo.plan import schedule
from ledger.demo.planted import MIN_BIDDERS, PLANTED_CLASSES, TB_ONLY
from ledger.rules.calendar import WorkCalendar

Kind = Literal["works", "goods"]

WORKS_NAMES = ("城市更新一期道路改造工程施工", "滨江绿道提升工程施工", "第二中学新建教学楼工程施工",
               "污水管网改造工程施工", "人民医院门诊楼改扩建工程施工", "跨江大桥维修加固工程施工")
GOODS_NAMES = ("智慧教室设备采购项目", "医疗设备采购项目", "办公家具采购项目",
               "政务云服务器及存储设备采购项目", "公交车辆采购项目", "实验室仪器设备采购项目")


@dataclass(frozen=True)
class GeneratedProject:
    project_id: str
    events: list[dict[str, Any]]
    reference: dict[str, Any]
    kind: Kind = "works"
    planted: frozenset[str] = field(default_factory=frozenset)

    @property
    def regime(self) -> str:
        return "TB" if self.kind == "works" else "GP"


def _project_id(seed: int, kind: Kind) -> str:
    """``LN-<city>-<GC works | CG goods>-<8 hex>``: the city drawn from the digest too."""
    digest = hashlib.sha256(f"demo|{seed}|{kind}".encode()).hexdigest()[:8].upper()
    city = names.CITIES[int(digest, 16) % len(names.CITIES)]
    return f"LN-{names.CITY_ABBR[city]}-{'GC' if kind == 'works' else 'CG'}-{digest}"


def generate_project(
    seed: int, kind: Kind = "works", planted: Iterable[str] = frozenset(),
    sections: int | None = None, bidders: int | None = None, *,
    project_id: str | None = None, calendar: WorkCalendar | None = None,
) -> GeneratedProject:
    """One complete project (open tender); ``planted`` names classes of ``PLANTED_RULES``."""
    plants = frozenset(planted)
    unknown = plants - set(PLANTED_CLASSES)
    if unknown:
        raise ValueError(f"unknown planted classes: {sorted(unknown)}")
    if kind == "goods" and plants & TB_ONLY:
        raise ValueError(f"{sorted(plants & TB_ONLY)} exist only for works (TB) projects")
    rng = random.Random(f"{seed}|{kind}|{','.join(sorted(plants))}")
    pid = project_id or _project_id(seed, kind)
    b = Builder(rng, calendar or WorkCalendar.load(), pid)
    counts = _bidder_counts(rng, plants, sections or rng.randint(1, 3), bidders)
    amount = Decimal(rng.randrange(800, 9000) * 10_000 if kind == "works"
                     else rng.randrange(150, 950) * 10_000)
    parties = draw_parties(rng, pid, kind, amount, counts, names.city_of(pid))
    for sec in parties.sections:
        if sec.index == 0:
            plant_sharing(sec, plants)
        draw_prices(rng, sec, "price_pattern" in plants and sec.index == 0)
    plan = schedule(b, kind, plants, parties, amount)
    reference: dict[str, Any] = {"experts": [], "enterprises": [], "relations": []}
    name = rng.choice(WORKS_NAMES if kind == "works" else GOODS_NAMES)
    phases_pre.register(b, plan, f"{parties.city}市{name}")
    doc_hash = phases_pre.announce_and_issue(b, plan)
    phases_pre.downloads(b, plan, doc_hash)
    phases_award.complaint(b, plan)
    phases_remote.hotline_ticket(b, plan)
    phases_pre.bonds_and_bids(b, plan)
    phases_pre.opening(b, plan)
    outcomes = phases_eval.evaluate_all(b, plan, reference)
    phases_remote.remote_evaluation(b, plan)
    phases_award.award_all(b, plan, outcomes)
    reference["enterprises"] = [
        {"org_id": bd.org.org_id, "name": bd.org.name, "basic_account": bd.account}
        for sec in parties.sections for bd in sec.bidders]
    return GeneratedProject(pid, ordered(b.events), reference, kind, plants)


def _bidder_counts(rng: random.Random, plants: frozenset[str], n_sections: int,
                   bidders: int | None) -> list[int]:
    if not 1 <= n_sections <= 3:
        raise ValueError("sections must be 1..3")
    if bidders is not None and not 3 <= bidders <= 12:
        raise ValueError("bidders must be 3..12")
    counts = [bidders or rng.randint(3, 8) for _ in range(n_sections)]
    need = max((MIN_BIDDERS.get(c, 3) for c in plants), default=3)
    counts[0] = max(counts[0], need)
    if "few_bidders" in plants:
        counts[0] = 2
    return counts


def generate_portfolio(seed: int, n_projects: int, plant_every: int = 3,
                       plant: Iterable[str] | None = None) -> list[GeneratedProject]:
    """``n_projects`` projects, alternating works and goods; every ``plant_every``-th one
    gets one violation class (cycling through ``plant``, default: every class)."""
    classes = list(plant) if plant is not None else list(PLANTED_CLASSES)
    rng = random.Random(f"portfolio|{seed}")
    out, k = [], 0
    for i in range(n_projects):
        kind: Kind = "works" if i % 2 == 0 else "goods"
        plants: frozenset[str] = frozenset()
        if classes and plant_every > 0 and i % plant_every == plant_every - 1:
            cls = classes[k % len(classes)]
            k += 1
            plants = frozenset({cls})
            if cls in TB_ONLY:
                kind = "works"
        sub = rng.randrange(2**31)
        out.append(generate_project(sub, kind, plants, project_id=_project_id(sub, kind)))
    return out


def merged_reference(projects: Iterable[GeneratedProject]) -> dict[str, Any]:
    """One reference-data file (``ReferenceData.load`` shape) for a portfolio."""
    ref: dict[str, Any] = {"experts": [], "enterprises": [], "relations": []}
    for p in projects:
        for key in ref:
            ref[key].extend(p.reference.get(key, []))
    return ref


def write_jsonl(projects: list[GeneratedProject], path: Path) -> Path:
    """Write the events as JSON lines in time order across projects, and the reference
    data next to it (``<stem>.reference.json``); returns the reference path."""
    events = [ev for p in projects for ev in p.events]
    events.sort(key=lambda e: e["occurred_at"])
    with path.open("w", encoding="utf-8") as fh:
        for ev in events:
            fh.write(json.dumps(ev, ensure_ascii=False) + "\n")
    ref_path = path.with_name(f"{path.stem}.reference.json")
    ref_path.write_text(json.dumps(merged_reference(projects), ensure_ascii=False, indent=1),
                        encoding="utf-8")
    return ref_path
