"""Ingestion over HTTP: idempotency, batches with per-item results, limits and bad input."""

from __future__ import annotations

import copy

import pytest
from fastapi.testclient import TestClient

from ledger.events import example_event, example_types
from ledger.ingest import MAX_BATCH
from tests.api.conftest import auth


@pytest.fixture
def h(tokens):
    return auth(tokens["ingest"])


def test_same_body_same_receipt_then_409_for_another_body(client, h):
    ev = example_event("BID_SUBMITTED")
    first = client.post("/v1/events", json=ev, headers=h)
    again = client.post("/v1/events", json=ev, headers=h)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["receipt"] == again.json()["receipt"]
    assert again.json()["status"] == "duplicate"
    changed = copy.deepcopy(ev)
    changed["payload"]["file_size"] = 1
    r = client.post("/v1/events", json=changed, headers=h)
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["index"] == first.json()["index"]


def test_batch_stores_good_items_and_reports_bad_ones_with_paths(client, h):
    good = [example_event(t) for t in example_types()[:4]]
    bad_field = example_event("BID_SUBMITTED")
    del bad_field["payload"]["file_hash"]
    bad_field["event_id"] = "EV-BAD"
    items = [good[0], bad_field, good[1], {"type": "NO_SUCH_TYPE"}, good[2], good[3], good[0]]
    r = client.post("/v1/events/batch", json={"events": items}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    statuses = [i["status"] for i in body["results"]]
    assert statuses == ["created", "rejected", "created", "rejected", "created", "created",
                        "duplicate"]
    assert (body["created"], body["duplicates"], body["rejected"]) == (4, 1, 2)
    locs = [e["loc"] for e in body["results"][1]["problem"]["errors"]]
    assert "payload.file_hash" in locs
    assert body["results"][3]["problem"]["errors"][0]["loc"] == "type"
    indexes = [i["index"] for i in body["results"] if i["status"] == "created"]
    assert indexes == [0, 1, 2, 3]  # gap-free, nothing written for the bad items
    assert client.get("/v1/log").json()["size"] == 4


def test_batch_limit(client, h):
    ev = example_event("DOC_ISSUED")
    r = client.post("/v1/events/batch", json={"events": [ev] * (MAX_BATCH + 1)}, headers=h)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == "events"


def test_schema_error_has_field_path(client, h):
    ev = example_event("BID_SUBMITTED")
    ev["payload"]["file_size"] = "big"
    r = client.post("/v1/events", json=ev, headers=h)
    assert r.status_code == 422
    assert r.json()["type"].endswith(":invalid-event")
    assert "payload.file_size" in [e["loc"] for e in r.json()["errors"]]


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b'{"a": 1'])
def test_malformed_json_is_400(client, h, body):
    r = client.post("/v1/events", content=body,
                    headers={**h, "content-type": "application/json"})
    assert r.status_code in (400, 422), r.text
    if body:
        assert r.status_code == 400


@pytest.mark.parametrize("body", [[], "text", 3, None, [{"type": "X"}]])
def test_non_object_bodies_are_422(client, h, body):
    r = client.post("/v1/events", json=body, headers=h)
    assert r.status_code == 422, r.text


def test_unknown_type_rejected(client, h):
    ev = example_event("DOC_ISSUED")
    ev["type"] = "DOC_BURNED"
    r = client.post("/v1/events", json=ev, headers=h)
    assert r.status_code == 422
    assert r.json()["errors"] == [{"loc": "type", "msg": "unknown event type 'DOC_BURNED'"}]


def test_body_too_large_is_413(client, h):
    big = b'{"x": "' + b"a" * (70 * 1024) + b'"}'
    r = client.post("/v1/events", content=big, headers={**h, "content-type": "application/json"})
    assert r.status_code == 413
    assert r.json()["type"].endswith(":body-too-large")


def test_chunked_body_too_large_is_413(client, h):
    def chunks():
        yield b'{"x": "'
        for _ in range(80):
            yield b"a" * 1024
        yield b'"}'

    r = client.post("/v1/events", content=chunks(),
                    headers={**h, "content-type": "application/json"})
    assert r.status_code == 413


