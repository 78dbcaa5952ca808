"""A lead's findings as a regulator reads them: each computed value under its Chinese (or
English) label, never the rule's own name (``notice``, ``overdue``…), and every time in a
value in Beijing time as the rest of the portal prints times — on the lead page and on the
printed transfer letter."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.demo import generate_project
from ledger.home import init_home
from ledger.rules.context import RuleContext
from ledger.rules.service import RuleService
from ledger.rules.wording import VALUE_LABELS, is_instant
from ledger.settings import Settings
from tests.portal.conftest import World, fresh_client, login
from witness_api import create_app
from witness_api.config import ApiSettings
from witness_api.portal.formatting import beijing, computed_value, value_label
from witness_api.portal.i18n import Translator

SHORT_DEADLINE = "R-TB-24-DEADLINE"  # its values carry instants: the issue and the deadline
_ROW = re.compile(r'<tr><th scope="row" title="([^"]+)">([^<]*)</th><td>([^<]*)</td></tr>')
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass
class TimedLead:
    """A second small ledger: one project whose lead's values hold RFC 3339 instants."""

    client: TestClient
    lead_id: str
    computed: dict[str, Any]


def value_rows(page: str) -> list[tuple[str, str, str]]:
    """(name, label, value) of every computed-value row of a lead page or letter."""
    return [(name, html.unescape(label), html.unescape(value))
            for name, label, value in _ROW.findall(page)]


@pytest.fixture(scope="module")
def timed_lead(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TimedLead]:
    settings = Settings(home=tmp_path_factory.mktemp("portal-findings") / "home")
    init_home(settings)
    app = create_app(settings, api=ApiSettings(access_log=False, anchor=False))
    store = app.state.tokens
    ingest, _ = store.create("ingest")
    admin, _ = store.create("admin", label="ops-li")
    project = generate_project(4, "works", {"short_deadline"}, sections=1, bidders=3)
    with TestClient(app) as api:
        answer = api.post("/v1/events/batch", json={"events": project.events},
                          headers={"Authorization": f"Bearer {ingest}"})
        assert answer.status_code == 200, answer.text
        svc = RuleService(app.state.services.log, RuleContext.default())
        svc.run_project(project.project_id)
        lead = next(x for x in svc.leads(project.project_id) if SHORT_DEADLINE in x["rule_ids"])
        client = fresh_client(World(app=app, settings=settings))
        assert login(client, admin).status_code == 303
        finding = svc.lead(lead["lead_id"])["findings"][0]
        yield TimedLead(client, lead["lead_id"], dict(finding["computed"]))
        client.close()
    app.state.services.db.dispose()


def test_the_lead_page_names_each_value_in_chinese(
        portal_world: World, as_role: Callable[[str], TestClient]) -> None:
    lead = portal_world.leads["A"]
    regulator = as_role("regulator")
    for path in (f"/leads/{lead}", f"/leads/{lead}/letter"):
        rows = value_rows(regulator.get(path).text)
        names = [name for name, _, _ in rows]
        assert {"notice", "signed", "days", "due", "overdue", "missing"} <= set(names), path
        for name, label, _ in rows:
            assert label == VALUE_LABELS[name][0] and label != name, (path, name)
        shown = {name: value for name, _, value in rows}
        assert shown["overdue"] == "是" and shown["missing"] == "否"
    english = value_rows(regulator.get(f"/leads/{lead}?lang=en").text)
    assert ("overdue", "Overdue", "yes") in english and ("notice", "Award notice") in \
        {(n, label) for n, label, _ in english}


def test_times_in_values_are_shown_in_beijing_time(timed_lead: TimedLead) -> None:
    instants = {n: v for n, v in timed_lead.computed.items() if is_instant(v)}
    assert {"deadline", "issued"} <= set(instants)  # the finding records instants
    for path in (f"/leads/{timed_lead.lead_id}", f"/leads/{timed_lead.lead_id}/letter"):
        page = timed_lead.client.get(path)
        assert page.status_code == 200, page.text
        shown = {name: value for name, _, value in value_rows(page.text)}
        for name, value in instants.items():
            assert shown[name] == f"{beijing(value)} （北京时间）", (path, name)
        assert not [v for v in shown.values() if _ISO.search(v)], path
    english = timed_lead.client.get(f"/leads/{timed_lead.lead_id}?lang=en").text
    shown = {name: value for name, _, value in value_rows(english)}
    assert shown["deadline"] == f"{beijing(instants['deadline'])} (Beijing time)"


def test_values_print_by_what_they_are() -> None:
    zh, en = Translator("zh"), Translator("en")
    instant = "2025-12-19T01:37:12.037000Z"
    assert computed_value("received_at", instant, zh) == "2025-12-19 09:37:12 （北京时间）"
    assert computed_value("issued", "2025-12-19T09:37:12.037000+08:00", zh) == \
        "2025-12-19 09:37:12 （北京时间）"
    assert computed_value("due", "2026-03-11", zh) == "2026-03-11"  # a day stays a day
    assert computed_value("step", "BID_SUBMITTED", zh) == "投标文件递交"
    assert computed_value("signed", None, zh) == "—"
    assert computed_value("seen_outside", [], zh) == "无"
    assert computed_value("identifiers", {"mac": "e854d7526e10"}, zh) == "MAC地址：e854d7526e10"
    assert computed_value("problems", {"days": 3, "minimum": 15}, en) == "Days: 3; Minimum: 15"
    assert value_label("overdue", "zh") == "已逾期" and value_label("bidder_org", "en") == "Bidder"
    assert value_label("bid_deadline", "zh") == "投标截止时间"  # an event field's label
    assert value_label("no_such_value", "zh") == "no_such_value"  # never guessed


def test_an_instant_in_a_payload_field_is_beijing_time(
        portal_world: World, as_role: Callable[[str], TestClient]) -> None:
    page = as_role("supervisor").get(f"/projects/{portal_world.projects['A']}").text
    fields = re.findall(r'<dl class="key-fields">(.*?)</dl>', page, re.DOTALL)
    assert fields and not [f for f in fields if _ISO.search(f)]
    assert "（北京时间）" in "".join(fields)

