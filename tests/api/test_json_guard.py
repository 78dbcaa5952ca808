"""The JSON guard in process: deep or repeated-name bodies are 400 before authentication;
everything else reaches the app byte for byte."""

from __future__ import annotations

import asyncio
import email.message
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.events import example_event
from tests.api.conftest import auth
from witness_api.json_guard import JsonGuard, is_json_media_type
from witness_api.limits import Message, Receive, Scope, Send

JSON = {"Content-Type": "application/json"}


def post(client: TestClient, path: str, body: bytes, headers: dict[str, str] | None = None,
         ) -> Any:
    return client.post(path, content=body, headers=JSON if headers is None else headers)


def assert_problem(r: Any, slug: str) -> dict[str, Any]:
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = r.json()
    assert body["type"] == f"urn:witness:problem:{slug}"
    return body


@pytest.mark.parametrize("path", ["/v1/events", "/v1/events/batch", "/v1/verify/receipt",
                                  "/v1/verify/bundle", "/v1/leads/L-1/transfer",
                                  "/v1/checkpoints", "/no/such/route"])
@pytest.mark.parametrize("body", [b"[" * 50_000, b'{"a":' * 12_000, b"[" * 65 + b"]" * 65])
def test_deep_bodies_are_400_without_a_token(client: TestClient, path: str,
                                             body: bytes) -> None:
    problem = assert_problem(post(client, path, body), "json-too-deep")
    assert problem["errors"][0]["msg"] == "nested deeper than 64 levels"
    assert problem["errors"][0]["loc"].count(".") == 63


def test_a_repeated_name_in_an_event_is_400_naming_it(client: TestClient) -> None:
    text = json.dumps(example_event("BID_SUBMITTED"))
    text = text.replace('"payload": {', '"payload": {"file_hash": "0", ', 1)
    problem = assert_problem(post(client, "/v1/events", text.encode()), "duplicate-key")
    assert problem["errors"] == [{"loc": "payload.file_hash", "key": "file_hash",
                                  "msg": "duplicate key 'file_hash'"}]
    assert "duplicate key 'file_hash' at payload.file_hash" in problem["detail"]


def test_a_repeated_name_in_a_batch_names_the_item(client: TestClient,
                                                   tokens: dict[str, str]) -> None:
    events = [example_event("BID_SUBMITTED") for _ in range(5)]
    text = json.dumps({"events": events})
    # the fourth event's payload gets its first name twice
    parts = text.split('"payload": {')
    parts[4] = '"bidder_org": "x", ' + parts[4]
    body = '"payload": {'.join(parts).encode()
    problem = assert_problem(post(client, "/v1/events/batch", body,
                                  {**JSON, **auth(tokens["ingest"])}), "duplicate-key")
    assert problem["errors"][0]["loc"] == "events.3.payload.bidder_org"


@pytest.mark.parametrize("body", [b'{"a": 1', '{"a": 1}'.encode("utf-16"), b"[NaN]",
                                  b'{"a": 1}\x00'])
def test_bodies_that_are_not_utf8_json_are_400(client: TestClient, body: bytes) -> None:
    problem = assert_problem(post(client, "/v1/events", body), "malformed-json")
    assert problem["detail"] == "the request body is not valid JSON"


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8",
                                          "Application/JSON", "application/problem+json",
                                          "application/merge-patch+json", None])
def test_json_types_and_untyped_bodies_are_checked(client: TestClient,
                                                    content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}  # httpx adds none
    assert_problem(post(client, "/v1/events", b"[" * 1000, headers), "json-too-deep")


@pytest.mark.parametrize("content_type", ["text/plain", "application/octet-stream",
                                          "application/json-seq", "multipart/form-data"])
def test_other_types_reach_the_app_unparsed(client: TestClient, content_type: str) -> None:
    r = post(client, "/v1/events", b"[" * 50_000, {"Content-Type": content_type})
    assert r.status_code in (401, 415, 422), r.text  # the app's own answer, not a crash


def test_the_size_limit_comes_first(client: TestClient) -> None:
    r = post(client, "/v1/events", b"[" * 100_000)  # the fixture allows 64 KiB
    assert r.status_code == 413 and r.json()["type"].endswith("body-too-large")


def test_valid_events_pass_unchanged_also_when_chunked(client: TestClient,
                                                       tokens: dict[str, str]) -> None:
    event = example_event("BID_SUBMITTED")
    r = client.post("/v1/events", json=event, headers=auth(tokens["ingest"]))
    assert r.status_code == 201, r.text
    event["event_id"] = "EV-CHUNKED-1"
    data = json.dumps(event).encode()

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(data), 100):
            yield data[i:i + 100]

    r = client.post("/v1/events", content=chunks(), headers={**JSON, **auth(tokens["ingest"])})
    assert r.status_code == 201, r.text
    assert r.json()["event_id"] == "EV-CHUNKED-1"


# -- the middleware on its own --------------------------------------------------------------


def run(guard: JsonGuard, headers: list[tuple[bytes, bytes]],
        messages: list[Message]) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    asyncio.run(guard(scope, receive, send))
    return sent


def echo_app() -> tuple[JsonGuard, list[Message]]:
    seen: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(await receive())
        seen.append(await receive())
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return JsonGuard(app), seen


def test_the_app_receives_the_body_in_one_message_then_the_server_s() -> None:
    guard, seen = echo_app()
    parts = [b'{"a": [1, ', b'2], "b": "\\u00e9"', b"}"]
    messages: list[Message] = [{"type": "http.request", "body": p, "more_body": True}
                               for p in parts]
    messages[-1]["more_body"] = False
    sent = run(guard, [(b"transfer-encoding", b"chunked")], messages)
    assert sent[0]["status"] == 204
    assert seen == [{"type": "http.request", "body": b"".join(parts), "more_body": False},
                    {"type": "http.disconnect"}]


def test_a_client_gone_mid_body_is_passed_on() -> None:
    guard, seen = echo_app()
    run(guard, [(b"content-length", b"100")],
        [{"type": "http.request", "body": b"[" * 10, "more_body": True},
         {"type": "http.disconnect"}])
    assert seen[0] == {"type": "http.disconnect"}


def test_requests_without_a_body_are_not_read() -> None:
    guard, seen = echo_app()
    run(guard, [(b"content-length", b"0")], [{"type": "http.request", "body": b""}])
    assert seen[0] == {"type": "http.request", "body": b""}  # the server's own message


def test_a_refusal_is_sent_without_calling_the_app() -> None:
    guard, seen = echo_app()
    sent = run(guard, [(b"content-length", b"13")],
               [{"type": "http.request", "body": b'{"a":1,"a":2}'}])
    assert seen == [] and sent[0]["status"] == 400
    assert json.loads(sent[1]["body"])["errors"][0]["key"] == "a"


def _fastapi_rule(value: str) -> bool:
    message = email.message.Message()
    message["content-type"] = value
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


MEDIA = st.lists(st.sampled_from(["application", "Application", "text", "/", "json", "JSON",
                                  "+json", "ld+json", ";", " ", "\t", "charset=utf-8", "x",
                                  "\u0130", "\u212a"]), max_size=7).map("".join)


@settings(max_examples=500, deadline=None)
@given(MEDIA)
def test_json_media_types_are_those_fastapi_parses(value: str) -> None:
    assert is_json_media_type(value) == _fastapi_rule(value)
