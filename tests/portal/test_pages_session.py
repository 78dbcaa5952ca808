"""Login, the session cookie and CSRF: what the cookie carries and its flags, forged and
revoked sessions, logout, the login throttle, safe redirects, sessions shared by workers,
the API's read-only cookie path, and no token in any URL or log line."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from ledger.store.schema import events
from tests.portal.conftest import World, csrf_of, fresh_client, login
from witness_api import create_app
from witness_api.config import ApiSettings
from witness_api.portal import CertificateLogin
from witness_api.portal.session import SESSION_COOKIE, SESSION_SECONDS, Session, SessionKeys
from witness_api.portal.throttle import LoginThrottle


def _set_cookie(answer: object, name: str) -> SimpleCookie:
    headers = getattr(answer, "headers")  # noqa: B009 - httpx Headers
    for value in headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(value)
        if name in jar:
            return jar
    raise AssertionError(f"no Set-Cookie for {name}: {headers.get_list('set-cookie')}")


def test_the_session_cookie_is_signed_http_only_strict_and_expiring(
        portal_world: World, portal_client: TestClient) -> None:
    token = portal_world.tokens["regulator"]
    answer = login(portal_client, token)
    assert answer.status_code == 303 and answer.headers["location"] == "/leads"
    morsel = _set_cookie(answer, SESSION_COOKIE)[SESSION_COOKIE]
    assert morsel["httponly"] and morsel["samesite"] == "strict" and not morsel["secure"]
    assert 0 < int(morsel["max-age"]) <= SESSION_SECONDS and morsel["path"] == "/"
    value = morsel.value
    assert token not in value and token[4:20] not in value
    assert value.startswith(f"v1.{portal_world.token_ids['regulator']}.")


def test_the_cookie_is_secure_over_tls(portal_world: World) -> None:
    client = fresh_client(portal_world, base_url="https://testserver")
    answer = login(client, portal_world.tokens["admin"])
    assert _set_cookie(answer, SESSION_COOKIE)[SESSION_COOKIE]["secure"]


def test_a_session_never_outlives_its_token(portal_world: World,
                                            portal_client: TestClient) -> None:
    token, _ = portal_world.app.state.tokens.create("admin", expires_in=timedelta(hours=1))
    answer = login(portal_client, token)
    assert 3500 < int(_set_cookie(answer, SESSION_COOKIE)[SESSION_COOKIE]["max-age"]) <= 3600


def test_a_forged_or_tampered_cookie_is_no_session(portal_world: World,
                                                   portal_client: TestClient) -> None:
    login(portal_client, portal_world.tokens["admin"])
    good = portal_client.cookies[SESSION_COOKIE]
    assert portal_client.get("/ops").status_code == 200
    keys = SessionKeys(b"k" * 32)  # a key that is not the portal's
    forged = keys.seal(Session(portal_world.token_ids["admin"], int(time.time()) + 60,
                               "A" * 22))
    for value in (good[:-1] + ("A" if good[-1] != "A" else "B"), forged,
                  good.replace(portal_world.token_ids["admin"], portal_world.token_ids["bidder"]),
                  portal_world.tokens["admin"]):
        portal_client.cookies.set(SESSION_COOKIE, value)
        assert portal_client.get("/ops").status_code == 303, value


def test_revoking_the_token_ends_its_sessions_at_once(portal_world: World,
                                                      portal_client: TestClient) -> None:
    store = portal_world.app.state.tokens
    token, info = store.create("bidder", bidder_id=portal_world.bidders["A"])
    login(portal_client, token)
    bid = portal_world.bids["A"]
    assert portal_client.get("/me").status_code == 200
    assert portal_client.get(f"/v1/receipts/{bid}").status_code == 200
    store.revoke(info.token_id)
    assert portal_client.get("/me").status_code == 303
    assert portal_client.get(f"/v1/receipts/{bid}").status_code == 401


def test_logout_needs_the_csrf_token_and_ends_the_session(
        portal_world: World, portal_client: TestClient) -> None:
    login(portal_client, portal_world.tokens["supervisor"])
    page = portal_client.get("/projects")
    assert portal_client.post("/logout", data={"csrf": "wrong"}).status_code == 403
    assert portal_client.get("/projects").status_code == 200
    answer = portal_client.post("/logout", data={"csrf": csrf_of(page.text)})
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert 'witness_session=""' in answer.headers["set-cookie"] or \
        "Max-Age=0" in answer.headers["set-cookie"]
    assert portal_client.get("/projects").status_code == 303


def test_the_login_form_is_csrf_protected(portal_world: World, portal_client: TestClient) -> None:
    token = portal_world.tokens["admin"]
    form = portal_client.get("/login")
    no_csrf = portal_client.post("/login", data={"token": token})
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.text
    stranger = fresh_client(portal_world)  # the form's token without the form's cookie
    assert stranger.post("/login", data={"token": token, "csrf": csrf_of(form.text)}
                         ).status_code == 403
    assert SESSION_COOKIE not in stranger.cookies


def test_acknowledging_needs_the_sessions_csrf_token(
        portal_world: World, as_role: Callable[[str], TestClient]) -> None:
    lead = portal_world.leads["C"]
    regulator, other = as_role("regulator"), as_role("regulator")
    page = regulator.get(f"/leads/{lead}")
    assert 'id="ack-form"' in page.text
    for client, csrf in ((regulator, ""), (regulator, "x" * 43), (other, csrf_of(page.text))):
        refused = client.post(f"/leads/{lead}/ack", data={"csrf": csrf})
        assert refused.status_code == 403, csrf
    assert 'id="ack-form"' in regulator.get(f"/leads/{lead}").text  # nothing happened
    done = regulator.post(f"/leads/{lead}/ack", data={"csrf": csrf_of(page.text)})
    assert done.status_code == 303 and done.headers["location"] == f"/leads/{lead}?done=ack"
    after = regulator.get(done.headers["location"]).text
    assert 'id="ack-done"' in after and 'data-status="acknowledged"' in after
    log = portal_world.app.state.services.log
    with log.db.read() as conn:
        types = [r[0] for r in conn.execute(events.select().with_only_columns(
            events.c.event_type).where(events.c.project_id == portal_world.projects["C"]))]
    assert types.count("LEAD_ACKNOWLEDGED") == 1


def test_bad_tokens_are_refused_and_throttled(portal_world: World, portal_client: TestClient,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(portal_world.app.state.portal, "throttle", LoginThrottle(max_failures=3))
    assert login(portal_client, portal_world.tokens["ingest"]).status_code == 403
    for _ in range(3):
        answer = login(portal_client, "wit_" + "x" * 43)
        assert answer.status_code == 401 and 'id="login-error"' in answer.text
    assert login(portal_client, portal_world.tokens["admin"]).status_code == 429


@pytest.mark.parametrize("target,where", [
    ("/projects?q=LN", "/projects?q=LN"), ("//evil.example/x", "/ops"),
    ("https://evil.example/", "/ops"), ("/\\evil.example", "/ops"), ("", "/ops")])
def test_login_goes_back_only_to_a_page_of_this_site(portal_world: World,
                                                     portal_client: TestClient,
                                                     target: str, where: str) -> None:
    answer = login(portal_client, portal_world.tokens["admin"], next_path=target)
    assert answer.status_code == 303 and answer.headers["location"] == where


def test_a_second_worker_accepts_the_first_workers_cookie_and_logs_no_token(
        portal_world: World) -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Keep()
    second = create_app(portal_world.settings, api=ApiSettings(access_log=True, anchor=False))
    access = logging.getLogger("witness_api.access")
    access.addHandler(handler)
    try:
        first = fresh_client(portal_world)
        token = portal_world.tokens["regulator"]
        login(first, token, next_path="/leads?rule=R-TB")
        other = TestClient(second, follow_redirects=False)
        other.cookies.set(SESSION_COOKIE, first.cookies[SESSION_COOKIE])
        assert other.get("/leads").status_code == 200
        assert login(TestClient(second, follow_redirects=False), token).status_code == 303
    finally:
        access.removeHandler(handler)
        second.state.services.db.dispose()
    lines = [f"{r.getMessage()} {r.__dict__}" for r in records]
    assert any("'route': '/login'" in line and "'method': 'POST'" in line for line in lines)
    assert any("'role': 'regulator'" in line for line in lines), lines
    assert not [line for line in lines if token in line or token[4:24] in line]


def test_the_api_reads_with_the_session_but_never_writes(
        portal_world: World, as_role: Callable[[str], TestClient]) -> None:
    bidder, admin = as_role("bidder"), as_role("admin")
    assert bidder.get(f"/v1/receipts/{portal_world.bids['A']}").status_code == 200
    assert bidder.get(f"/v1/receipts/{portal_world.bids['A2']}").status_code == 404
    assert admin.get(f"/v1/projects/{portal_world.projects['B']}/timeline").status_code == 200
    assert admin.post("/v1/checkpoints").status_code == 401
    assert admin.post(f"/v1/leads/{portal_world.leads['A']}/acknowledge").status_code == 401


def test_no_token_in_any_url(portal_world: World, portal_client: TestClient) -> None:
    form = portal_client.get("/login").text
    assert 'method="post"' in form and 'type="password"' in form
    assert portal_client.get("/login?token=wit_x").status_code == 200  # ignored, never used
    answer = login(portal_client, portal_world.tokens["admin"], next_path="/ops")
    assert portal_world.tokens["admin"] not in answer.headers["location"]
    for path in ("/", "/ops", "/projects", "/leads"):
        assert portal_world.tokens["admin"] not in portal_client.get(path).text


class HeaderCertificate(CertificateLogin):
    """A stand-in for a deployment's certificate login: the "terminator" puts a subject in a
    header, and one subject maps to the regulator's token."""

    def __init__(self, token_id: str) -> None:
        self.token_id = token_id

    def certificate_of(self, request: Request) -> str | None:
        return request.headers.get("x-test-client-cert")

    def token_for(self, certificate_pem: str) -> str | None:
        return self.token_id if certificate_pem == "CN=regulator-li" else None


def test_the_certificate_login_extension_point(portal_world: World, portal_client: TestClient,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    form = portal_client.get("/login")
    assert 'id="certificate-form"' not in form.text
    csrf = csrf_of(form.text)
    assert portal_client.post("/login/certificate", data={"csrf": csrf}).status_code == 404
    plugin = HeaderCertificate(portal_world.token_ids["regulator"])
    monkeypatch.setattr(portal_world.app.state.portal, "certificate_login", plugin)
    assert 'action="/login/certificate"' in portal_client.get("/login").text
    refused = portal_client.post("/login/certificate", data={"csrf": csrf},
                                 headers={"x-test-client-cert": "CN=someone else"})
    assert refused.status_code == 401
    assert portal_client.post("/login/certificate", data={"csrf": "x"},
                              headers={"x-test-client-cert": "CN=regulator-li"}).status_code == 403
    answer = portal_client.post("/login/certificate", data={"csrf": csrf},
                                headers={"x-test-client-cert": "CN=regulator-li"})
    assert answer.status_code == 303 and answer.headers["location"] == "/leads"
    assert portal_client.get("/leads").status_code == 200
