"""The table of ``scripts/bench_api.py``: each measure next to its floor and the ratio.

Two ratios per measure: throughput (ours ÷ floor, both measured on the same loaded
machine minutes apart) and server CPU per request (floor ÷ ours: the share of the floor's
capacity ours would reach on the same cores, steadier when other jobs compete for them).
"""

from __future__ import annotations

from typing import Any

# (label, result path, floor path, rate key, target)
ROWS = (
    ("batch ingestion, events/s", ("batch",), ("floor", "batch"), "events_per_s", "≥ 10,000"),
    ("single events, req/s", ("single",), ("floor", "post"), "req_per_s", "≥ 1,500, p99 ≤ 50 ms"),
    ("inclusion proofs, req/s", ("proof",), ("floor", "get"), "req_per_s", "≥ 3,000 on 1M"),
)


def _get(r: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    for key in path:
        r = r.get(key) or {}
    return r


def _fmt(x: Any) -> str:
    return f"{x:,.0f}" if isinstance(x, int | float) else "-"


def cell(result: dict[str, Any], row: tuple[Any, ...]) -> str:
    """``ours (p50/p99 ms) = X% of floor F``."""
    _label, path, floor_path, key, _target = row
    ours, flo = _get(result, path), _get(result, floor_path)
    if not ours:
        return "-"
    text = f"{_fmt(ours.get(key))} (p50 {ours.get('p50_ms')} / p99 {ours.get('p99_ms')} ms)"
    if flo.get(key):
        text += f" = {100 * ours[key] / flo[key]:.0f}% of floor {_fmt(flo[key])}"
    return text


def _cpu_key(row: tuple[Any, ...]) -> str:
    return "cpu_ms_per_event" if row[3] == "events_per_s" else "cpu_ms_per_req"


def cpu_cell(result: dict[str, Any], row: tuple[Any, ...]) -> str:
    """``ours ms vs floor ms = X%`` (server CPU per request or per event)."""
    key = _cpu_key(row)
    ours, flo = _get(result, row[1]).get(key), _get(result, row[2]).get(key)
    if not ours or not flo:
        return "-"
    return f"{ours} vs floor {flo} ms = {100 * flo / ours:.0f}%"


def _ratio(top: Any, bottom: Any) -> float | None:
    return round(top / bottom, 3) if top and bottom else None


def ratios(result: dict[str, Any]) -> dict[str, dict[str, float | None]]:
    """Per measure: throughput ours ÷ floor, and CPU per request floor ÷ ours."""
    out: dict[str, dict[str, float | None]] = {}
    for row in ROWS:
        ours, flo = _get(result, row[1]), _get(result, row[2])
        out[row[1][0]] = {"throughput": _ratio(ours.get(row[3]), flo.get(row[3])),
                          "cpu": _ratio(flo.get(_cpu_key(row)), ours.get(_cpu_key(row)))}
    return out


def table(results: list[dict[str, Any]]) -> str:
    head = ["measure (target)", *[f"{r['db']} ({r['workers']} workers)" for r in results]]
    rows = []
    for row in ROWS:
        rows.append([f"{row[0]} ({row[4]})", *[cell(r, row) for r in results]])
        unit = "event" if row[3] == "events_per_s" else "request"
        rows.append([f"  server CPU per {unit}", *[cpu_cell(r, row) for r in results]])
    rows.append(["proof log size", *[_fmt(_get(r, ("proof",)).get("log_size"))
                                     for r in results]])
    rows.append(["errors", *[str({k: _get(r, (k,)).get("errors") for k in
                                  ("batch", "single", "proof")}) for r in results]])
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    return "\n".join(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
                     for row in [head, *rows])
