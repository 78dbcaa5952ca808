"""Catalogue tests: every type, every example, round trips and error paths.

Role: check ledger.events against docs/rules.md §2.2 and the brief. Must not import the store/API.
"""

from __future__ import annotations

import ast
import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ledger.events import (
    EVENT_TYPES,
    EventIn,
    EventValidationError,
    event_to_json,
    example_event,
    example_types,
    parse_event,
    parse_event_json,
)

ROOT = Path(__file__).resolve().parents[2]

RULES_TYPES = [
    "PROJECT_REGISTERED",
    "ANNOUNCEMENT_PUBLISHED",
    "INVITATION_SENT",
    "DOC_ISSUED",
    "DOC_DOWNLOADED",
    "SITE_VISIT_HELD",
    "PREBID_MEETING_HELD",
    "CLARIFICATION_ISSUED",
    "DEADLINE_CHANGED",
    "OBJECTION_FILED",
    "INQUIRY_FILED",
    "CHALLENGE_FILED",
    "OBJECTION_REPLIED",
    "CHALLENGE_REPLIED",
    "ACTIVITY_SUSPENDED",
    "ACTIVITY_RESUMED",
    "COMPLAINT_FILED",
    "COMPLAINT_ACCEPTED",
    "COMPLAINT_DECIDED",
    "BOND_PAID",
    "BID_SUBMITTED",
    "BID_MODIFIED",
    "BID_WITHDRAWN",
    "BID_DECRYPTED",
    "BID_EXTRACTED",
    "OPENING_STARTED",
    "OPENING_ENDED",
    "OPENING_RECORD_PUBLISHED",
    "OPENING_OBJECTION",
    "EXPERT_DRAW",
    "COMMITTEE_FORMED",
    "CONFLICT_DECLARED",
    "RECUSAL",
    "MEMBER_REPLACED",
    "EVAL_STARTED",
    "EVAL_ENDED",
    "EVAL_PAUSED",
    "EVAL_RESUMED",
    "EVAL_TIME_INSUFFICIENT_VOTE",
    "EVAL_EXTENDED",
    "IDENTITY_VERIFIED",
    "BADGE_ENTER",
    "BADGE_EXIT",
    "BADGE_PROXIMITY",
    "DEVICE_DEPOSITED",
    "SIGNAL_DETECTED",
    "BIDDER_CLARIFICATION_REQUESTED",
    "BIDDER_CLARIFICATION_ANSWERED",
    "DOC_VIEWED",
    "SCORE_SUBMITTED",
    "BID_REJECTED",
    "EVAL_REPORT_SIGNED",
    "EVAL_REPORT_DELIVERED",
    "CANDIDATE_PUBLICITY",
    "WINNER_DETERMINED",
    "AWARD_NOTICE_ISSUED",
    "RESULT_NOTICE_ISSUED",
    "RESULT_ANNOUNCED",
    "TENDER_REPORT_FILED",
    "PERFORMANCE_BOND_PAID",
    "CONTRACT_SIGNED",
    "CONTRACT_PUBLISHED",
    "CONTRACT_FILED",
    "CONTRACT_AMENDED",
    "BOND_REFUNDED",
    "RETENDER_STARTED",
    "TENDER_TERMINATED",
    "METHOD_CHANGED",
    "ACCESS_LOG",
    "REMOTE_EVAL_ARRANGED",
    "EXPERT_SEATED",
    "REMOTE_LINK_OPENED",
    "REMOTE_LINK_CLOSED",
    "HOTLINE_TICKET_FILED",
]


def _errors(data: Any) -> list[dict[str, str]]:
    """The errors parse_event raises for ``data`` (fails if it parses)."""
    with pytest.raises(EventValidationError) as info:
        parse_event(data)
    assert isinstance(info.value, ValueError)
    return info.value.errors


def _locs(data: Any) -> set[str]:
    return {e["loc"] for e in _errors(data)}


def test_catalogue_covers_rules_and_lead_events() -> None:
    assert len(RULES_TYPES) == 74
    assert set(EVENT_TYPES) == {*RULES_TYPES, "LEAD_RAISED", "LEAD_TRANSFERRED",
                                "LEAD_ACKNOWLEDGED", "BIDS_UNSEALED", "CHECKPOINT_SIGNER_BOUND",
                                "LOG_KEY_ROTATED"}
    assert set(example_types()) == set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_example_parses_and_round_trips(event_type: str) -> None:
    data = example_event(event_type)
    ev = parse_event(data)
    assert isinstance(ev, EventIn)
    assert ev.type == event_type
    dumped = event_to_json(ev)
    assert dumped == data  # examples are already in normal form
    again = parse_event(json.loads(json.dumps(dumped)))
    assert again == ev
    assert event_to_json(again) == dumped
    assert parse_event_json(json.dumps(dumped, ensure_ascii=False).encode()) == ev


