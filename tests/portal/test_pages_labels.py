"""One label per event type, and two catalogues holding the same messages: every key a
template or page module names exists in both languages."""

from __future__ import annotations

import re
from pathlib import Path

from ledger.events.catalogue import EVENT_TYPES
from ledger.events.envelope import Actor
from ledger.events.labels import ACTOR_ROLE_LABELS, EVENT_LABELS, event_label
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
