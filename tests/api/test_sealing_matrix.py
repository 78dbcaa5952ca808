"""The visibility table of docs/sealing.md, probed role × endpoint × phase through the API.

One project is recorded in three steps — bidding (documents downloaded, bonds paid, bids
submitted, experts drawn), evaluation (opened, decrypted, viewed, scored), public (winner
determined) — and after each step every role asks for every event's receipt (by index and
by event id) and inclusion proof, and for the project's timeline, bundle and audit. The
expected answers are written out here independently of ``ledger.sealing.policy``.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.events import example_event
from tests.api.conftest import auth
from witness_api.tokens import Scope

PROJECT = "LN-SY-2026-0101"
SECTION = "LN-SY-2026-0101-S01"
DEPT = "沈阳市住房和城乡建设局"
MINE, THEIRS = "91210100MA0AAAAA1X", "91210100MA0BBBBB2Y"
NAMES = {MINE: "沈阳甲建设有限公司", THEIRS: "沈阳乙路桥集团有限公司"}


def _ev(event_type: str, eid: str, *, section: bool = True, **payload: Any) -> dict[str, Any]:
    e = example_event(event_type)
    e.update(event_id=eid, project_id=PROJECT)
    if section:
        e["section_id"] = SECTION
    else:
        e.pop("section_id", None)
    e["payload"].update(payload)
    return e


# (event id, class, owner or None, the event); classes as in docs/sealing.md
BIDDING_STEP = [
    ("REG", "public", None, _ev("PROJECT_REGISTERED", "REG", section=False, sections=[SECTION],
                                supervisory_dept=DEPT, region_code="210100")),
    ("DOC", "public", None, _ev("DOC_ISSUED", "DOC")),
    ("DL-1", "bidding", MINE, _ev("DOC_DOWNLOADED", "DL-1", downloader_org=MINE)),
    ("DL-2", "bidding", THEIRS, _ev("DOC_DOWNLOADED", "DL-2", downloader_org=THEIRS)),
    ("BOND-1", "bidding", MINE, _ev("BOND_PAID", "BOND-1", bidder_org=MINE,
                                   payer_name=NAMES[MINE])),
    ("BID-1", "bidding", MINE, _ev("BID_SUBMITTED", "BID-1", bidder_org=MINE,
                                  bidder_name=NAMES[MINE])),
    ("BID-2", "bidding", THEIRS, _ev("BID_SUBMITTED", "BID-2", bidder_org=THEIRS,
                                    bidder_name=NAMES[THEIRS])),
    ("DRAW", "evaluation", None, _ev("EXPERT_DRAW", "DRAW")),
]
EVALUATION_STEP = [
    ("OPEN", "public", None, _ev("OPENING_STARTED", "OPEN")),
    ("DEC-1", "public", MINE, _ev("BID_DECRYPTED", "DEC-1", bidder_org=MINE,
                                 bid_price="1234567.00")),
    ("VIEW", "evaluation", None, _ev("DOC_VIEWED", "VIEW", bidder_org=MINE)),
    ("SCORE", "evaluation", None, _ev("SCORE_SUBMITTED", "SCORE", bidder_org=MINE)),
]
PUBLIC_STEP = [("WIN", "public", None, _ev("WINNER_DETERMINED", "WIN", winner_org=MINE))]
STEPS = {"bidding": BIDDING_STEP, "evaluation": BIDDING_STEP + EVALUATION_STEP,
         "public": BIDDING_STEP + EVALUATION_STEP + PUBLIC_STEP}
PERSONAL = ("VIEW", "SCORE")  # per-expert material: never a bidder's


def expected(role: str, eid: str, cls: str, owner: str | None, phase: str) -> bool:
    """The table of docs/sealing.md, cell by cell."""
    if role == "ingest":
        return True  # it posted every event of this project
    if role in ("other_ingest", "outsider"):
        return False
    if role in ("bidder", "other_bidder"):
        me = MINE if role == "bidder" else THEIRS
        return owner == me and eid not in PERSONAL
    if cls == "bidding":
        return phase != "bidding"
    if cls == "evaluation":
        return role in ("supervisor", "regulator") or phase == "public"
    return True


ROLES = ("ingest", "other_ingest", "bidder", "other_bidder", "supervisor", "regulator",
         "admin", "outsider")


@pytest.fixture
def world(client: TestClient) -> dict[str, Any]:
    store = client.app.state.tokens  # type: ignore[attr-defined]
    make = store.create
    tokens = {"ingest": make("ingest")[0], "other_ingest": make("ingest")[0],
              "bidder": make("bidder", bidder_id=MINE)[0],
              "other_bidder": make("bidder", bidder_id=THEIRS)[0],
              "supervisor": make("supervisor", scope=Scope(regions=("2101",)))[0],
              "regulator": make("regulator", scope=Scope(departments=(DEPT,)))[0],
              "admin": make("admin")[0],
              "outsider": make("supervisor", scope=Scope(projects=("LN-OTHER",)))[0]}
    return {"tokens": tokens, "index": {}}


def _post(client: TestClient, world: dict[str, Any], step: list[Any]) -> None:
    fresh = [e for eid, _, _, e in step if eid not in world["index"]]
    r = client.post("/v1/events/batch", json={"events": fresh},
                    headers=auth(world["tokens"]["ingest"]))
    assert r.status_code == 200 and r.json()["rejected"] == 0, r.text
    for item in r.json()["results"]:
        world["index"][item["event_id"]] = item["index"]
    assert client.post("/v1/checkpoints", headers=auth(world["tokens"]["admin"])).status_code == 201


def _probe_events(client: TestClient, world: dict[str, Any], phase: str) -> None:
    for role in ROLES:
        h = auth(world["tokens"][role])
        for eid, cls, owner, _ in STEPS[phase]:
            want = expected(role, eid, cls, owner, phase)
            idx = world["index"][eid]
            where = f"{role} {eid} ({cls}) in {phase}"
            by_index = client.get(f"/v1/receipts/{idx}", headers=h)
            by_id = client.get(f"/v1/events/{eid}/receipt", headers=h)
            proof = client.get(f"/v1/proofs/inclusion?index={idx}", headers=h)
            assert by_index.status_code == (200 if want else 404), where
            assert by_id.status_code == (200 if want else 404), where
            if role in ("ingest", "other_ingest", "bidder", "other_bidder"):
                assert proof.status_code == (200 if want else 404), where
            else:  # hashes only: no content to seal
                assert proof.status_code == 200, where
            if not want:
                missing = client.get("/v1/receipts/999999", headers=h).json()
                assert by_index.json()["type"] == missing["type"]  # same as a missing one


def _probe_project(client: TestClient, world: dict[str, Any], phase: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for role in ("supervisor", "regulator", "admin", "outsider"):
        h = auth(world["tokens"][role])
        timeline = client.get(f"/v1/projects/{PROJECT}/timeline", headers=h)
        bundle = client.get(f"/v1/projects/{PROJECT}/bundle", headers=h)
        audit = client.get(f"/v1/projects/{PROJECT}/audit", headers=h)
        out[role] = (timeline, bundle, audit)
        if role == "outsider":
            assert {timeline.status_code, bundle.status_code, audit.status_code} == {404}
            continue
        assert timeline.status_code == 200
        shown = {e["event_id"] for e in timeline.json()["events"] if e.get("event_id")}
        releases = {x for x in shown if x.startswith("UNSEAL-")}  # the ledger's BIDS_UNSEALED
        assert len(releases) == (0 if phase == "bidding" else 2)  # the section, the project
        assert shown - releases == {eid for eid, cls, owner, _ in STEPS[phase]
                         if expected(role, eid, cls, owner, phase)}, (role, phase)
        closed_chain = role == "admin" and phase != "public"  # evaluation records
        assert bundle.status_code == (409 if closed_chain else 200), (role, phase)
        assert audit.status_code == bundle.status_code
        if not closed_chain:
            assert audit.json()["ok"] is True, audit.json()
    for role in ("ingest", "bidder"):
        h = auth(world["tokens"][role])
        assert client.get(f"/v1/projects/{PROJECT}/timeline", headers=h).status_code == 403
    return out


@pytest.mark.parametrize("phase", ["bidding", "evaluation", "public"])
def test_role_endpoint_phase_matrix(client: TestClient, world: dict[str, Any],
                                    phase: str) -> None:
    for step_phase in ("bidding", "evaluation", "public"):
        added = STEPS[step_phase] if step_phase == "bidding" else [
            x for x in STEPS[step_phase] if x[0] not in world["index"]]
        _post(client, world, added)
        if step_phase == phase:
            break
    _probe_events(client, world, phase)
    _probe_project(client, world, phase)


def test_before_the_opening_no_view_names_or_counts_the_bidders(
        client: TestClient, world: dict[str, Any]) -> None:
    _post(client, world, BIDDING_STEP)
    views = _probe_project(client, world, "bidding")
    for role, (timeline, bundle, audit) in views.items():
        for answer in (timeline, bundle, audit):
            text = answer.text
            for secret in (MINE, THEIRS, *NAMES.values()):
                assert secret not in text, (role, secret)
    body = views["supervisor"][0].json()
    assert {"section_id": SECTION, "until": "opening"} in body["sealed"]
    assert all(set(s) == {"section_id", "until"} for s in body["sealed"])  # never a count
    assert [e["type"] for e in body["events"]] == ["PROJECT_REGISTERED", "DOC_ISSUED",
                                                   "EXPERT_DRAW"]
    assert views["supervisor"][1].json()["sealed"] == body["sealed"]


def test_a_bidders_receipt_does_not_count_the_others(client: TestClient,
                                                     world: dict[str, Any]) -> None:
    _post(client, world, BIDDING_STEP)
    mine = client.get("/v1/events/BID-1/receipt", headers=auth(world["tokens"]["bidder"]))
    assert mine.status_code == 200
    envelope = mine.json()["canonical_event"]
    assert '"project_seq"' not in envelope and '"prev"' not in envelope
    assert '"seal":"bidding"' in envelope


def test_during_the_evaluation_a_bidder_reads_no_score_and_no_expert(
        client: TestClient, world: dict[str, Any]) -> None:
    _post(client, world, BIDDING_STEP)
    _post(client, world, [x for x in EVALUATION_STEP])
    h = auth(world["tokens"]["bidder"])
    for eid in ("VIEW", "SCORE", "DRAW"):
        assert client.get(f"/v1/events/{eid}/receipt", headers=h).status_code == 404
    assert client.get("/v1/events/DEC-1/receipt", headers=h).status_code == 200


def test_a_token_without_scope_is_told_so(client: TestClient) -> None:
    from sqlalchemy import update

    from ledger.store.schema import api_tokens

    store = client.app.state.tokens  # type: ignore[attr-defined]
    token, info = store.create("supervisor", scope=Scope(projects=("X",)))
    with client.app.state.services.db.write() as conn:  # type: ignore[attr-defined]
        conn.execute(update(api_tokens).where(api_tokens.c.token_id == info.token_id)
                     .values(scope=None))  # a token from before scopes existed
    store._cache.clear()
    r = client.get(f"/v1/projects/{PROJECT}/timeline", headers=auth(token))
    assert r.status_code == 403 and "--project" in r.json()["detail"]