def test_example_event_returns_fresh_copies() -> None:
    a = example_event("BID_SUBMITTED")
    a["payload"]["bidder_org"] = "X"
    assert example_event("BID_SUBMITTED")["payload"]["bidder_org"] != "X"
    with pytest.raises(KeyError):
        example_event("NOPE")


def test_models_are_frozen() -> None:
    ev = parse_event(example_event("BID_SUBMITTED"))
    with pytest.raises(ValueError):
        ev.project_id = "other"


@pytest.mark.parametrize("bad_type", ["NOPE", "", 7, None, "bid_submitted"])
def test_unknown_type_rejected_on_loc_type(bad_type: Any) -> None:
    data = example_event("BID_SUBMITTED")
    data["type"] = bad_type
    assert _locs(data) == {"type"}


def test_missing_type_and_non_object() -> None:
    data = example_event("BID_SUBMITTED")
    del data["type"]
    assert _locs(data) == {"type"}
    assert _locs([1, 2]) == {""}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("payload", "file_meta"), "payload.file_meta.colour"),
        (("payload",), "payload.colour"),
        (("actor",), "actor.colour"),
        (("context",), "context.colour"),
        ((), "colour"),
    ],
)
def test_unknown_field_rejected_with_dotted_path(path: tuple[str, ...], expected: str) -> None:
    data = example_event("BID_SUBMITTED")
    target = data
    for key in path:
        target = target[key]
    target["colour"] = "red"
    assert expected in _locs(data)


def test_nested_list_error_path() -> None:
    data = example_event("COMMITTEE_FORMED")
    data["payload"]["members"][2]["years_in_field"] = -1
    assert _locs(data) == {"payload.members.2.years_in_field"}


def test_bad_payload_field_path() -> None:
    data = example_event("BID_SUBMITTED")
    data["payload"]["file_meta"]["author"] = "x" * 201
    errors = _errors(data)
    assert [e["loc"] for e in errors] == ["payload.file_meta.author"]
    assert "x" * 50 not in str(errors)  # input is never echoed


@pytest.mark.parametrize(
    "value",
    [
        "2025-03-26T15:41:07",
        "2025-03-26 15:41:07+08:00",
        "2025-03-26T15:41:07-00:00",
        "2025-02-30T10:00:00+08:00",
        "2025-03-26",
        "1711439000",
        "2025-03-26T15:41:07.1234567+08:00",
    ],
)
def test_bad_timestamps_rejected(value: str) -> None:
    data = example_event("BID_SUBMITTED")
    data["payload"]["received_at"] = value
    assert _locs(data) == {"payload.received_at"}
    data = example_event("BID_SUBMITTED")
    data["occurred_at"] = value
    assert _locs(data) == {"occurred_at"}


@pytest.mark.parametrize("value", ["2025-03-26T07:41:07Z", "2025-03-26t07:41:07.5z"])
def test_utc_timestamps_accepted_and_normalised(value: str) -> None:
    data = example_event("BID_SUBMITTED")
    data["occurred_at"] = value
    assert parse_event(data).occurred_at == value.upper()


@pytest.mark.parametrize(
    "value", [45126388.52, 45126388, "45,126,388.52", "1e6", "１２", "1.23456"]
)
def test_bad_amounts_rejected(value: Any) -> None:
    data = example_event("BID_DECRYPTED")
    data["payload"]["bid_price"] = value
    assert _locs(data) == {"payload.bid_price"}


@pytest.mark.parametrize("field", ["bid_price", "item_price_vector_hash"])
def test_price_is_not_part_of_the_submission(field: str) -> None:
    """Prices stay sealed until the opening (TB 第22条): BID_SUBMITTED has no such field."""
    data = example_event("BID_SUBMITTED")
    data["payload"][field] = example_event("BID_DECRYPTED")["payload"][field]
    assert _locs(data) == {f"payload.{field}"}


