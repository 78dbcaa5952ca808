"""axe-core on every page in both languages, logged in as a role the page is for; zero serious
or critical violations. Each page is saved as test-output/portal/<page>-<lang>.png on the way.

Besides the pages of the table: the receipt check showing a verdict, a 403 and a 404 page.
Contexts bypass the page's CSP only so that axe can be injected.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scripts.portal_shots import ENGLISH_ONLY, PAGES, shoot, with_lang
from tests.portal.browser.helpers import describe, serious_violations, wait_verdict
from tests.portal.browser.server import Portal
from tests.portal.browser.test_access import fill

LANGS = ("zh", "en")
EXPECTED_LANG = {"zh": "zh-CN", "en": "en"}
#: extra page states: name → (visitor, path template)
STATES = {"forbidden": ("bidder", "/ops"), "notfound": ("supervisor", "/projects/LN-NONE-0000")}


def open_as(visitor: str, page_as: Callable[..., Any], new_page: Callable[..., Any]) -> Any:
    if visitor == "anonymous":
        return new_page(bypass_csp=True)
    return page_as(visitor, bypass_csp=True)


def audit(tab: Any, name: str, lang: str, shots_dir: Path) -> None:
    shoot(tab, shots_dir / f"{name}-{lang}.png")
    assert tab.get_attribute("html", "lang") == EXPECTED_LANG[lang]
    found = serious_violations(tab)
    assert not found, f"{name} ({lang}): {describe(found)}"


#: (page, language) cases: the API docs have one language only
CASES = [(spec, lang) for spec in PAGES for lang in LANGS
         if spec.name not in ENGLISH_ONLY or lang == "en"]


@pytest.mark.parametrize(("spec", "lang"), CASES, ids=[f"{s.name}-{lang}" for s, lang in CASES])
def test_page_is_accessible(spec: Any, lang: str, portal: Portal, page_as: Callable[..., Any],
                            new_page: Callable[..., Any], shots_dir: Path) -> None:
    tab = open_as(spec.roles[0] if spec.roles else "anonymous", page_as, new_page)
    response = tab.goto(with_lang(fill(spec.path, portal), lang))
    assert response is not None and response.status == 200
    if spec.name in ("docs", "redoc"):
        tab.wait_for_load_state("networkidle")
    audit(tab, spec.name, lang, shots_dir)


@pytest.mark.parametrize("lang", LANGS)
def test_receipt_check_result_is_accessible(lang: str, portal: Portal,
                                            new_page: Callable[..., Any],
                                            shots_dir: Path) -> None:
    tab = new_page(bypass_csp=True)
    tab.goto(with_lang("/verify", lang))
    tab.set_input_files("#receipt-file", str(portal.files["receipt_intact"]))
    tab.set_input_files("#bid-file", str(portal.files["bid_small"]))
    tab.click("#verify-button")
    assert wait_verdict(tab) == "intact"
    audit(tab, "verify-result", lang, shots_dir)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("state", sorted(STATES))
def test_error_page_is_accessible(state: str, lang: str, page_as: Callable[..., Any],
                                  new_page: Callable[..., Any], shots_dir: Path) -> None:
    visitor, path = STATES[state]
    tab = open_as(visitor, page_as, new_page)
    response = tab.goto(with_lang(path, lang))
    assert response is not None and response.status in (403, 404)
    audit(tab, state, lang, shots_dir)
