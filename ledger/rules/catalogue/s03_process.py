"""docs/rules.md §3 (part 2): sale period, procurement method, invitations, registration gates,
clarification timing and notification.

Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ledger.rules.applicability import ALL, GP, TB, TB_MUST
from ledger.rules.calendar import cd, period_tier
from ledger.rules.catalogue.s03_timing import effective_deadline, ts
from ledger.rules.context import RuleContext
from ledger.rules.helpers import lot_rounds
from ledger.rules.model import Finding, Severity, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import bj_date, label, listing

METHOD_APPROVALS = ("method", "non_open_method")


@rule("R-TBR-16-SALE-PERIOD", title_zh="资格预审文件或招标文件发售期不少于5日",
      title_en="Prequalification / tender documents on sale for at least 5 days (TB)",
      basis='TBR 第16条 "资格预审文件或者招标文件的发售期不得少于5日"; TBR 第64条(二)',
      section="3", reads=("DOC_ISSUED",), severity="violation", lead=True, confidence="V",
      applies=TB)
def tbr_16_sale(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if trail.flags.get("regime") != "TB":
        return
    for e in trail.of_type("DOC_ISSUED"):
        start, end = ts(e.payload["available_from"]), ts(e.payload["available_until"])
        tier = period_tier(start, end, 5)
        after_dl = bool(e.get("bid_deadline")) and end > ts(e.payload["bid_deadline"])
        if tier is None and not after_dl:
            continue
        sev: Severity = "violation" if tier == "violation" else "warning"
        days = cd(start, end)
        yield hit("R-TBR-16-SALE-PERIOD", trail, [e],
                  {"days": days, "days_inclusive": days + 1, "minimum": 5, "tier": tier,
                   "until_after_deadline": after_dl},
                  f"发售期 {bj_date(start)} 至 {bj_date(end)} 为 {days} 日（含首日 {days + 1} 日），少于5日"
                  if tier else "发售截止晚于投标截止",
                  f"sale period {bj_date(start)}..{bj_date(end)} = {days} days ({days + 1} inclusive) < 5"
                  if tier else "sale period ends after the bid deadline",
                  severity=sev, lead=sev == "violation")


@rule("R-TB-17-INVITE-MIN3", title_zh="邀请招标向三个以上对象发出邀请（政府采购随机抽取）",
      title_en="Invited tender has at least 3 invitees (GP: drawn at random)",
      basis='TB 第17条 "应当向三个以上……特定的法人或者其他组织发出投标邀请书"; GP 第34条 "通过随机方式'
            '选择三家以上的供应商"; GP87 第14条 "不少于两名采购人工作人员在场监督"',
      section="3", reads=("INVITATION_SENT",), severity="violation", lead=True, confidence="V",
      applies=ALL.where("all (GP: random draw, 2 witnesses, pool ≥ 2 × drawn)"))
def tb_17_invite(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    gp = trail.flags.get("regime") == "GP"
    invs = trail.of_type("INVITATION_SENT")
    if not invs:
        return
    invitees = {i.get("org_id") for e in invs for i in e.get("invitees") or []}
    problems: dict[str, object] = {}
    if len(invitees) < 3:
        problems["invitees"] = len(invitees)
    if gp:
        if any(e.get("selection_method") != "random" for e in invs):
            problems["selection_method"] = sorted({str(e.get("selection_method")) for e in invs})
        if any(len(e.get("draw_witnesses") or []) < 2 for e in invs):
            problems["draw_witnesses"] = min(len(e.get("draw_witnesses") or []) for e in invs)
        pools = [e.get("pool_size") for e in invs if e.get("pool_size") is not None]
        if pools and min(pools) < 2 * len(invitees):
            problems["pool_size"] = {"pool": min(pools), "drawn": len(invitees)}
    if problems:
        yield hit("R-TB-17-INVITE-MIN3", trail, invs, {"problems": problems},
                  *_invite_words(problems))


def _invite_words(problems: dict[str, object]) -> tuple[str, str]:
    """An invitation's problems in words: too few invitees, a non-random selection, too
    few witnesses of the draw, a pool smaller than twice the drawn."""
    zh, en = [], []
    if "invitees" in problems:
        zh.append(f"仅邀请 {problems['invitees']} 家，少于3家")
        en.append(f"only {problems['invitees']} invitees, fewer than 3")
    if "selection_method" in problems:
        zh.append("供应商未以随机方式选择")
        en.append("suppliers not selected at random")
    if "draw_witnesses" in problems:
        zh.append(f"抽取时在场监督的采购人工作人员仅 {problems['draw_witnesses']} 名，少于2名")
        en.append(f"only {problems['draw_witnesses']} purchaser staff witnessed the draw (< 2)")
    if isinstance(pool := problems.get("pool_size"), dict):
        zh.append(f"备选库 {pool['pool']} 家，少于抽取数 {pool['drawn']} 家的两倍")
        en.append(f"pool of {pool['pool']} is less than twice the {pool['drawn']} drawn")
    return f"邀请招标不符合规定：{'；'.join(zh)}", f"invitation problems: {'; '.join(en)}"



@rule("R-EB-20-NO-REGISTRATION-GATE", title_zh="不得设置投标报名等下载前置条件",
      title_en="No registration or approval step before download",
      basis='EB 第20条 "任何单位和个人不得在招标投标活动中设置注册登记、投标报名等前置条件限制潜在投标人'
            '下载资格预审文件或者招标文件"; EB 第54条(三); OP (三)',
      section="3", reads=("DOC_ISSUED",), severity="violation", lead=True, confidence="V",
      applies=ALL.where("all (manual approval before a download is not recorded)"))
def eb_20_gate(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for e in trail.of_type("DOC_ISSUED"):
        if (e.get("structured_terms") or {}).get("registration_gate"):
            yield hit("R-EB-20-NO-REGISTRATION-GATE", trail, [e], {"registration_gate": True},
                      "招标文件设置报名等下载前置条件", "documents gated behind a registration step")


def _approved_before(trail: Trail, limit_iso: str | None) -> bool:
    for a in trail.flags.get("approval_refs") or []:
        if a.get("scope") in METHOD_APPROVALS and (
                limit_iso is None or not a.get("issued_at") or ts(a["issued_at"]) <= ts(limit_iso)):
            return True
    return False


@rule("R-TBR-8-OPEN-REQUIRED", title_zh="国有资金控股的依法必须招标项目应当公开招标",
      title_en="A state-funded must-tender project uses open tender unless approved",
      basis='TBR 第8条 "国有资金占控股或者主导地位的依法必须进行招标的项目，应当公开招标"; TBR 第64条(一)',
      section="3", reads=("PROJECT_REGISTERED", "INVITATION_SENT"), severity="violation",
      lead=True, confidence="V", applies=TB_MUST.where("TB ∧ must_tender ∧ state_funded_dominant ∧ invited"))
def tbr_8_open(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    f = trail.flags
    if not (f.get("regime") == "TB" and f.get("must_tender") and f.get("state_funded_dominant")
            and f.get("method") == "invited"):
        return
    first = trail.first("INVITATION_SENT")
    if _approved_before(trail, first.occurred_at.isoformat() if first else None):
        return
    reg = trail.first("PROJECT_REGISTERED")
    evs = [e for e in (reg, first) if e is not None]
    yield hit("R-TBR-8-OPEN-REQUIRED", trail, evs, {"method": "invited", "approval": None},
              "国有资金控股的依法必须招标项目采用邀请招标，无事先认定",
              "state-funded must-tender project uses invited tender without prior approval")


@rule("R-GP-27-OPEN-REQUIRED", title_zh="达到公开招标数额标准的政府采购采用其他方式须事先批准",
      title_en="GP above the open-tender threshold needs prior approval for any other method",
      basis='GP 第27条 "应当在采购活动开始前获得设区的市、自治州以上人民政府采购监督管理部门的批准"; GPR 第23条',
      section="3", reads=("PROJECT_REGISTERED", "ANNOUNCEMENT_PUBLISHED"), severity="violation",
      lead=True, confidence="V", applies=GP.where("GP ∧ gp_above_open_threshold ∧ method≠open"))
def gp_27_open(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    f = trail.flags
    if f.get("regime") != "GP" or not f.get("gp_above_open_threshold") or f.get("method") == "open":
        return
    first = trail.first("ANNOUNCEMENT_PUBLISHED")
    if _approved_before(trail, first.get("published_at") if first else None):
        return
    reg = trail.first("PROJECT_REGISTERED")
    evs = [e for e in (reg, first) if e is not None]
    yield hit("R-GP-27-OPEN-REQUIRED", trail, evs, {"method": f.get("method"), "approval": None},
              f"达到公开招标数额标准却采用{label(f.get('method'))}，无事先批准",
              f"above the open-tender threshold but method {label(f.get('method'), 'en')} "
              "without prior approval")


def _clarified_rounds(trail: Trail) -> Iterator[tuple[TrailEvent, datetime, TrailEvent]]:
    """(clarification, the deadline it is measured against, that deadline's event) per lot
    and tender round: a package's clarification counts against that package's deadline in
    the round it was issued in (a project-wide one against each lot's)."""
    for _sid, rnd in lot_rounds(trail):
        found = effective_deadline(rnd)
        if found is None:
            continue
        for c in rnd.of_type("CLARIFICATION_ISSUED"):
            yield c, found[0], found[1]


@rule("R-TBR-21-CLARIFY-15D", title_zh="澄清或修改在投标截止至少15日前通知，否则顺延截止时间",
      title_en="A clarification must reach bidders at least 15 days before the bid deadline",
      basis='TBR 第21条 "招标人应当在……投标截止时间至少15日前，以书面形式通知……不足3日或者15日的，'
            '招标人应当顺延提交资格预审申请文件或者投标文件的截止时间"; TB 第23条',
      section="3", reads=("CLARIFICATION_ISSUED", "DOC_ISSUED", "DEADLINE_CHANGED"),
      severity="violation", lead=True, confidence="V",
      applies=TB.where("TB (tender documents; the changed_fields mislabelling heuristics are not implemented)"))
def tbr_21_clarify(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if trail.flags.get("regime") != "TB":
        return
    for c, t_dl, dl_ev in _clarified_rounds(trail):
        days = cd(c.occurred_at, t_dl)
        if days >= 15:
            continue
        sev: Severity = "violation" if c.get("affects_bid_prep") is not False else "info"
        yield hit("R-TBR-21-CLARIFY-15D", trail, [c, dl_ev],
                  {"days": days, "minimum": 15, "clarified": c.occurred_at.isoformat(),
                   "deadline": t_dl.isoformat(), "affects_bid_prep": c.get("affects_bid_prep")},
                  f"澄清 {bj_date(c.occurred_at)} 距投标截止 {bj_date(t_dl)} 仅 {days} 日，少于15日",
                  f"{days} days between clarification {bj_date(c.occurred_at)} and deadline "
                  f"{bj_date(t_dl)} < 15", severity=sev, lead=sev == "violation")


@rule("R-EB-22-CLARIFY-NOTIFY", title_zh="澄清修改通知所有已下载文件的潜在投标人",
      title_en="Every document holder is notified of a clarification",
      basis='EB 第22条 "以有效方式通知所有已下载资格预审文件或者招标文件的潜在投标人"; TB 第23条',
      section="3", reads=("DOC_DOWNLOADED", "CLARIFICATION_ISSUED"), severity="violation",
      lead=True, confidence="V")
def eb_22_notify(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    """Per lot and tender round: a clarification of one package's documents (or of the whole
    project's, when it names no section) must reach the firms that obtained that package's
    documents in that round, not those of another package or an abandoned round."""
    for _sid, rnd in lot_rounds(trail):
        yield from _eb_22_round(trail, rnd)


def _eb_22_round(trail: Trail, rnd: Trail) -> Iterator[Finding]:
    for c in rnd.of_type("CLARIFICATION_ISSUED"):
        before = {d.get("downloader_org"): d for d in rnd.of_type("DOC_DOWNLOADED")
                  if d.occurred_at < c.occurred_at}
        missing = sorted(set(before) - set(c.get("recipients") or []))
        if missing:
            yield hit("R-EB-22-CLARIFY-NOTIFY", trail, [c, *(before[m] for m in missing)],
                      {"not_notified": missing},
                      f"澄清未通知已下载文件的 {listing(missing)}",
                      f"clarification not sent to {listing(missing, 'en')}",

                      subjects=missing)