@pytest.mark.parametrize("event_type", ["BID_DECRYPTED", "BID_EXTRACTED"])
@pytest.mark.parametrize("field", ["bid_price", "item_price_vector_hash"])
def test_price_only_from_a_successfully_opened_bid(event_type: str, field: str) -> None:
    value = example_event("BID_DECRYPTED")["payload"][field]
    data = example_event(event_type)
    data["payload"].update(success=True, failure_cause=None, failure_note=None,
                           bid_price=None, item_price_vector_hash=None)
    data["payload"][field] = value
    assert event_to_json(parse_event(data))["payload"][field] == value
    data["payload"].update(success=False, failure_cause="bidder")
    errors = _errors(data)
    assert [e["loc"] for e in errors] == [f"payload.{field}"]
    assert "success is false" in errors[0]["msg"]
    data["payload"][field] = None  # an explicit null is no price
    assert event_to_json(parse_event(data))["payload"]["success"] is False


def test_float_in_raw_json_rejected() -> None:
    data = example_event("BOND_PAID")
    raw = json.dumps(data).replace('"800000.00"', "800000.00")
    with pytest.raises(EventValidationError) as info:
        parse_event_json(raw)
    assert [e["loc"] for e in info.value.errors] == ["payload.amount"]


def test_raw_json_limits() -> None:
    with pytest.raises(EventValidationError):
        parse_event_json('{"type": "BID_WITHDRAWN", "type": "BID_WITHDRAWN"}')
    with pytest.raises(EventValidationError):
        parse_event_json(b" " * (256 * 1024 + 1))
    with pytest.raises(EventValidationError):
        parse_event_json(b"{not json")


def test_oversize_strings_and_lists_rejected() -> None:
    data = example_event("BID_SUBMITTED")
    data["event_id"] = "e" * 129
    data["payload"]["reject_reason"] = "r" * 2001
    data["payload"]["consortium_members"] = ["m"] * 21
    assert _locs(data) == {
        "event_id",
        "payload.reject_reason",
        "payload.consortium_members",
    }
    data = example_event("CLARIFICATION_ISSUED")
    data["payload"]["recipients"] = [f"b{i}" for i in range(2001)]
    assert _locs(data) == {"payload.recipients"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("file_hash", "A" * 64),
        ("file_hash", "a" * 63),
        ("ip", "300.1.1.1"),
        ("ip", "1.2.3.4\n"),
        ("mac", "3c:7c:3f:1a:20"),
        ("accepted", "true"),
        ("accepted", 1),
        ("bidder_org", "辽宁宏业"),
        ("bidder_org", ""),
        ("device_fp", "hk1:short"),
    ],
)
def test_bad_scalars_rejected(field: str, value: Any) -> None:
    data = example_event("BID_SUBMITTED")
    data["payload"][field] = value
    assert _locs(data) == {f"payload.{field}"}


def test_bad_vocabulary_and_actor_role() -> None:
    data = example_event("PROJECT_REGISTERED")
    data["payload"]["regime"] = "XX"
    data["actor"]["role"] = "janitor"
    assert _locs(data) == {"payload.regime", "actor.role"}


def test_none_fields_are_excluded_from_dump() -> None:
    data = example_event("BID_WITHDRAWN")
    del data["payload"]["written_notice_ref"]
    dumped = event_to_json(parse_event(data))
    assert "written_notice_ref" not in dumped["payload"]
    assert "context" not in dumped
    data["payload"]["written_notice_ref"] = None
    assert event_to_json(parse_event(data)) == dumped


def test_missing_required_payload_field() -> None:
    data = example_event("BID_SUBMITTED")
    del data["payload"]["file_hash"]
    assert _locs(data) == {"payload.file_hash"}


def test_input_not_mutated() -> None:
    data = example_event("DOC_ISSUED")
    before = copy.deepcopy(data)
    parse_event(data)
    assert data == before


def test_gen_events_doc_check_passes() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_events_doc.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_gen_events_doc_check_detects_stale(tmp_path: Path) -> None:
    stale = tmp_path / "events.md"
    stale.write_text("# old\n", "utf-8")
    script = str(ROOT / "scripts" / "gen_events_doc.py")
    cmd = [sys.executable, script, "--check", "--output", str(stale)]
    assert subprocess.run(cmd, capture_output=True, check=False).returncode == 1


FORBIDDEN_IMPORTS = ("ledger.store", "ledger.log", "ledger.api", "witness_api", "sqlalchemy")


def test_events_package_imports_stay_pure() -> None:
    for path in (ROOT / "ledger" / "events").glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        assert ast.get_docstring(tree), f"{path.name} lacks a module docstring"
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(FORBIDDEN_IMPORTS), f"{path.name} imports {name}"
