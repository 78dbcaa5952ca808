"""docs/rules.md §6 collusion rules: planted defects on the lawful scenario and boundary cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ledger.rules.context import ReferenceData
from tests.rules.builders import ctx
from tests.rules.test_s06_s09_scenario import GP, E, find, hk, pos, run, scenario, t

Ev = list[dict[str, Any]]


def bid_of(ev: Ev, org: str, kind: str = "BID_SUBMITTED") -> dict[str, Any]:
    return find(ev, kind, where=lambda e: e["payload"]["bidder_org"] == org)


def copy_field(key: str, src: str = "B1", dst: str = "B3", kind: str = "BID_SUBMITTED"
               ) -> Callable[[Ev], tuple[Ev, dict]]:
    def plant(ev: Ev) -> tuple[Ev, dict]:
        a, b = bid_of(ev, src, kind), bid_of(ev, dst, kind)
        b["payload"][key] = a["payload"][key]
        return [a, b], {"bidders": sorted([src, dst])}
    return plant


def meta(key: str, value: str, orgs: tuple[str, ...] = ("B1", "B3")
         ) -> Callable[[Ev], tuple[Ev, dict]]:
    def plant(ev: Ev) -> tuple[Ev, dict]:
        evs = [bid_of(ev, o) for o in orgs]
        for e in evs:
            e["payload"]["file_meta"][key] = value
        return evs, {"fields": {key: value}}
    return plant


def set_prices(prices: list[str]) -> Callable[[Ev], tuple[Ev, dict]]:
    """The first bidders' decrypted prices (the evidence); the other bidders removed."""
    def plant(ev: Ev) -> tuple[Ev, dict]:
        decs = [e for e in ev if e["type"] == "BID_DECRYPTED"]
        for e in decs[len(prices):]:
            ev.remove(e)
            ev.remove(bid_of(ev, e["payload"]["bidder_org"]))
        for e, p in zip(decs, prices, strict=False):
            e["payload"]["bid_price"] = p
        return decs[:len(prices)], {"prices": sorted(prices, key=float)}
    return plant


def same_ip_bids(ev: Ev) -> tuple[Ev, dict]:
    a, b = bid_of(ev, "B1"), bid_of(ev, "B3")
    b["payload"]["ip"] = a["payload"]["ip"]
    dl = find(ev, "DOC_DOWNLOADED")  # B1's download carries the same IP
    return [dl, a, b], {"kinds": ["BID_SUBMITTED"], "cross_kind": False}


def same_ip_cross(ev: Ev) -> tuple[Ev, dict]:
    evs, _ = same_ip_bids(ev)
    d3 = find(ev, "DOC_DOWNLOADED", 2)
    d3["payload"]["ip"] = evs[0]["payload"]["ip"]
    return sorted([*evs, d3], key=lambda e: pos(ev, e)), {"cross_kind": True}


def same_ip_close(ev: Ev) -> tuple[Ev, dict]:
    evs, _ = same_ip_bids(ev)
    b = evs[2]
    b["at"] = b["payload"]["received_at"] = t("09:10", "2026-03-24")
    return evs, {"uploads_within_window": True}


def bond_same_account(ev: Ev) -> tuple[Ev, dict]:
    a, b = find(ev, "BOND_PAID", 0), find(ev, "BOND_PAID", 3)
    b["payload"]["payer_account_hash"] = a["payload"]["payer_account_hash"]
    return [a, b], {"bidders": ["B1", "B4"]}


def bond_paid_by_other(ev: Ev) -> tuple[Ev, dict]:
    b = find(ev, "BOND_PAID", 3)
    b["payload"]["payer_name"] = "B1 建设有限公司"
    return [b, bid_of(ev, "B1")], {"bidders": ["B4", "B1"]}


