"""The benchmark workload: realistic, deterministic bid submissions and their decryptions.

Events come in pairs, one pair per bid: an even-numbered BID_SUBMITTED (envelope + payload of
a bid upload with file hash, file metadata and device identifiers) and the next, odd-numbered
BID_DECRYPTED of the same bid at the opening, which carries the price and the line-item
hash: a bid's price is not known before its opening, so it is never in the submission. A
submission before its project's first decryption is sealed; that decryption opens the
project, and the ledger appends its BIDS_UNSEALED (so the log grows a little faster than the
workload). The
validator of the event catalogue (``ledger.events.parse_event``) is used when it is
importable and accepts the generated events; otherwise the benchmark measures the pipeline
without it.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator, Mapping
from typing import Any

Event = dict[str, Any]
Validator = Callable[[Mapping[str, Any]], dict[str, Any]]

_APPS = ("浙江省电子招投标投标工具 V5.2", "新点投标文件制作工具 V10.3", "广联达投标工具 V6.1")
_COMPANIES = ("浙江宏业建设集团有限公司", "杭州市政工程有限公司", "宁波港城建设有限公司",
              "温州瓯江路桥集团有限公司", "绍兴水利水电工程有限公司")


def make_event(i: int, projects: int, seed: int = 2026) -> Event:
    """Event number ``i`` of the workload (same ``i`` and seed → same event): the submission
    of bid ``i // 2`` for even ``i``, its decryption for odd ``i``."""
    bid = i // 2
    rng = random.Random(seed * 1_000_003 + bid)  # both events of a bid draw the same values
    org = f"91330100MA{rng.randrange(16**8):08X}"
    company = _COMPANIES[rng.randrange(len(_COMPANIES))]
    minute, second = divmod(bid % 3600, 60)
    submitted = _submission(rng, seed, bid, org, company)
    if i % 2 == 0:
        stamp = f"2026-03-22T09:{minute:02d}:{second:02d}+08:00"
        payload = {**submitted, "received_at": stamp}
    else:
        stamp = f"2026-03-23T10:{minute:02d}:{second:02d}+08:00"  # the opening, next day
        payload = {
            "bidder_org": org,
            "success": True,
            "bid_price": f"{rng.randrange(1_000_000, 90_000_000)}.{rng.randrange(100):02d}",
            "item_price_vector_hash": hashlib.sha256(f"items-{seed}-{bid}".encode()).hexdigest(),
            "ip": submitted["ip"],
        }
    return {
        "event_id": f"EV-BID-{seed}-{i:09d}",
        "type": "BID_SUBMITTED" if i % 2 == 0 else "BID_DECRYPTED",
        "project_id": f"ZJ-GC-2026-{bid % projects:05d}",
        "occurred_at": stamp,
        "actor": {"id": f"U-{org}-01", "role": "bidder", "org_id": org},
        "payload": payload,
    }


def _submission(rng: random.Random, seed: int, bid: int, org: str, company: str) -> Event:
    """The BID_SUBMITTED payload of bid number ``bid`` (without its received_at)."""
    return {
        "bidder_org": org,
        "bidder_name": company,
        "accepted": True,
        "encrypted": True,
        "file_hash": hashlib.sha256(f"bid-file-{seed}-{bid}".encode()).hexdigest(),
        "file_size": rng.randrange(2_000_000, 80_000_000),
        "file_name": f"{company}-投标文件-{bid}.zjtf",
        "file_meta": _file_meta(rng, company),
        "tool_machine_code": f"MC-{rng.randrange(16**12):012X}",
        "ip": f"115.236.{rng.randrange(256)}.{rng.randrange(1, 255)}",
        "ca_cert_serial": f"4A3F{rng.randrange(16**12):012X}",
    }


def _file_meta(rng: random.Random, company: str) -> dict[str, str]:
    author = f"user{rng.randrange(1000):03d}"
    return {
        "author": author,
        "last_modified_by": author,
        "company": company,
        "app_name": _APPS[rng.randrange(len(_APPS))],
        "app_license_serial": f"ZJTB-52-{rng.randrange(10**8):08d}",
        "created_at": "2026-03-18T09:02:11+08:00",
        "modified_at": "2026-03-21T15:30:44+08:00",
    }


def batches(n: int, batch: int, projects: int) -> Iterator[list[Event]]:
    """The workload of ``n`` events in batches (generated lazily, one batch at a time)."""
    for start in range(0, n, batch):
        yield [make_event(i, projects) for i in range(start, min(n, start + batch))]


def find_validator() -> tuple[Validator | None, str]:
    """``parse_event`` + ``event_to_json`` if the catalogue works here, else ``None`` + why."""
    try:
        from ledger.events import event_to_json, parse_event
    except Exception as exc:  # the catalogue is being written concurrently
        return None, f"ledger.events.parse_event not importable: {exc!r}"[:300]

    def validate(event: Mapping[str, Any]) -> dict[str, Any]:
        return event_to_json(parse_event(dict(event)))

    try:
        validate(make_event(0, 1))
    except Exception as exc:
        return None, f"ledger.events.parse_event rejects the workload: {exc!r}"[:300]
    return validate, "ledger.events.parse_event + event_to_json"
