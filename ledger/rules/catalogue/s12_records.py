"""docs/rules.md §12: electronic records, signatures and ledger integrity, as far as a trail shows.

The ledger's own hash chain and anchors are checked by the verifier, not here; these rules
look at what the events say. Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from ledger.rules.applicability import ALL, ELECTRONIC
from ledger.rules.context import RuleContext
from ledger.rules.helpers import same_events
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import duration, listing, pct

_OPLOG = "R-EB-49-OPERATION-LOG"
_TAMPER = "R-EB-49-NO-TAMPER"
_ESIGN = "R-EB-40-ESIGN"
_TIME = "R-ES-11-TRUSTED-TIME"
_PAPER = "R-EB-62-PAPER-VS-DATA"

# Platform operations for which a network address is meaningful (EB 第49条).
_PLATFORM_OPS = ("DOC_DOWNLOADED", "BID_SUBMITTED", "BID_MODIFIED", "BID_WITHDRAWN",
                 "BID_DECRYPTED", "BID_EXTRACTED", "DOC_VIEWED", "SCORE_SUBMITTED")
# Data messages EB 第40条 requires to be e-signed.
_SIGNED_DOCS = ("INVITATION_SENT", "DOC_ISSUED", "CLARIFICATION_ISSUED", "BID_SUBMITTED",
                "EVAL_REPORT_SIGNED", "AWARD_NOTICE_ISSUED", "CONTRACT_SIGNED")
_SIGNED_ANNOUNCEMENTS = ("prequal", "tender", "invitation")
_EVIDENCE_CAP = 50


def _electronic(trail: Trail) -> bool:
    return bool(trail.flags.get("electronic"))


@rule(_OPLOG, title_zh="每一操作环节记录时间、网络地址和工作人员",
      title_en="Every platform operation carries its time, network address and operator",
      basis='EB 第49条 "如实记录招标投标过程、数据信息来源，以及每一操作环节的时间、网络地址和工作人员"',
      section="12", reads=("PROJECT_REGISTERED", *_PLATFORM_OPS), severity="warning", lead=False,
      confidence="V", applies=ELECTRONIC)
def operation_log(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if not _electronic(trail):
        return
    ops = trail.of_type(*_PLATFORM_OPS)
    bad = [e for e in ops if not e.actor.get("id")
           or not (e.context.get("client_ip") or e.payload.get("ip"))]
    if not ops or not bad or len(bad) / len(ops) <= ctx.thresholds.oplog_missing_share:
        return
    share = round(len(bad) / len(ops), 4)
    yield hit(_OPLOG, trail, bad[:_EVIDENCE_CAP],
              {"missing": len(bad), "operations": len(ops), "share": share,
               "limit": ctx.thresholds.oplog_missing_share},
              f"{len(ops)} 个平台操作中 {len(bad)} 个缺少网络地址或操作人（{pct(share)}）",
              f"{len(bad)} of {len(ops)} platform operations lack a network address or operator "
              f"({pct(share)})", section_id=None)


@rule(_TAMPER, title_zh="不得伪造、篡改或者损毁电子招标投标活动信息",
      title_en="No forging, altering or destroying records",
      basis='EB 第49条 "任何单位和个人不得伪造、篡改或者损毁电子招标投标活动信息"; ES 第5条; GP 第42条',
      section="12", reads=("*",), severity="violation", lead=True, confidence="V")
def no_tamper(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for twice, prev, e in trail.grown(_scan, _scan, _scan_more)[2]:
        if twice:
            yield hit(_TAMPER, trail, [prev, e], {"event_id": e.event_id},
                      f"事件标识 {e.event_id} 在轨迹中出现两次",
                      f"event id {e.event_id} appears twice in the trail", section_id=None)
        else:
            yield hit(_TAMPER, trail, [prev, e], {"previous": prev.index, "index": e.index},
                      f"日志序号不递增：{prev.index} 之后为 {e.index}",
                      f"log index not increasing: {e.index} after {prev.index}", section_id=None)
    for signed in trail.of_type("EVAL_REPORT_SIGNED"):
        for d in trail.of_type("EVAL_REPORT_DELIVERED"):
            h = d.get("report_hash")
            if d.section_id == signed.section_id and d.index > signed.index and h \
                    and h != signed.get("report_hash"):
                yield hit(_TAMPER, trail, [signed, d],
                          {"signed_hash": signed.get("report_hash"), "delivered_hash": h},
                          "送交的评标报告哈希与评标委员会签署的报告不一致",
                          "delivered report hash differs from the signed report hash")


# The walk of ``no_tamper`` over the trail: the first event of each id, the last event, and
# in trail order what it met (True: an id seen before, with that first event; False: a log
# index not above the previous event's, with that event). Grown with a view's new events.
Scan = tuple[dict[str, TrailEvent], TrailEvent | None,
             list[tuple[bool, TrailEvent, TrailEvent]]]


def _scan(trail: Trail) -> Scan:
    return _scan_more(({}, None, []), trail.events)


def _scan_more(prior: Scan, new: tuple[TrailEvent, ...]) -> Scan:
    seen, prev, met = dict(prior[0]), prior[1], list(prior[2])
    for e in new:
        if e.event_id in seen:
            met.append((True, seen[e.event_id], e))
        if prev is not None and e.index <= prev.index:
            met.append((False, prev, e))
        seen.setdefault(e.event_id, e)
        prev = e
    return seen, prev, met


def _committee(trail: Trail, section: str | None) -> set[str]:
    scope = trail.for_section(section) if section else trail
    formed = scope.last("COMMITTEE_FORMED")
    members = {str(m["person_id"]) for m in (formed.payload.get("members", []) if formed else [])}
    for r in scope.of_type("MEMBER_REPLACED"):
        if formed is not None and r.index > formed.index:
            members.discard(str(r.get("person_id")))
            members.add(str(r.get("replacement_id")))
    return members


def _unsigned(e: TrailEvent) -> bool:
    if e.context.get("signature"):
        return False
    if e.type == "EVAL_REPORT_SIGNED":
        sigs = e.payload.get("signatures") or []
        return not sigs or not all(s.get("signature") for s in sigs)
    return True


@rule(_ESIGN, title_zh="规定的数据电文应当电子签名",
      title_en="Required documents are electronically signed by the responsible parties",
      basis='EB 第40条 "下列数据电文应当按照《中华人民共和国电子签名法》和招标文件的要求进行电子签名并进行'
            '电子存档"; ES 第13条; ES 第14条', section="12",
      reads=("PROJECT_REGISTERED", "ANNOUNCEMENT_PUBLISHED", *_SIGNED_DOCS, "COMMITTEE_FORMED",
             "MEMBER_REPLACED"),
      severity="warning", lead=False, confidence="V", applies=ELECTRONIC)
def esign(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if not _electronic(trail):
        return
    docs = [e for e in trail.of_type(*_SIGNED_DOCS, "ANNOUNCEMENT_PUBLISHED")
            if e.type != "ANNOUNCEMENT_PUBLISHED" or e.get("kind") in _SIGNED_ANNOUNCEMENTS]
    for rep in trail.of_type("EVAL_REPORT_SIGNED"):
        members = _committee(trail, rep.section_id)
        signers = {str(s.get("signer_id")) for s in rep.payload.get("signatures") or []}
        missing = sorted(members - signers)
        if members and missing:
            yield hit(_ESIGN, trail, [rep], {"not_signed_by": missing},
                      f"评标报告缺少委员会成员 {listing(missing)} 的签名",
                      f"evaluation report not signed by members {listing(missing, 'en')}",
                      subjects=missing)
    bad = [e for e in docs if _unsigned(e)]
    if bad:
        types = sorted({e.type for e in bad})
        yield hit(_ESIGN, trail, bad[:_EVIDENCE_CAP], {"unsigned": len(bad), "types": types},
                  f"{len(bad)} 份应电子签名的数据电文无签名：{listing(types)}",
                  f"{len(bad)} required data messages carry no e-signature: "
                  f"{listing(types, 'en')}",
                  section_id=None)


# (cause type, effect type, payload keys that must match) for the causal-order check.
_CAUSAL = (
    ("BID_SUBMITTED", "BID_DECRYPTED", ("bidder_org",)),
    ("OPENING_STARTED", "OPENING_ENDED", ()),
    ("EVAL_STARTED", "EVAL_ENDED", ("session_id",)),
    ("AWARD_NOTICE_ISSUED", "CONTRACT_SIGNED", ()),
    ("COMPLAINT_FILED", "COMPLAINT_ACCEPTED", ("case_id",)),
    ("COMPLAINT_ACCEPTED", "COMPLAINT_DECIDED", ("case_id",)),
)


def _causal_pairs(trail: Trail) -> Iterator[tuple[TrailEvent, TrailEvent]]:
    """Each effect with its cause. The pairs of a (cause, effect) kind follow from its causes
    and effects alone: the next view of the growing trail reuses them while these are the
    same events (most new events are of neither type)."""
    kept = trail.kept(_spec_pairs)
    for spec in _CAUSAL:
        causes, effects = trail.of_type(spec[0]), trail.of_type(spec[1])
        was = kept.get(spec)
        if was is None or not (same_events(was[0], causes) and same_events(was[1], effects)):
            was = kept[spec] = (causes, effects, list(_spec_pairs(trail, *spec)))
        yield from was[2]
    yield from _reply_pairs(trail)


def _spec_pairs(trail: Trail, cause_t: str, effect_t: str, keys: tuple[str, ...]
                ) -> Iterator[tuple[TrailEvent, TrailEvent]]:
    effects = trail.of_type(effect_t)
    causes = _by_match(trail.of_type(cause_t), keys) if effects else None
    for effect in effects:
        key = _match_key(effect, keys)
        if causes is None or key is None:  # not plain ids: compared one by one
            cause = next((x for x in trail.of_type(cause_t) if x.index < effect.index
                          and x.section_id == effect.section_id
                          and all(x.get(k) == effect.get(k) for k in keys)), None)
        else:
            cause = next((x for x in causes.get(key, ()) if x.index < effect.index), None)
        if cause is not None:
            yield cause, effect


def _reply_pairs(trail: Trail) -> Iterator[tuple[TrailEvent, TrailEvent]]:
    for reply in trail.of_type("OBJECTION_REPLIED", "CHALLENGE_REPLIED"):
        linked = reply.payload.get("linked_filing")
        filing = next((f for f in trail.events if f.event_id == linked), None)
        if filing is not None:
            yield filing, reply


def _match_key(e: TrailEvent, keys: tuple[str, ...]) -> tuple[str | None, ...] | None:
    """The section and the values of ``keys`` when each is a string or absent (then equal
    keys ⇔ equal values); None otherwise (a number equals values of other types)."""
    key = (e.section_id, *(e.payload.get(k) for k in keys))
    return key if all(v is None or type(v) is str for v in key) else None


def _by_match(causes: list[TrailEvent], keys: tuple[str, ...]
              ) -> dict[tuple[str | None, ...], list[TrailEvent]] | None:
    """Causes by ``_match_key``, trail order; None when one has no such key."""
    out: dict[tuple[str | None, ...], list[TrailEvent]] = {}
    for x in causes:
        key = _match_key(x, keys)
        if key is None:
            return None
        out.setdefault(key, []).append(x)
    return out


@rule(_TIME, title_zh="数据电文接收时间以进入特定系统的时间为准（可信时间）",
      title_en="Authoritative receipt time: trusted timestamps and causal order",
      basis='ES 第11条 "数据电文进入该特定系统的时间，视为该数据电文的接收时间"; EB 第27条; ES 第8条',
      section="12", reads=("PROJECT_REGISTERED", "BID_SUBMITTED", "*"), severity="warning",
      lead=False, confidence="V", applies=ALL.where("electronic (TSA); all (order)"))
def trusted_time(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    if _electronic(trail):
        bids = [b for b in trail.of_type("BID_SUBMITTED")
                if b.get("accepted", True) and not b.context.get("tsa_token")]
        if bids:
            orgs = [str(b.get("bidder_org")) for b in bids]
            yield hit(_TIME, trail, bids, {"bids_without_tsa": len(bids)},
                      f"{len(bids)} 份投标文件接收无可信时间戳", f"{len(bids)} bid receipts "
                      "without a trusted timestamp (TSA token)", section_id=None, subjects=orgs)
    tol = timedelta(seconds=ctx.thresholds.clock_order_tolerance_seconds)
    for cause, effect in _causal_pairs(trail):
        if effect.occurred_at < cause.occurred_at - tol:
            gap = (cause.occurred_at - effect.occurred_at).total_seconds()
            yield hit(_TIME, trail, [cause, effect],
                      {"cause": cause.type, "effect": effect.type, "seconds_earlier": gap},
                      f"{effect.type} 的业务时间早于其前因 {cause.type} {duration(gap)}",
                      f"{effect.type} occurred {duration(gap, 'en')} before its cause {cause.type}")



@rule(_PAPER, title_zh="纸质文件与数据电文不一致时以数据电文为准",
      title_en="Paper and electronic versions disagree (data message prevails)",
      basis='EB 第62条 "当纸质文件与数据电文不一致时，除招标文件特别约定外，以数据电文为准"',
      section="12", reads=(), severity="info", lead=False, confidence="V",
      applies=ALL, implemented=False)
def paper_vs_data(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    """Not implemented: the event catalogue has no paper-scan hash to compare."""
    return iter(())