def guarantee_same_ip(ev: Ev) -> tuple[Ev, dict]:
    a, b = find(ev, "BOND_PAID", 0), find(ev, "BOND_PAID", 1)
    for x in (a, b):
        x["payload"].update(form="bank_guarantee", payer_account_hash=None)
        x["context"]["client_ip"] = hk(999)
    for x in (a, b):
        del x["payload"]["payer_account_hash"]
    return [a, b], {"guarantee_client_ip": hk(999)}


def timing(gap_s: int, created_min: int) -> Callable[[Ev], tuple[Ev, dict]]:
    def plant(ev: Ev) -> tuple[Ev, dict]:
        a, b = bid_of(ev, "B1"), bid_of(ev, "B2")
        at = f"2026-03-24T09:{gap_s // 60:02d}:{gap_s % 60:02d}+08:00"
        b["at"] = b["payload"]["received_at"] = at
        b["payload"]["file_meta"]["created_at"] = f"2026-03-20T08:{created_min:02d}:00+08:00"
        return [a, b], {"gap_seconds": float(gap_s), "files_created_close": True}
    return plant


def give_way_rank1(ev: Ev) -> tuple[Ev, dict]:
    w = find(ev, "WINNER_DETERMINED")
    w["payload"].update(winner_org="B2", rank_of_winner=2)
    return [find(ev, "EVAL_REPORT_SIGNED"), w], {"rank1": "B1", "winner": "B2"}


def give_way_dropouts(ev: Ev) -> tuple[Ev, dict]:
    extra = [E("DOC_DOWNLOADED", t(f"1{i}:00", "2026-03-04"), {
        "downloader_org": f"D{i}", "user_id": f"UD{i}", "doc_hash": "ab" * 32,
        "ip": hk(800 + i)}) for i in (1, 2)]
    ev[1:1] = extra
    return extra, {"dropped": ["D1", "D2"]}


def staff_shares_ip(ev: Ev) -> tuple[Ev, dict]:
    doc = find(ev, "DOC_ISSUED")
    doc["context"]["client_ip"] = bid_of(ev, "B3")["payload"]["ip"]
    return [doc, find(ev, "DOC_DOWNLOADED", 2), bid_of(ev, "B3")], {"identifier": "ip"}


def access_then_change(hours: int) -> Callable[[Ev], tuple[Ev, dict]]:
    def plant(ev: Ev) -> tuple[Ev, dict]:
        a = E("ACCESS_LOG", t("08:00", "2026-03-23"), {"resource": "downloader_list"},
              actor={"id": "agent-1", "role": "agent"})
        at = f"2026-03-2{3 + (8 + hours) // 24}T{(8 + hours) % 24:02d}:00:00+08:00"
        c = E("BID_MODIFIED", at, {"bidder_org": "B2"},
              actor={"id": "B2-user", "role": "bidder", "org_id": "B2"})
        i = ev.index(find(ev, "BID_SUBMITTED"))
        ev[i:i] = [a, c]
        return [a, c], {"hours_after_access": float(hours)}
    return plant


def base_price_access(ev: Ev) -> tuple[Ev, dict]:
    a = E("ACCESS_LOG", t("08:00", "2026-03-23"), {"resource": "base_price"},
          actor={"id": "B2-user", "role": "bidder", "org_id": "B2"})
    ev.insert(ev.index(find(ev, "OPENING_STARTED")), a)
    return [a], {"pattern": "base_price_access"}


REL = ReferenceData(relations=({"a": "B1", "b": "B2", "kind": "kinship"},))
DROP_REL = ReferenceData(relations=({"a": "D1", "b": "B4", "kind": "same_group"},))

