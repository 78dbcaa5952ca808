"""运行状态: the readiness list is ``/readyz``'s own answer — every check it runs (store,
chain, disk, merge delay, anchoring, background loops), each named, judged and explained in
the page's language, with the check's own detail beside it."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from witness_api.portal.i18n import catalogue
from witness_api.portal.pages_ops import REASONS

CHECKS = ("store", "chain", "disk", "merge_delay", "anchoring", "background")
_ITEM = re.compile(r'<li data-ok="(true|false)" data-check="(\w+)">(.*?)</li>', re.DOTALL)


def readiness_items(page: str) -> dict[str, tuple[bool, str]]:
    """Check name → (ok, the item's text) of the page's readiness list, in page order."""
    block = re.search(r'<dd data-field="readiness">(.*?)</dd>', page, re.DOTALL)
    assert block is not None, "no readiness list"
    return {name: (ok == "true", html.unescape(re.sub(r"<[^>]+>", "", text)))
            for ok, name, text in _ITEM.findall(block.group(1))}


def test_the_ops_page_lists_every_check_readyz_runs(
        portal_client: TestClient, as_role: Callable[[str], TestClient]) -> None:
    admin = as_role("admin")
    items = readiness_items(admin.get("/ops").text)
    answered = portal_client.get("/readyz").json()["checks"]
    assert list(items) == list(answered)  # the same checks, in the same order
    assert set(CHECKS) <= set(items)
    zh = catalogue("zh")
    for name, (ok, text) in items.items():
        state = zh["ops.ok"] if ok else zh["ops.not_ok"]
        assert text.startswith(f"{zh[f'ops.check.{name}']}：{state}"), text
        assert zh["ops.detail"] in text
        if ok:
            assert zh[f"ops.what.{name}"] in text
    assert items["store"][0] and "log size" in items["store"][1]  # the check's own detail


def test_the_checks_in_english(as_role: Callable[[str], TestClient]) -> None:
    items = readiness_items(as_role("admin").get("/ops?lang=en").text)
    en = catalogue("en")
    for name, (ok, text) in items.items():
        state = en["ops.ok"] if ok else en["ops.not_ok"]
        assert text.startswith(f"{en[f'ops.check.{name}']}: {state}"), text
    assert "Disk space" in items["disk"][1] and "Maximum merge delay" in items["merge_delay"][1]


def test_a_failing_check_says_why(as_role: Callable[[str], TestClient]) -> None:
    admin = as_role("admin")
    state = admin.app.state  # type: ignore[attr-defined]
    # The service reads its thresholds with the rest of its settings, at start-up. Swapped by
    # hand: monkeypatch would restore a State's attribute by deleting it (not in __dict__).
    kept = state.settings
    state.settings = kept.model_copy(update={"min_free_mb": 10 ** 12})  # beyond any disk
    try:
        ok, text = readiness_items(admin.get("/ops").text)["disk"]
        assert not ok and catalogue("zh")["ops.reason.disk_low"] in text
        assert "disk nearly full" in text  # the detail as /readyz and witness status say it
        ok, text = readiness_items(admin.get("/ops?lang=en").text)["disk"]
        assert not ok and catalogue("en")["ops.reason.disk_low"] in text
    finally:
        state.settings = kept


def test_every_reason_and_check_reads_in_both_languages() -> None:
    for lang in ("zh", "en"):
        messages = catalogue(lang)
        keys = [f"ops.reason.{key}" for _, key in REASONS] + ["ops.reason.failed"]
        keys += [f"ops.{part}.{name}" for name in CHECKS for part in ("check", "what")]
        assert [k for k in keys if not messages.get(k)] == [], lang
