"""Sealing in the log: bid-phase records before the opening are sealed (encrypted, outside
the public chain, blinded ids), the opening appends BIDS_UNSEALED with the key and the full
list, per section and for the project as a whole; idempotency works on sealed records; the
raw database before the opening holds no bidder name, organisation or price."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import sqlalchemy as sa

from ledger.core.canonical import decode_envelope, is_sealed_envelope
from ledger.core.hashing import leaf_hash
from ledger.core.sealed import is_sealed_blob, open_blob, parse_release
from ledger.errors import ConflictError
from ledger.events import event_to_json, example_event, parse_event
from ledger.log import Appended, Rejected, WitnessLog
from ledger.sealing.phases import read_phases

PROJECT = example_event("PROJECT_REGISTERED")["project_id"]
SECTION = example_event("BID_SUBMITTED")["section_id"]


def ev(event_type: str, n: int = 1, section: str | None = SECTION, **payload: Any
       ) -> dict[str, Any]:
    e = example_event(event_type)
    e["event_id"] = f"EV-{event_type}-{n:04d}"
    if section is None:
        e.pop("section_id", None)
    else:
        e["section_id"] = section
    e["payload"].update(payload)
    return event_to_json(parse_event(e))


def bid(n: int, org: str, section: str = SECTION) -> dict[str, Any]:
    return ev("BID_SUBMITTED", n, section, bidder_org=org, bidder_name=f"测试建设有限公司{n}号")


def _rows(log: WitnessLog) -> list[Any]:
    with log.db.read() as conn:
        return list(conn.execute(sa.text(
            "SELECT idx, event_id, project_seq, event_type, actor_org, canonical, seal_scope "
            "FROM events ORDER BY idx")))


def _envelopes(results: list[Any]) -> list[dict[str, Any]]:
    return [decode_envelope(r.receipt.canonical_event) for r in results]


def test_bids_before_the_opening_are_sealed(log: WitnessLog) -> None:
    out = log.append([ev("PROJECT_REGISTERED", section=None), ev("DOC_ISSUED"),
                      ev("DOC_DOWNLOADED"), bid(1, "ORG-A"), bid(2, "ORG-B")])
    envs = _envelopes(out)
    assert [is_sealed_envelope(e) for e in envs] == [False, False, True, True, True]
    assert all("project_seq" not in e and "prev" not in e for e in envs[2:])
    assert [e.get("project_seq") for e in envs[:2]] == [0, 1]
    rows = _rows(log)
    for row in rows[2:]:
        assert row.event_type == "SEALED" and row.project_seq is None and row.actor_org is None
        assert row.event_id.startswith("sealed:") and is_sealed_blob(bytes(row.canonical))
        assert row.seal_scope and len(bytes(row.canonical)) % 4096 == 32 + 16  # padded
    assert len({len(bytes(r.canonical)) for r in rows[2:]}) == 1  # a bid looks like a download


def test_the_opening_publishes_the_key_and_every_sealed_record(log: WitnessLog) -> None:
    log.append([ev("PROJECT_REGISTERED", section=None), bid(1, "ORG-A"), bid(2, "ORG-B")])
    (opening,) = log.append([ev("OPENING_STARTED")])
    assert isinstance(opening, Appended)
    rows = _rows(log)
    releases = [parse_release(json.loads(bytes(r.canonical))) for r in rows
                if r.event_type == "BIDS_UNSEALED"]
    by_section = {r.section_id: r for r in releases}
    assert set(by_section) == {SECTION, None}  # the section, then the project as a whole
    assert by_section[SECTION].indexes == (1, 2) and by_section[None].indexes == ()
    for idx in (1, 2):
        row = rows[idx]
        plain = open_blob(by_section[SECTION].key, bytes(row.canonical), leaf_hash_of(log, idx))
        assert leaf_hash(plain) == leaf_hash_of(log, idx)
    # after the opening a bid is public (and late: the rules say so)
    (late,) = log.append([bid(3, "ORG-C")])
    assert isinstance(late, Appended)
    assert not is_sealed_envelope(decode_envelope(late.receipt.canonical_event))
    with log.db.read() as conn:
        phases = read_phases(conn, [PROJECT])
    assert phases[(PROJECT, SECTION)].opened_index == opening.index


def leaf_hash_of(log: WitnessLog, index: int) -> bytes:
    with log.db.read() as conn:
        return bytes(conn.execute(sa.text("SELECT leaf_hash FROM events WHERE idx = :i"),
                                  {"i": index}).scalar_one())


def test_sections_open_one_by_one_and_the_project_last(log: WitnessLog) -> None:
    reg = ev("PROJECT_REGISTERED", section=None, sections=["S1", "S2"])
    log.append([reg, bid(1, "ORG-A", "S1"), bid(2, "ORG-B", "S2"),
                ev("DOC_DOWNLOADED", 3, section=None)])
    log.append([ev("OPENING_STARTED", 1, "S1")])
    types = [r.event_type for r in _rows(log)]
    assert types.count("BIDS_UNSEALED") == 1  # S1 only: S2 and the project stay sealed
    log.append([ev("OPENING_STARTED", 2, "S2")])
    releases = [parse_release(json.loads(bytes(r.canonical))) for r in _rows(log)
                if r.event_type == "BIDS_UNSEALED"]
    assert [(r.section_id, r.indexes) for r in releases] == [
        ("S1", (1,)), ("S2", (2,)), (None, (3,))]


def test_the_opening_event_in_the_same_batch_lists_what_came_before_it(log: WitnessLog) -> None:
    log.append([ev("PROJECT_REGISTERED", section=None), bid(1, "ORG-A"),
                ev("BID_DECRYPTED", 1, bidder_org="ORG-A"), bid(2, "ORG-B")])
    rows = _rows(log)
    # the decryption by the bidder itself names it: sealed, then released right after
    release = parse_release(json.loads(bytes(rows[3].canonical)))
    assert release.indexes == (1, 2)
    assert rows[-1].event_type == "BID_SUBMITTED"  # after the opening: public


def test_a_sealed_record_is_idempotent_and_conflicts_are_refused(log: WitnessLog) -> None:
    (first,) = log.append([bid(1, "ORG-A")])
    (again,) = log.append([bid(1, "ORG-A")])
    assert isinstance(again, Appended) and again.duplicate
    assert again.receipt.dumps() == first.receipt.dumps()
    (other,) = log.append([bid(1, "ORG-B")])
    assert isinstance(other, Rejected) and isinstance(other.error, ConflictError)
    assert log.index_of("EV-BID_SUBMITTED-0001") == first.index  # found by its real id
    assert log.receipt(first.index).canonical_event == first.receipt.canonical_event


def test_a_lead_on_sealed_evidence_is_sealed_too(log: WitnessLog) -> None:
    (a,) = log.append([bid(1, "ORG-A")])
    lead = example_event("LEAD_RAISED")
    lead["payload"].update(evidence_indexes=[a.index], evidence_event_ids=[a.event_id])
    (raised,) = log.append([event_to_json(parse_event(lead))])
    assert is_sealed_envelope(decode_envelope(raised.receipt.canonical_event))
    log.append([ev("OPENING_STARTED")])
    release = next(parse_release(json.loads(bytes(r.canonical))) for r in _rows(log)
                   if r.event_type == "BIDS_UNSEALED")
    assert release.indexes == (a.index, raised.index)


def test_the_raw_database_before_the_opening_names_no_bidder_and_no_price(
        log: WitnessLog, settings: Any) -> None:
    names = ["大连港城建设有限公司", "鞍山千山路桥集团有限公司"]
    orgs = ["91210200MA2AAAAA77", "91210300MA2BBBBB0Y"]
    events = [ev("PROJECT_REGISTERED", section=None), ev("DOC_ISSUED")]
    for n, (org, name) in enumerate(zip(orgs, names, strict=True), 1):
        events += [ev("DOC_DOWNLOADED", n, downloader_org=org),
                   ev("BOND_PAID", n, bidder_org=org, payer_name=name),
                   ev("BID_SUBMITTED", n, bidder_org=org, bidder_name=name,
                      file_name=f"{name}-投标文件.lntf")]
    log.append(events)
    secrets = [*names, *orgs]
    for text in _raw_database_texts(log, settings):
        for secret in secrets:
            assert secret not in text, f"{secret} readable in the raw database"
    # after the opening, the prices come in with the decryption and the record is open
    log.append([ev("OPENING_STARTED"), ev("BID_DECRYPTED", 1, bidder_org=orgs[0],
                                           bid_price="9876543.21")])
    assert any(orgs[0] in t for t in _raw_database_texts(log, settings))


def _raw_database_texts(log: WitnessLog, settings: Any) -> list[str]:
    """Everything the database holds, as an operator with SQL (or a file copy) sees it."""
    if log.db.is_sqlite:
        path = settings.home / "witness.db"
        files = [path, path.with_name("witness.db-wal")]
        return [f.read_bytes().decode("utf-8", "replace") for f in files if f.exists()]
    out = []
    with log.db.read() as conn:
        for table in ("events", "section_phases", "findings", "leads", "log_info"):
            for row in conn.execute(sa.text(f"SELECT * FROM {table}")):
                out.append(" ".join(_as_text(v) for v in row))
    return out


def _as_text(value: Any) -> str:
    if isinstance(value, bytes | memoryview):
        raw = bytes(value)
        return raw.decode("utf-8", "replace") + " " + base64.b64encode(raw).decode()
    return str(value)


@pytest.mark.parametrize("trigger", ["OPENING_RECORD_PUBLISHED", "TENDER_TERMINATED"])
def test_other_events_that_witness_an_opening_unseal(log: WitnessLog, trigger: str) -> None:
    log.append([bid(1, "ORG-A")])
    log.append([ev(trigger, section=None)])  # project-wide: every section of the project
    releases = [parse_release(json.loads(bytes(r.canonical))) for r in _rows(log)
                if r.event_type == "BIDS_UNSEALED"]
    assert {r.section_id for r in releases} == {SECTION, None}
    assert [r.indexes for r in releases if r.section_id == SECTION] == [(0,)]
