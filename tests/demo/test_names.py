"""The demo is set in Liaoning: its project ids, regions, departments and unified social
credit codes (GB 32100-2015 check character, GB 11714 organisation-code check) are real in
shape, so that a platform's validators would accept them."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from ledger.demo import generate_project
from ledger.demo.names import (
    CITIES,
    CITY_CODES,
    CREDIT_ALPHABET,
    city_of,
    credit_check,
    credit_code,
    org_check,
)
from ledger.events import example_event

CODE = re.compile(r"^(91|11|12)21[0-9]{4}[0-9A-HJ-NPQRTUWXY]{10}$")


def valid(code: str) -> bool:
    return (len(code) == 18 and credit_check(code[:17]) == code[17]
            and org_check(code[8:16]) == code[16])


@pytest.mark.parametrize("published", ["91350100M000100Y43", "91110000802100433B"])
def test_check_characters_agree_with_published_codes(published: str) -> None:
    assert valid(published)


def test_a_single_changed_character_breaks_the_check() -> None:
    code = credit_code(random.Random(1), "沈阳")
    for pos in range(17):
        other = CREDIT_ALPHABET[(CREDIT_ALPHABET.index(code[pos]) + 1) % 31]
        assert credit_check(code[:pos] + other + code[pos + 1:17]) != code[17], pos


@pytest.mark.parametrize("city", CITIES)
def test_codes_are_registered_in_the_city(city: str) -> None:
    rng = random.Random(city)
    for prefix in ("91", "11", "12"):
        code = credit_code(rng, city, prefix)
        assert CODE.match(code) and valid(code), code
        assert code[:2] == prefix and code[2:6] == CITY_CODES[city]


def _orgs(ev: dict[str, Any]) -> set[str]:
    """Every credit code in an event's payload and actor."""
    text = repr(ev["payload"]) + repr(ev["actor"])
    return set(re.findall(r"'((?:91|11|12)[0-9A-Z]{16})'", text))


@pytest.mark.parametrize(("seed", "kind"), [(3, "works"), (4, "goods"), (5, "works")])
def test_generated_projects_are_set_in_liaoning(seed: int, kind: Any) -> None:
    p = generate_project(seed, kind)
    city = city_of(p.project_id)
    assert re.match(r"^LN-[A-Z]{2,3}-(GC|CG)-[0-9A-F]{8}$", p.project_id)
    reg = next(e["payload"] for e in p.events if e["type"] == "PROJECT_REGISTERED")
    assert reg["region_code"] == f"{CITY_CODES[city]}00" and reg["name"].startswith(city)
    dept = "住房和城乡建设局" if kind == "works" else "财政局"
    assert reg["supervisory_dept"] == f"{city}市{dept}"
    orgs = set().union(*(_orgs(e) for e in p.events))
    assert len(orgs) > 5 and all(valid(o) and o[2:4] == "21" for o in orgs), orgs
    text = repr(p.events) + repr(p.reference)
    # ZJ-GC stays: the 造价 (cost engineering) specialty code, not a province
    assert not re.search(r"浙江|杭州|宁波|温州|\.zj|-zj|ZJ-(?!GC')", text)


def test_the_examples_are_set_in_shenyang() -> None:
    reg = example_event("PROJECT_REGISTERED")
    assert reg["project_id"].startswith("LN-SY-") and reg["payload"]["region_code"] == "210112"
    for org in _orgs(reg) | _orgs(example_event("BID_SUBMITTED")):
        assert valid(org) and org[2:4] == "21", org