# (case id, rule, severity, plant, extra rules the plant legitimately raises, options)
CASES: list[tuple[str, str, str, Callable[[Ev], tuple[Ev, dict]], set[str], dict]] = [
    ("machine_code", "R-CL-E-SAME-MACHINE", "violation", copy_field("tool_machine_code"),
     set(), {}),
    ("mac", "R-CL-E-SAME-MACHINE", "violation", copy_field("mac"), set(), {}),
    ("device_fp", "R-CL-E-SAME-MACHINE", "violation", copy_field("device_fp"), set(), {}),
    ("ca", "R-CL-E-SAME-CA", "violation", copy_field("ca_cert_serial"), set(), {}),
    ("file_hash", "R-CL-E-SAME-FILE-HASH", "violation", copy_field("file_hash"), set(), {}),
    ("author", "R-CL-E-SAME-METADATA", "warning", meta("author", "zhangsan"), set(), {}),
    ("licence", "R-CL-E-SAME-METADATA", "warning", meta("app_license_serial", "LIC-9"),
     set(), {}),
    ("company_agent", "R-CL-E-SAME-METADATA", "violation",
     meta("company", "测试招标代理有限公司", ("B2",)), set(), {}),
    ("ip_bids", "R-CL-E-SAME-IP", "warning", same_ip_bids, set(), {}),
    ("ip_cross", "R-CL-E-SAME-IP", "violation", same_ip_cross, set(), {}),
    ("ip_close", "R-CL-E-SAME-IP", "violation", same_ip_close, set(), {}),
    ("handler_phone", "R-TBR-40-2-SAME-HANDLER", "violation", copy_field("contact_phone"),
     set(), {}),
    ("handler_rep", "R-TBR-40-2-SAME-HANDLER", "violation", copy_field("authorized_rep_id"),
     set(), {}),
    ("pm", "R-TBR-40-3-SAME-PM", "violation", copy_field("project_manager_id"), set(), {}),
    ("price_arith", "R-TBR-40-4-PRICE-PATTERN", "warning",
     set_prices(["9000000.00", "9100000.00", "9200000.00", "9300000.00", "9401000.00"]),
     set(), {}),
    ("price_geo", "R-TBR-40-4-PRICE-PATTERN", "warning",
     set_prices(["8000000.00", "8400000.00", "8820000.00", "9261000.00", "9724050.00"]),
     set(), {}),
    ("price_grid", "R-TBR-40-4-PRICE-PATTERN", "warning",
     set_prices(["8820000.00", "9016000.00", "9114000.00", "9310000.00", "9555000.00"]),
     set(), {}),
    ("item_vector", "R-TBR-40-4-PRICE-PATTERN", "warning",
     copy_field("item_price_vector_hash", kind="BID_DECRYPTED"), set(), {}),
    ("bond_account", "R-TBR-40-6-SAME-BOND-ACCOUNT", "violation", bond_same_account, set(), {}),
    ("bond_by_bidder", "R-TBR-40-6-SAME-BOND-ACCOUNT", "violation", bond_paid_by_other,
     set(), {}),
    ("guarantee_ip", "R-TBR-40-6-SAME-BOND-ACCOUNT", "warning", guarantee_same_ip, set(), {}),
    ("timing", "R-CL-TIMING-CLUSTER", "warning", timing(30, 5), set(), {}),
    ("give_way_rank1", "R-CL-GIVE-WAY", "warning", give_way_rank1,
     {"R-TBR-39-GROUP-RELATED"}, {"reference": REL}),
    ("give_way_dropouts", "R-CL-GIVE-WAY", "warning", give_way_dropouts, set(),
     {"reference": DROP_REL}),
    ("staff_ip", "R-TBR-41-TENDERER-BIDDER", "violation", staff_shares_ip, set(), {}),
    ("access_change", "R-TBR-41-TENDERER-BIDDER", "warning", access_then_change(12), set(), {}),
    ("base_price", "R-TBR-41-TENDERER-BIDDER", "violation", base_price_access, set(), {}),
]


@pytest.mark.parametrize(("case", "rule_id", "severity", "plant", "also", "opts"), CASES,
                         ids=[c[0] for c in CASES])
