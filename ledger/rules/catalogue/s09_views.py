"""docs/rules.md §9: what R-SITE-FAST-EVAL reads of the scores and the document views — which
bids each expert scored without viewing them, or viewed too briefly, and each expert's final
score.

Registers no rule (``s09_onsite`` does). Must not import the store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ledger.rules.catalogue.s08_common import scores_by
from ledger.rules.context import RuleContext
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.registry import hit
from ledger.rules.wording import duration, listing

# Per bid an expert scored: his subjective scores of it (is_objective False), in trail order,
# and the lowest log index among them (None: none).
Subjective = tuple[list[TrailEvent], int | None]


def expert_bids(sec: Trail) -> dict[str, dict[str, Subjective]]:
    """String ``expert_id`` → ``str(bidder_org)`` → ``Subjective``, bidders in the order of
    the expert's first score of each (memoised per section trail; do not mutate)."""
    return sec.memo(expert_bids, _expert_bids)


def _expert_bids(sec: Trail) -> dict[str, dict[str, Subjective]]:
    out: dict[str, dict[str, Subjective]] = {}
    for s in sec.of_type("SCORE_SUBMITTED"):
        p = s.payload
        ex = p.get("expert_id")
        if not isinstance(ex, str):
            continue  # looked up with string ids only (``scores_by``)
        bids = out.get(ex)
        if bids is None:
            bids = out[ex] = {}
        b = str(p.get("bidder_org"))
        found = bids.get(b)
        if found is None:
            found = bids[b] = ([], None)
        if p.get("is_objective") is False:
            found[0].append(s)
            if found[1] is None or s.index < found[1]:
                bids[b] = (found[0], s.index)
    return out


def final_scores(sec: Trail) -> dict[Any, TrailEvent]:
    """Each ``expert_id``'s last SCORE_SUBMITTED (memoised per section trail)."""
    return sec.memo(final_scores, _final_scores)


def _final_scores(sec: Trail) -> dict[Any, TrailEvent]:
    last: dict[Any, TrailEvent] = {}
    for s in sec.of_type("SCORE_SUBMITTED"):
        last[s.payload.get("expert_id")] = s
    return last


def _unviewed(subjective: Subjective, first_view: int | None) -> TrailEvent | None:
    """The first subjective score (trail order) not preceded by a view of the bid: logged
    before the expert's first view of it, or with no view at all."""
    scores, low = subjective
    if not scores:
        return None
    if first_view is None or scores[0].index <= first_view:
        return scores[0]
    if low is not None and low > first_view:
        return None  # every one of them after the first view (the usual trail order)
    return next((s for s in scores if s.index <= first_view), None)


def viewing(trail: Trail, sec: Trail, sid: str | None, ctx: RuleContext) -> Iterator[Finding]:
    """Per expert: bids scored (subjectively) before any view of them, and bids viewed for
    less than ``doc_view_min_seconds`` in all (only when the trail carries DOC_VIEWED)."""
    if not sec.of_type("DOC_VIEWED"):
        return
    by_pair = sec.memo(_views_by_pair, _views_by_pair)
    need = ctx.thresholds.doc_view_min_seconds
    for ex, bids in sorted(expert_bids(sec).items()):
        unseen: dict[str, TrailEvent] = {}
        brief: dict[str, int] = {}
        for b, subjective in bids.items():  # once per bid, not once per score of it
            first, seconds = _viewed(by_pair.get((ex, b), []))
            if seconds < need:
                brief[b] = seconds
            found = _unviewed(subjective, first)
            if found is not None:
                unseen[b] = found
        if unseen or brief:
            yield hit("R-SITE-FAST-EVAL", trail, list(unseen.values()) or scores_by(sec, ex)[:1],
                      {"expert": ex, "scored_unviewed": sorted(unseen), "view_seconds": brief,
                       "min_view_seconds": ctx.thresholds.doc_view_min_seconds},
                      *_view_words(ex, sorted(unseen), brief, ctx.thresholds.doc_view_min_seconds),
                      section_id=sid, subjects=[ex])


def _view_words(ex: str, unseen: list[str], brief: dict[str, int], need: int) -> tuple[str, str]:
    """Which bids an expert scored unread, and which he read too briefly, in words."""
    zh = [f"未查阅即评分：{listing(unseen)}"] if unseen else []
    en = [f"scored without viewing {listing(unseen, 'en')}"] if unseen else []
    if brief:
        zh.append("查阅时长不足 " + duration(need) + "：" + listing(
            f"{b}（{duration(s)}）" for b, s in sorted(brief.items())))
        en.append(f"viewed for less than {duration(need, 'en')}: " + listing(
            (f"{b} ({duration(s, 'en')})" for b, s in sorted(brief.items())), "en"))
    return f"专家 {ex} " + "；".join(zh), f"expert {ex} " + "; ".join(en)


def _viewed(views: list[TrailEvent]) -> tuple[int | None, int]:
    """(lowest log index, total ``duration_s``) of an expert's views of one bid."""
    first = min((v.index for v in views), default=None)
    return first, sum(int(v.payload.get("duration_s", 0)) for v in views)


def _views_by_pair(sec: Trail) -> dict[tuple[str, str], list[TrailEvent]]:
    """DOC_VIEWED by (expert_id, bidder_org), trail order; only string ids are kept (they are
    looked up with string ids, which no other value equals)."""
    out: dict[tuple[str, str], list[TrailEvent]] = {}
    for v in sec.of_type("DOC_VIEWED"):
        ex, b = v.payload.get("expert_id"), v.payload.get("bidder_org")
        if isinstance(ex, str) and isinstance(b, str):
            out.setdefault((ex, b), []).append(v)
    return out