def test_clock_skew_flagged(client, h, settings):
    ev = example_event("DOC_ISSUED")
    ev["occurred_at"] = "2099-01-01T00:00:00+08:00"
    r = client.post("/v1/events", json=ev, headers=h)
    assert r.status_code == 201
    assert r.json()["warnings"] and "ahead of the ledger clock" in r.json()["warnings"][0]


def test_receipt_roundtrip_and_upgrade(client, h, tokens):
    ev = example_event("BID_SUBMITTED")
    posted = client.post("/v1/events", json=ev, headers=h).json()
    # a sealed bid before the opening: read back by the token that posted it and by its
    # bidder; the supervisor gets the same 404 as for a missing event
    assert client.get("/v1/receipts/0", headers=h).json()["anchored"] is None
    assert client.get("/v1/receipts/0", headers=auth(tokens["supervisor"])).status_code == 404
    client.post("/v1/checkpoints", headers=auth(tokens["admin"]))
    bidder = auth(tokens["bidder"])
    upgraded = client.get(f"/v1/events/{ev['event_id']}/receipt", headers=bidder).json()
    assert upgraded["anchored"]["checkpoint"].splitlines()[1] == "1"
    assert upgraded["promise"] == posted["receipt"]["promise"]
    report = client.post("/v1/verify/receipt", json=upgraded).json()
    assert report["ok"] is True, report


def test_checkpoint_as_note_and_json(client, tokens, h):
    client.post("/v1/events", json=example_event("DOC_ISSUED"), headers=h)
    client.post("/v1/checkpoints", headers=auth(tokens["admin"]))
    note = client.get("/v1/checkpoints/latest", headers={"accept": "text/plain"})
    assert note.headers["content-type"].startswith("text/plain")
    js = client.get("/v1/checkpoints/1").json()
    assert js["note"] == note.text and js["size"] == 1
    assert client.get("/v1/checkpoints/7").status_code == 404
    key = client.get("/v1/log/key").text.strip()
    assert key == client.get("/v1/log").json()["vkey"]


def test_project_audit_and_bundle(client, tokens, seeded):
    sup = auth(tokens["supervisor"])
    tl = client.get(f"/v1/projects/{seeded['project']}/timeline", headers=sup).json()
    # the bid is sealed until the opening: not shown, not counted; its section is named
    assert [e["type"] for e in tl["events"]] == ["PROJECT_REGISTERED", "ANNOUNCEMENT_PUBLISHED"]
    assert {"section_id": None, "until": "opening"} in tl["sealed"]
    bundle = client.get(f"/v1/projects/{seeded['project']}/bundle", headers=sup).json()
    assert bundle["format"] == "witness-bundle/v1"
    audit = client.get(f"/v1/projects/{seeded['project']}/audit", headers=sup).json()
    assert audit["ok"] is True, audit
    assert client.post("/v1/verify/bundle", json=bundle).json()["ok"] is True
    assert client.get("/v1/projects/NOPE/timeline", headers=sup).status_code == 404


def test_proof_requests_out_of_range_are_4xx(client, tokens, seeded):
    sup = auth(tokens["supervisor"])
    for path in ("/v1/proofs/inclusion?index=0&size=99", "/v1/proofs/consistency?from=3&to=1",
                 "/v1/proofs/consistency?from=1&to=99", "/v1/proofs/inclusion?index=5&size=3"):
        r = client.get(path, headers=sup)
        assert 400 <= r.status_code < 500, (path, r.text)


def test_metrics_count_appends(client, h):
    client.post("/v1/events", json=example_event("DOC_ISSUED"), headers=h)
    text = client.get("/metrics").text
    assert 'witness_events_appended_total{outcome="created"} 1.0' in text
    assert "witness_append_seconds_bucket" in text
    assert "witness_log_size 1.0" in text


def test_no_secret_in_logs(settings, tokens, caplog):
    import logging

    from witness_api import create_app
    from witness_api.config import ApiSettings

    app = create_app(settings, api=ApiSettings(access_log=True))
    logging.getLogger("witness_api").propagate = True
    with caplog.at_level(logging.INFO, logger="witness_api"), TestClient(app) as c:
        c.get("/v1/receipts/0", headers=auth(tokens["admin"]))
    assert caplog.records
    assert all(tokens["admin"] not in r.getMessage() and tokens["admin"] not in str(r.__dict__)
               for r in caplog.records)
