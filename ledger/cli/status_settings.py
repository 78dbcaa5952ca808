"""The settings as ``witness status`` reads them: ``Settings`` without pydantic.

pydantic-settings costs a third of the command's start-up, and operators and monitoring
scripts run it often. ``SPEC`` mirrors every field of ``ledger.settings.Settings``: the
same ``WITNESS_*`` variables (names matched regardless of case, as pydantic-settings does),
defaults and bounds, so that status refuses a bad setting exactly when every other command
does. That class stays the one home of the settings: ``tests/ledger/test_status_settings.py``
checks the mirror against it field for field, and any value not in a plain form (``5``,
``0.5``, ``true``, a path, a known time zone) is handed to it, so that it accepts it or
refuses it with its own message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.clock import DEFAULT_TIMEZONE, check_timezone

ENV_PREFIX = "witness_"
Bounds = dict[str, float]
SPEC: dict[str, tuple[str, Any, Bounds]] = {
    # name: (kind, default, bounds); kinds ending in "?" may be None ("" unsets them)
    "home": ("path", Path("./witness-data"), {}),
    "db_url": ("str|None", None, {}),
    "origin": ("str", "witness.ggzy.example/log", {"max_length": 200}),
    "chain": ("str", "embedded", {}),
    "checkpoint_interval": ("float", 5.0, {"gt": 0}),
    "checkpoint_max_events": ("int", 10_000, {"gt": 0}),
    "mmd_seconds": ("int", 60, {"gt": 0}),
    "confirmations": ("int", 0, {"ge": 0}),
    "timezone": ("timezone", DEFAULT_TIMEZONE, {}),
    "max_clock_skew_seconds": ("int", 300, {"ge": 0}),
    "cosigners": ("str", "", {"max_length": 20_000}),
    "registry": ("str?", None, {"max_length": 42}),
    "chain_keystore": ("path?", None, {}),
    "rules_reference": ("path?", None, {}),
    "debug": ("bool", False, {}),
    # thresholds of the operational checks
    "min_free_mb": ("float", 256, {"ge": 0}),
    "stall_intervals": ("float", 12, {"gt": 0}),
    "mmd_risk_fraction": ("float", 0.8, {"gt": 0, "le": 1}),
}
_INT = re.compile(r"0|[1-9][0-9]{0,17}")
_FLOAT = re.compile(r"(0|[1-9][0-9]{0,17})(\.[0-9]{1,17})?")
_BOOLS = {"0": False, "false": False, "1": True, "true": True}


class _NotPlain(Exception):
    """A value the mirror leaves to pydantic (a lax form, or one it refuses)."""


@dataclass(frozen=True)
class StatusSettings:
    """What ``witness status`` uses of ``Settings``."""

    home: Path
    db_url: str | None
    chain: str
    mmd_seconds: int
    checkpoint_interval: float
    timezone: str
    min_free_mb: float
    stall_intervals: float
    mmd_risk_fraction: float

    @property
    def database_url(self) -> str:  # as Settings.database_url
        if self.db_url:
            return self.db_url
        return f"sqlite:///{(self.home / 'witness.db').resolve()}"


def load_status_settings(overrides: Mapping[str, Any],
                         environ: Mapping[str, str] | None = None) -> StatusSettings:
    """The settings from ``overrides`` (``--home``) over the ``WITNESS_*`` variables over
    the defaults; pydantic builds them when a value is not plain (``_NotPlain``)."""
    env = {k.lower(): v for k, v in (os.environ if environ is None else environ).items()}
    try:
        values = {name: overrides[name] if name in overrides
                  else _value(name, env.get(ENV_PREFIX + name)) for name in SPEC}
    except _NotPlain:
        values = _from_pydantic(overrides)
    used = StatusSettings.__dataclass_fields__
    return StatusSettings(**{name: values[name] for name in used})


def _from_pydantic(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The values as ``Settings`` reads them (or its error)."""
    from ledger.settings import Settings

    return Settings(**overrides).model_dump()


def _value(name: str, raw: str | None) -> Any:
    kind, default, bounds = SPEC[name]
    if raw is None:
        return default
    if kind.endswith("?") and raw == "":
        return None  # Settings._empty_is_unset
    value = _parse(kind.rstrip("?"), raw)
    _check(value, bounds)
    return value


def _parse(kind: str, raw: str) -> Any:
    if kind in ("str", "str|None"):
        return raw
    if kind == "path" and raw:
        return Path(raw)
    if kind == "int" and _INT.fullmatch(raw):
        return int(raw)
    if kind == "float" and _FLOAT.fullmatch(raw):
        return float(raw)
    if kind == "bool" and raw in _BOOLS:
        return _BOOLS[raw]
    if kind == "timezone":
        try:
            check_timezone(raw)
        except ValueError as exc:
            raise _NotPlain from exc
        return raw
    raise _NotPlain


def _check(value: Any, bounds: Bounds) -> None:
    limits_met = (("gt" not in bounds or value > bounds["gt"])
                  and ("ge" not in bounds or value >= bounds["ge"])
                  and ("le" not in bounds or value <= bounds["le"])
                  and ("max_length" not in bounds or len(value) <= bounds["max_length"]))
    if not limits_met:
        raise _NotPlain
