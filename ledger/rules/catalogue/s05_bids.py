"""docs/rules.md §5 (part 1): bid receipt, sealing, decryption before the deadline, minimum competition.

Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from ledger.rules.applicability import ALL
from ledger.rules.catalogue.s03_timing import effective_deadline, ts
from ledger.rules.context import RuleContext
from ledger.rules.helpers import lot_rounds
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import bj_time, duration


def received(e: TrailEvent) -> datetime:
    """Receipt time of a bid: payload received_at (ES 第11条), else the envelope time."""
    value = e.get("received_at")
    return ts(value) if value else e.occurred_at


def valid_bids(trail: Trail, t_dl: datetime | None) -> list[TrailEvent]:
    """Accepted bids received before t_dl, last per bidder, minus timely withdrawals."""
    bids: dict[str, TrailEvent] = {}
    for e in trail.of_type("BID_SUBMITTED", "BID_WITHDRAWN"):
        org = e.get("bidder_org")
        if e.type == "BID_WITHDRAWN":
            if t_dl is None or e.occurred_at < t_dl:
                bids.pop(org, None)
        elif e.get("accepted") and (t_dl is None or received(e) < t_dl):
            bids[org] = e
    return list(bids.values())


@rule("R-TB-28-LATE-BID", title_zh="截止时间后送达的投标文件应当拒收",
      title_en="Bids arriving after the deadline are refused",
      basis='TB 第28条 "在招标文件要求提交投标文件的截止时间后送达的投标文件，招标人应当拒收"; '
            'TBR 第36条; EB 第27条; GP87 第33条; TBR 第64条(四)',
      section="5", reads=("DOC_ISSUED", "DEADLINE_CHANGED", "BID_SUBMITTED", "BID_MODIFIED"),
      severity="violation", lead=True, confidence="V", applies=ALL)
def tb_28_late_bid(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, lot in lot_rounds(trail):
        found = effective_deadline(lot)
        if found is None:
            continue
        t_dl, dl_ev = found
        for e in lot.of_type("BID_SUBMITTED", "BID_MODIFIED"):
            t = received(e) if e.type == "BID_SUBMITTED" else e.occurred_at
            if t < t_dl or (e.type == "BID_SUBMITTED" and not e.get("accepted")):
                continue
            late = int((t - t_dl).total_seconds())
            what = "accepted bid" if e.type == "BID_SUBMITTED" else "bid modification"
            yield hit("R-TB-28-LATE-BID", trail, [e, dl_ev],
                      {"bidder_org": e.get("bidder_org"), "received_at": t.isoformat(),
                       "deadline": t_dl.isoformat(), "late_seconds": late, "kind": e.type},
                      f"{e.get('bidder_org')} 的{'投标文件' if e.type == 'BID_SUBMITTED' else '投标修改'}"
                      f"于 {bj_time(t)} 送达，晚于截止时间 {bj_time(t_dl)} "
                      f"{duration(late)}，仍被接收",
                      f"{what} of {e.get('bidder_org')} received {bj_time(t)}, "
                      f"{duration(late, 'en')} after the deadline {bj_time(t_dl)}",
                      section_id=sid, subjects=[e.get("bidder_org")])


@rule("R-TBR-36-SEAL-ENCRYPT", title_zh="未密封或未加密的投标文件应当拒收",
      title_en="Unsealed paper bids and unencrypted e-bids are refused",
      basis='TBR 第36条 "不按照招标文件要求密封的投标文件，招标人应当拒收"; '
            'EB 第26条 "投标人未按规定加密的投标文件，电子招标投标交易平台应当拒收并提示"',
      section="5", reads=("BID_SUBMITTED",), severity="violation", lead=True,
      confidence="V", applies=ALL)
def tbr_36_seal(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for e in trail.of_type("BID_SUBMITTED"):
        if not e.get("accepted"):
            continue
        bad = [k for k in ("encrypted", "sealed") if e.get(k) is False]
        if bad:
            yield hit("R-TBR-36-SEAL-ENCRYPT", trail, [e],
                      {"bidder_org": e.get("bidder_org"), "missing": bad},
                      f"{e.get('bidder_org')} 的投标文件{'未加密' if 'encrypted' in bad else '未密封'}却被接收",
                      f"bid of {e.get('bidder_org')} accepted although {' and '.join(bad)}=false",
                      subjects=[e.get("bidder_org")])


@rule("R-EB-27-NO-EARLY-DECRYPT", title_zh="投标截止前不得解密、提取或开启投标文件",
      title_en="Nobody decrypts, extracts or opens bid files before the deadline",
      basis='EB 第27条 "在投标截止时间前，除投标人补充、修改或者撤回投标文件外，任何单位和个人'
            '不得解密、提取投标文件"; TB 第28条 "不得开启"; GP87 第33条',
      section="5", reads=("BID_DECRYPTED", "BID_EXTRACTED", "ACCESS_LOG", "OPENING_STARTED",
                          "DOC_ISSUED", "DEADLINE_CHANGED"),
      severity="violation", lead=True, confidence="V", applies=ALL)
def eb_27_early_decrypt(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, lot in lot_rounds(trail):
        found = effective_deadline(lot)
        opening = lot.first("OPENING_STARTED")
        limits = [t for t in (found[0] if found else None,
                              opening.occurred_at if opening else None) if t is not None]
        if not limits:
            continue
        t_lim = min(limits)
        anchors = [x for x in (found[1] if found else None, opening) if x is not None]
        for e in lot.of_type("BID_DECRYPTED", "BID_EXTRACTED", "ACCESS_LOG"):
            if e.type == "ACCESS_LOG" and e.get("resource") != "bid_files":
                continue
            own = e.actor.get("role") == "bidder" and e.actor.get("org_id") == e.get("bidder_org")
            if e.occurred_at >= t_lim or own:
                continue
            yield hit("R-EB-27-NO-EARLY-DECRYPT", trail, [e, *anchors[:1]],
                      {"event": e.type, "at": e.occurred_at.isoformat(),
                       "limit": t_lim.isoformat(), "actor": e.actor.get("id")},
                      f"{bj_time(e.occurred_at)} 在投标截止/开标 {bj_time(t_lim)} 前发生 {e.type}",
                      f"{e.type} at {bj_time(e.occurred_at)} before the deadline/opening "
                      f"{bj_time(t_lim)}", section_id=sid)


@rule("R-EB-27-RECEIPT", title_zh="即时发出投标文件签收回执",
      title_en="Immediate receipt confirmation",
      basis='EB 第27条 "应当即时向投标人发出确认回执通知"; GP87 第33条 "向投标人出具签收回执"',
      section="5", reads=("BID_SUBMITTED",), severity="info", lead=False, confidence="V",
      implemented=False)
def eb_27_receipt(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    """Not implemented: the catalogue has no receipt event (BID_SUBMITTED is the receipt)."""
    return iter(())


@rule("R-TB-28-MIN3-BIDDERS", title_zh="投标人少于三个不得开标，应当重新招标",
      title_en="Fewer than 3 bids means no opening and a re-tender (TB) / a failed tender (GP)",
      basis='TB 第28条 "投标人少于三个的，招标人应当依照本法重新招标"; TBR 第44条 "投标人少于3个的，'
            '不得开标"; GP87 第41条 "投标人不足3家的，不得开标"; GP87 第44条 "合格投标人不足3家的，不得评标"',
      section="5", reads=("BID_SUBMITTED", "BID_WITHDRAWN", "BID_REJECTED", "OPENING_STARTED",
                          "EVAL_STARTED", "RETENDER_STARTED", "TENDER_TERMINATED",
                          "METHOD_CHANGED", "WINNER_DETERMINED"),
      severity="violation", lead=True, confidence="V", applies=ALL.where("all (opening: TB∧GP tendering)"))
def tb_28_min3(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    gp = trail.flags.get("regime") == "GP"
    for sid, lot in lot_rounds(trail):
        found = effective_deadline(lot)
        bids = valid_bids(lot, found[0] if found else None)
        n = len(bids)
        if n >= 3:
            if gp:
                yield from _gp_qualified(trail, lot, sid, bids)
            continue
        opening = lot.first("OPENING_STARTED")
        stop = _stopped_before(lot, opening or lot.first("EVAL_STARTED"), gp)
        step = opening or lot.first("EVAL_STARTED") or lot.first("WINNER_DETERMINED")
        if step is None or stop:
            continue
        yield hit("R-TB-28-MIN3-BIDDERS", trail, [*bids, step],
                  {"valid_bids": n, "minimum": 3, "step": step.type,
                   "bidders": sorted(b.get("bidder_org") for b in bids)},
                  f"有效投标仅 {n} 家（少于3家），仍进行了 {step.type}",
                  f"only {n} valid bids (< 3) but {step.type} took place", section_id=sid)


def _stopped_before(lot: Trail, step: TrailEvent | None, gp: bool) -> bool:
    """A re-tender / termination (GP: approved method change) recorded before ``step``."""
    limit = step.index if step is not None else 1 << 62
    for e in lot.of_type("RETENDER_STARTED", "TENDER_TERMINATED", "METHOD_CHANGED"):
        if e.index < limit and (e.type != "METHOD_CHANGED" or (gp and e.get("approval_ref"))):
            return True
    return False


def _gp_qualified(trail: Trail, lot: Trail, sid: str | None,
                  bids: list[TrailEvent]) -> Iterator[Finding]:
    ev = lot.first("EVAL_STARTED")
    if ev is None:
        return
    rejected = {e.get("bidder_org"): e for e in lot.of_type("BID_REJECTED") if e.index < ev.index}
    ok = [b for b in bids if b.get("bidder_org") not in rejected]
    if len(ok) >= 3:
        return
    yield hit("R-TB-28-MIN3-BIDDERS", trail, [*ok, *rejected.values(), ev],
              {"qualified_bids": len(ok), "minimum": 3, "step": "EVAL_STARTED"},
              f"合格投标人仅 {len(ok)} 家（不足3家），仍进行评标",
              f"only {len(ok)} qualified bids (< 3) but evaluation started", section_id=sid)
