"""Every name a finding's computed values are recorded under has a Chinese and an English
label (``ledger.rules.wording.VALUE_LABELS``): the names in the frozen evaluation snapshot
(real findings of every planted class), and every name the rules write literally — so a
regulator never reads ``overdue`` or ``notice`` on a lead page or a transfer letter."""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ledger.events.labels import FIELD_LABELS
from ledger.rules import wording
from ledger.rules.wording import _FIELD_VALUES, VALUE_LABELS

RULES = Path(wording.__file__).parent
SNAPSHOT = Path(__file__).parent / "data" / "eval_snapshot.json"
_HAN = re.compile(r"[\u4e00-\u9fff]")
# where a rule passes its computed values: hit(meta, trail, evidence, computed, …),
# portfolio_hit(rule, evidence, computed, …), Finding(…, computed=…)
_VALUES_AT = {"hit": 3, "portfolio_hit": 2, "Finding": None}


def snapshot_findings() -> list[dict[str, Any]]:
    data = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    return [json.loads(f) for p in data["projects"] for f in p["findings"]]


def _values_arg(call: ast.Call) -> ast.expr | None:
    name = call.func.id if isinstance(call.func, ast.Name) else \
        call.func.attr if isinstance(call.func, ast.Attribute) else ""
    if name not in _VALUES_AT:
        return None
    given = next((k.value for k in call.keywords if k.arg == "computed"), None)
    at = _VALUES_AT[name]
    return given if given is not None or at is None or len(call.args) <= at else call.args[at]


def _keys_of(expr: ast.expr, function: ast.AST) -> Iterator[str]:
    """String keys a values expression certainly holds: a dict literal's, and for a local
    name the keys of the dict literals assigned to it and of its item assignments."""
    if isinstance(expr, ast.Dict):
        for key, value in zip(expr.keys, expr.values, strict=True):
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                yield key.value
            elif key is None:  # {**other, …}
                yield from _keys_of(value, function)
    elif isinstance(expr, ast.Name):
        for node in ast.walk(function):
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == expr.id for t in targets):
                    yield from _keys_of(node.value, function)
            elif (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)
                  and isinstance(node.value, ast.Name) and node.value.id == expr.id
                  and isinstance(node.slice, ast.Constant)):
                yield str(node.slice.value)


def written_value_names() -> set[str]:
    """Every value name the rules' source writes as a literal where a finding is built."""
    names: set[str] = set()
    for path in RULES.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            for node in ast.walk(function):
                arg = _values_arg(node) if isinstance(node, ast.Call) else None
                if arg is not None:
                    names.update(_keys_of(arg, function))
    return names


def test_every_value_name_of_the_snapshot_findings_has_a_label() -> None:
    findings = snapshot_findings()
    names = {str(name) for f in findings for name in f["computed"]}
    assert len(findings) > 50 and len(names) > 50  # the snapshot was read
    assert sorted(names - set(VALUE_LABELS)) == []


def test_every_value_name_the_rules_write_has_a_label() -> None:
    names = written_value_names()
    assert {"notice", "signed", "days", "due", "overdue", "missing"} <= names
    assert len(names) > 280  # the scan reads the whole catalogue, portfolio rules included
    assert sorted(names - set(VALUE_LABELS)) == []


def test_each_label_reads_in_chinese_and_in_english() -> None:
    for name, (zh, en) in VALUE_LABELS.items():
        assert _HAN.search(zh) and en and en.isascii(), name
    assert VALUE_LABELS["overdue"] == ("已逾期", "Overdue")
    assert VALUE_LABELS["bidder_org"] == FIELD_LABELS["bidder_org"]  # a field keeps its label


def test_one_entry_per_name_and_no_field_label_repeated() -> None:
    source = Path(wording.__file__).read_text(encoding="utf-8")
    table = next(n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.AnnAssign)
                 and getattr(n.target, "id", "") == "_OWN_VALUES")
    assert isinstance(table, ast.Dict)
    own = Counter(str(k.value) for k in table.keys if isinstance(k, ast.Constant))
    assert [k for k, n in own.items() if n > 1] == []
    assert [k for k, n in Counter(_FIELD_VALUES).items() if n > 1] == []
    assert set(own).isdisjoint(_FIELD_VALUES)
    assert set(_FIELD_VALUES) <= set(FIELD_LABELS)
    # a name of the rules' own that is also a field means something else there
    assert [n for n in own if VALUE_LABELS[n] == FIELD_LABELS.get(n)] == []


def test_the_values_of_one_finding_read_apart() -> None:
    for finding in snapshot_findings():
        shown = Counter(VALUE_LABELS[str(n)][0] for n in finding["computed"])
        assert [s for s, n in shown.items() if n > 1] == [], finding["rule_id"]