def test_planted_defect_raises_exactly_its_rule(
        case: str, rule_id: str, severity: str, plant: Callable[[Ev], tuple[Ev, dict]],
        also: set[str], opts: dict) -> None:
    ev = scenario()
    evidence, computed = plant(ev)
    _, found = run(ev, **opts)
    assert {f.rule_id for f in found} == {rule_id} | also
    [f] = [f for f in found if f.rule_id == rule_id]
    assert f.severity == severity and f.lead is True and f.section_id == "S1"
    assert [i for i, _ in f.evidence] == sorted(pos(ev, e) for e in evidence)
    for key, value in computed.items():
        assert f.computed[key] == value, key
    assert f.message_zh and f.message_en


def only(rule_id: str, ev: Ev, **opts: Any) -> list[Any]:
    return run(ev, rule_ids=[rule_id], **opts)[1]


@pytest.mark.parametrize(("mac", "hits"), [
    ("02:00:00:aa:bb:cc", 0),  # locally administered / randomised: ignored
    ("06-00-00-AA-BB-CC", 0),
    ("00:1a:2b:3c:4d:5e", 1),  # universally administered
    ("00-1A-2B-3C-4D-5E", 1),
])
def test_same_machine_raw_mac(mac: str, hits: int) -> None:
    ev = scenario()
    for org in ("B1", "B2"):
        bid_of(ev, org)["payload"]["mac"] = mac
    assert len(only("R-CL-E-SAME-MACHINE", ev)) == hits


def test_same_machine_and_ip_whitelists() -> None:
    ev = scenario()
    copy_field("tool_machine_code")(ev)
    copy_field("ip")(ev)
    ref = ReferenceData(device_whitelist=frozenset({hk(100)}), ip_whitelist=frozenset({hk(200)}))
    assert only("R-CL-E-SAME-MACHINE", ev, reference=ref) == []
    assert only("R-CL-E-SAME-IP", ev, reference=ref) == []


def test_same_ca_on_decryption_by_other_bidder() -> None:
    ev = scenario()
    d = E("BID_DECRYPTED", t("09:40"), {"bidder_org": "B4", "success": True},
          actor={"id": "u", "role": "bidder", "org_id": "B4"}, context={"ca_cert_serial": "CA-0"})
    ev.append(d)
    [f] = only("R-CL-E-SAME-CA", ev)
    assert f.computed["bidders"] == ["B1", "B4"]


def test_file_hash_equal_to_tender_document_is_ignored() -> None:
    ev = scenario()
    for org in ("B1", "B2"):
        bid_of(ev, org)["payload"]["file_hash"] = "ab" * 32
    assert only("R-CL-E-SAME-FILE-HASH", ev) == []


@pytest.mark.parametrize("value", ["Administrator", "admin", "微软用户", "  USER "])
def test_generic_metadata_is_ignored(value: str) -> None:
    ev = scenario()
    meta("author", value)(ev)
    assert only("R-CL-E-SAME-METADATA", ev) == []


def test_company_naming_another_bidder_is_violation() -> None:
    ev = scenario()
    bid_of(ev, "B2")["payload"]["file_meta"]["company"] = "B1 建设有限公司"
    [f] = only("R-CL-E-SAME-METADATA", ev)
    assert f.severity == "violation" and f.computed["company_is_agent_or_other_bidder"]


@pytest.mark.parametrize(("last_step", "hits"), [
    ("9401000.00", 1),  # spacings 100000 ×3, 101000: spread 0.75 % ≤ 1 %
    ("9402000.00", 0),  # spread 1.49 % > 1 %
])
def test_price_pattern_tolerance_boundary(last_step: str, hits: int) -> None:
    ev = scenario()
    set_prices(["9000000.00", "9100000.00", "9200000.00", "9300000.00", last_step])(ev)
    assert len(only("R-TBR-40-4-PRICE-PATTERN", ev)) == hits


@pytest.mark.parametrize(("min_bids", "hits"), [(4, 0), (3, 1)])
def test_price_pattern_min_bids(min_bids: int, hits: int) -> None:
    ev = scenario()
    set_prices(["9000000.00", "9100000.00", "9200000.00"])(ev)
    found = only("R-TBR-40-4-PRICE-PATTERN", ev, context=ctx(price_pattern_min_bids=min_bids))
    assert len(found) == hits


