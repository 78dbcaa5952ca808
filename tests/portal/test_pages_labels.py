"""One label per event type and per field name, and two catalogues holding the same
messages: every key a template or page module names exists in both languages."""

from __future__ import annotations

import ast
import re
import typing
from collections import Counter
from pathlib import Path

from pydantic import BaseModel

from ledger.events import labels
from ledger.events.catalogue import EVENT_TYPES
from ledger.events.envelope import Actor, EventIn
from ledger.events.labels import (
    ACTOR_ROLE_LABELS,
    EVENT_LABELS,
    FIELD_LABELS,
    event_label,
    field_label,
)
from witness_api.portal.i18n import catalogue
from witness_api.portal.pages_public import CHECK_IDS

PORTAL = Path(__file__).resolve().parents[2] / "witness_api" / "portal"
_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")


def test_every_event_type_has_a_chinese_and_an_english_label() -> None:
    assert set(EVENT_LABELS) == set(EVENT_TYPES)
    for zh, en in EVENT_LABELS.values():
        assert zh and en and re.search(r"[\u4e00-\u9fff]", zh) and en.isascii()
    assert event_label("BID_SUBMITTED") == "投标文件递交"
    assert event_label("BID_SUBMITTED", "en") == "Bid submitted"
    assert event_label("NO_SUCH_TYPE") == "NO_SUCH_TYPE"


def test_every_actor_role_has_a_label() -> None:
    roles = set(Actor.model_fields["role"].annotation.__args__)  # type: ignore[union-attr]
    assert set(ACTOR_ROLE_LABELS) == roles


def _models() -> list[type[BaseModel]]:
    """The envelope (with its actor and context) and every payload model of the catalogue,
    nested models included, each once."""
    found: list[type[BaseModel]] = []
    todo: list[object] = [EventIn, *EVENT_TYPES.values()]
    while todo:
        item = todo.pop()
        if isinstance(item, type) and issubclass(item, BaseModel):
            if item in found:
                continue
            found.append(item)
            todo += [f.annotation for f in item.model_fields.values()]
        else:
            todo += typing.get_args(item)
    return found


def test_every_field_has_one_chinese_and_one_english_label() -> None:
    models = _models()
    names = {name for model in models for name in model.model_fields}
    names.add("received_at")  # the ledger's own envelope field, shown on every page
    assert sorted(names - set(FIELD_LABELS)) == []  # none missing
    assert sorted(set(FIELD_LABELS) - names) == []  # none unused
    for zh, en in FIELD_LABELS.values():
        assert zh and en and re.search(r"[\u4e00-\u9fff]", zh) and en.isascii(), (zh, en)
    # one entry per name: a repeated key in the table's literal would silently win
    table = next(node.value for node in ast.walk(ast.parse(Path(labels.__file__).read_text(
        encoding="utf-8"))) if isinstance(node, ast.AnnAssign)
        and getattr(node.target, "id", "") == "_FIELDS")
    assert isinstance(table, ast.Dict)
    keys = Counter(k.value for k in table.keys if isinstance(k, ast.Constant))
    assert [k for k, n in keys.items() if n > 1] == [] and sum(keys.values()) == len(names)
    for model in models:  # one event never shows two of its fields under one label
        for lang in (0, 1):
            shown = Counter(FIELD_LABELS[n][lang] for n in model.model_fields)
            assert [s for s, n in shown.items() if n > 1] == [], model.__name__


def test_a_field_label_in_each_language() -> None:
    assert field_label("bidder_org") == "投标人" and field_label("bidder_org", "en") == "Bidder"
    assert field_label("bid_deadline") == "投标截止时间"
    assert field_label("bid_deadline", "en") == "Bid deadline"
    assert field_label("overdue") == "overdue"  # not a field: shown as written


def test_both_catalogues_hold_the_same_keys() -> None:
    zh, en = catalogue("zh"), catalogue("en")
    assert set(zh) == set(en)
    for key in zh:  # the same placeholders, in whatever order each language needs
        assert sorted(re.findall(r"\{(\w+)\}", zh[key])) == \
            sorted(re.findall(r"\{(\w+)\}", en[key])), key


def test_every_key_the_pages_name_exists() -> None:
    zh = catalogue("zh")
    sources = [*PORTAL.glob("templates/*.html"),
               *(p for p in PORTAL.glob("*.py") if p.name != "i18n.py")]
    used = {key for path in sources for key in _KEY.findall(path.read_text(encoding="utf-8"))}
    dynamic = ("role.", "lead.status.", "severity.", "regime.", "project.closed_", "error.")
    missing = sorted(k for k in used if k not in zh and not k.endswith(dynamic))
    assert not missing
    for prefix, values in (("role.", ("bidder", "supervisor", "regulator", "admin")),
                           ("lead.status.", ("raised", "transferred", "acknowledged")),
                           ("severity.", ("violation", "warning", "info")),
                           ("regime.", ("TB", "GP")),
                           ("project.closed_", ("opening", "result")),
                           ("check.", CHECK_IDS),
                           ("js.verdict.", ("intact", "pending", "inconsistent")),
                           ("js.status.", ("ok", "failed", "skipped"))):
        assert all(prefix + v in zh for v in values), prefix
