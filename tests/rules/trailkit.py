"""Test helper: hand-written lawful project trails with re-tendered rounds and several lots.

Written independently of the demo generator: each phase is a small function that returns
the event dicts of ``tests.rules.builders.make_trail`` for one lot, so a test can compose a
project of lots and rounds and then plant one defect. Times are Beijing time (+08:00).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.rules.builders import ev

Events = list[dict[str, Any]]


def doc_round(sec: str, issued: str, deadline: str, orgs: list[str], *, version: int = 1,
              place: str = "开标室1") -> Events:
    """Announcement, tender document, downloads by ``orgs`` (one round of one lot)."""
    doc_hash = f"{sec}{version}".encode().hex().ljust(64, "0")[:64]
    out: Events = [
        ev("ANNOUNCEMENT_PUBLISHED", issued, section=sec, kind="tender",
           media_id="LN-GGZY", published_at=issued, period_start=issued,
           period_end=_plus_days(issued, 7)),
        ev("DOC_ISSUED", issued, section=sec, doc_kind="tender_doc", version=version,
           doc_hash=doc_hash, available_from=issued, available_until=_plus_days(issued, 7),
           bid_deadline=deadline, opening_place=place, bid_validity_days=90),
    ]
    for k, org in enumerate(orgs):
        out.append(ev("DOC_DOWNLOADED", _plus_days(issued, 1, minutes=97 * k), section=sec,
                      downloader_org=org, user_id=f"u-{org}", doc_hash=doc_hash))
    return out


def bids(sec: str, day: str, orgs: list[str], amount: str) -> Events:
    """Bond then sealed bid of each org, on ``day`` (YYYY-MM-DD), well before the deadline."""
    out: Events = []
    for k, org in enumerate(orgs):
        out.append(ev("BOND_PAID", f"{day}T{8 + k:02d}:10:00+08:00", section=sec,
                      bidder_org=org, amount=amount, form="transfer",
                      payer_name=f"{org}公司", payer_account_hash=f"ACC-{org}",
                      payer_is_basic_account=True))
        at = f"{day}T{8 + k:02d}:40:00+08:00"
        out.append(ev("BID_SUBMITTED", at, section=sec, bidder_org=org,
                      bidder_name=f"{org}公司", received_at=at, accepted=True, encrypted=True,
                      file_hash=f"{sec}{org}".encode().hex().ljust(64, "f")[:64]))
    return out


def opening(sec: str, at: str, prices: dict[str, str], place: str = "开标室1") -> Events:
    """Opening at ``at``: each bid decrypted with its price, the record, the end."""
    out: Events = [ev("OPENING_STARTED", at, section=sec, place=place, host="agent-li",
                      bid_count=len(prices), av_recording_ids=[f"AV-{sec}-{at[:10]}"])]
    for k, (org, price) in enumerate(prices.items()):
        out.append(ev("BID_DECRYPTED", _plus_days(at, 0, minutes=5 + k), section=sec,
                      bidder_org=org, success=True, bid_price=price))
    out.append(ev("OPENING_RECORD_PUBLISHED", _plus_days(at, 0, minutes=40), section=sec,
                  entries=[{"bidder_org": o, "bid_price": p} for o, p in prices.items()],
                  record_hash=f"{sec}{at}".encode().hex().ljust(64, "c")[:64]))
    out.append(ev("OPENING_ENDED", _plus_days(at, 0, minutes=45), section=sec, place=place,
                  host="agent-li", bid_count=len(prices), av_recording_ids=[f"AV-{sec}"]))
    return out


def retender(sec: str, at: str) -> Events:
    """The lot failed with fewer than three bids and is tendered again."""
    return [ev("RETENDER_STARTED", at, section=sec, reason="投标人少于3个，依法重新招标",
               cause="too_few_bidders")]


def refunds(sec: str, at: str, orgs: list[str], amount: str, cause: str) -> Events:
    return [ev("BOND_REFUNDED", _plus_days(at, 0, minutes=7 * k), section=sec, bidder_org=o,
               amount=amount, interest="12.50", cause=cause) for k, o in enumerate(orgs)]


def award(sec: str, day: str, winner: str, others: list[str], price: str) -> Events:
    """Winner, award notice to the winner and result notice to the others the same day."""
    return [
        ev("WINNER_DETERMINED", f"{day}T10:00:00+08:00", section=sec, winner_org=winner,
           rank_of_winner=1, award_price=price),
        ev("AWARD_NOTICE_ISSUED", f"{day}T15:00:00+08:00", section=sec, recipients=[winner]),
        ev("RESULT_NOTICE_ISSUED", f"{day}T15:00:00+08:00", section=sec, recipients=others),
        ev("TENDER_REPORT_FILED", f"{day}T16:00:00+08:00", section=sec,
           filed_at=f"{day}T16:00:00+08:00", to_department="沈阳市住房和城乡建设局"),
    ]


def contract(sec: str, day: str, winner: str, amount: str, bond: str) -> Events:
    """Performance bond then the written contract of the lot, on ``day``."""
    return [
        ev("PERFORMANCE_BOND_PAID", f"{day}T09:00:00+08:00", section=sec, bidder_org=winner,
           amount=bond, form="bank_guarantee"),
        ev("CONTRACT_SIGNED", f"{day}T10:00:00+08:00", section=sec,
           contract_id=f"HT-{sec}", winner_org=winner, signed_at=f"{day}T10:00:00+08:00",
           amount=amount, duration_days=365),
    ]


def pct(amount: str, ratio: str) -> str:
    """``amount × ratio`` in 元 with two decimals (a bond or a cap)."""
    return str((Decimal(amount) * Decimal(ratio)).quantize(Decimal("0.01")))


def _plus_days(at: str, days: int, minutes: int = 0) -> str:
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(at) + timedelta(days=days, minutes=minutes)).isoformat()


def dressed(events: Events) -> Events:
    """Every event as a platform records it: an operator, a network address, an electronic
    signature and, for bids, a trusted timestamp (so record-keeping rules stay quiet)."""
    out: Events = []
    for e in events:
        org = e["payload"].get("bidder_org") or e["payload"].get("downloader_org")
        actor = {"id": f"u-{org}" if org else "agent-li", "role": "bidder" if org else "agent"}
        ip = f"10.{sum(map(ord, org)) % 250}.{len(org)}.7" if org else "172.16.0.1"
        context = {"client_ip": ip, "signature": "sig", "tsa_token": "tsa"}
        out.append({**e, "actor": actor, "context": context})
    return out