def test_price_grid_step_below_half_percent_is_ignored() -> None:
    ev = scenario()  # 90.1 %, 92.3 %, 93.2 %, 95.7 %, 97.0 %: grid of 0.1 % only
    set_prices(["8829800.00", "9045400.00", "9133600.00", "9378600.00", "9506000.00"])(ev)
    assert only("R-TBR-40-4-PRICE-PATTERN", ev, flags=GP) == []


@pytest.mark.parametrize(("gap_s", "created_min", "hits"), [
    (60, 5, 1), (61, 5, 0),  # uploads at most timing_cluster_seconds apart
    (30, 9, 1), (30, 10, 0),  # file created_at less than 10 min apart
])
def test_timing_cluster_boundaries(gap_s: int, created_min: int, hits: int) -> None:
    ev = scenario()
    timing(gap_s, created_min)(ev)
    assert len(only("R-CL-TIMING-CLUSTER", ev)) == hits


def test_timing_cluster_with_shared_device() -> None:
    ev = scenario()
    timing(20, 40)(ev)
    copy_field("device_fp", "B1", "B2")(ev)
    [f] = only("R-CL-TIMING-CLUSTER", ev)
    assert f.computed["shared"] == ["device_fp"]


@pytest.mark.parametrize(("kind", "hits"), [
    ("same_group", 1), ("kinship", 1), ("common_control", 0)])
def test_group_related_kinds(kind: str, hits: int) -> None:
    ref = ReferenceData(relations=({"a": "B2", "b": "B5", "kind": kind},))
    assert len(only("R-TBR-39-GROUP-RELATED", scenario(), reference=ref)) == hits


def test_group_related_shared_director_in_registry() -> None:
    ref = ReferenceData(enterprises={"B1": {"directors": ["P9", "P1"]},
                                     "B4": {"directors": ["P9"]}, "B5": {"directors": ["P5"]}})
    [f] = only("R-TBR-39-GROUP-RELATED", scenario(), reference=ref)
    assert f.computed == {"pair": ["B1", "B4"], "links": ["shared_directors"]}


def test_give_way_dropouts_need_a_relation() -> None:
    ev = scenario()
    give_way_dropouts(ev)
    assert only("R-CL-GIVE-WAY", ev) == []


@pytest.mark.parametrize(("hours", "hits"), [(24, 1), (25, 0)])
def test_tenderer_access_window(hours: int, hits: int) -> None:
    ev = scenario()
    access_then_change(hours)(ev)
    assert len(only("R-TBR-41-TENDERER-BIDDER", ev)) == hits


@pytest.mark.parametrize("rule_id", ["R-TBR-40-4-TEXT-SIMILARITY", "R-TBR-40-5-MIXED"])
def test_not_checkable_rules_yield_nothing(rule_id: str) -> None:
    ev = scenario()
    copy_field("file_hash")(ev)
    assert only(rule_id, ev) == []


def test_several_shared_identifiers_of_one_pair_make_one_finding() -> None:
    ev = scenario()
    for key in ("tool_machine_code", "mac"):
        copy_field(key)(ev)
    [f] = only("R-CL-E-SAME-MACHINE", ev)
    assert f.computed == {"identifiers": {"tool_machine_code": hk(100), "mac": hk(300)},
                          "bidders": ["B1", "B3"]}


def test_shared_author_does_not_hide_foreign_company() -> None:
    ev = scenario()
    meta("author", "zhangsan", ("B1", "B2"))(ev)
    meta("company", "B1 建设有限公司", ("B1", "B2"))(ev)
    [f] = only("R-CL-E-SAME-METADATA", ev)
    assert f.severity == "violation"
    assert f.computed["fields"] == {"author": "zhangsan", "company": "B1 建设有限公司"}
