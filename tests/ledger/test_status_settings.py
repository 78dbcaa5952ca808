"""``witness status`` reads its settings without pydantic (``ledger.cli.status_settings``);
they must be those of ``Settings`` field for field: the same variables,
defaults and bounds, the same values, and the same refusal of a bad value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from annotated_types import Ge, Gt, Le, MaxLen
from pydantic import ValidationError

from ledger.cli.status_settings import SPEC, StatusSettings, load_status_settings
from ledger.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
KINDS: dict[Any, str] = {Path: "path", str: "str", int: "int", float: "float", bool: "bool",
         str | None: "str|None", Path | None: "path?"}
OPTIONAL_STR = {"registry"}  # str | None with "" meaning unset (Settings._empty_is_unset)


def _bounds(metadata: list[Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for m in metadata:
        for kind, name in ((Gt, "gt"), (Ge, "ge"), (Le, "le"), (MaxLen, "max_length")):
            if isinstance(m, kind):
                out[name] = getattr(m, name)
    return out


def test_the_mirror_has_every_field_with_its_default_kind_and_bounds() -> None:
    fields = Settings.model_fields
    assert set(SPEC) == set(fields)
    for name, field in fields.items():
        kind, default, bounds = SPEC[name]
        expected = "timezone" if name == "timezone" else KINDS[field.annotation]
        expected = "str?" if name in OPTIONAL_STR else expected
        assert (name, kind, default, bounds) == (name, expected, field.default,
                                                 _bounds(field.metadata))


ENVIRONMENTS: list[dict[str, str]] = [
    {},
    {"WITNESS_HOME": "/srv/witness", "witness_mmd_seconds": "7",  # any case, as pydantic
     "WITNESS_CHECKPOINT_INTERVAL": "0.5", "WITNESS_MIN_FREE_MB": "0",
     "WITNESS_MMD_RISK_FRACTION": "1", "WITNESS_STALL_INTERVALS": "3",
     "WITNESS_TIMEZONE": "UTC", "WITNESS_CHAIN": "http://127.0.0.1:8545",
     "WITNESS_DEBUG": "true", "WITNESS_REGISTRY": "", "WITNESS_CHAIN_KEYSTORE": "",
     "WITNESS_COSIGNERS": "", "WITNESS_ORIGIN": "见证.example/log"},
    {"WITNESS_DB_URL": "postgresql+psycopg://witness:secret@db:5432/witness"},
    {"WITNESS_DB_URL": ""},
    # lax forms pydantic accepts (or refuses) in its own way: handed to it
    {"WITNESS_MMD_SECONDS": " 7"}, {"WITNESS_MMD_SECONDS": "7.0"},
    {"WITNESS_MMD_SECONDS": "1e2"}, {"WITNESS_CHECKPOINT_INTERVAL": "1e-1"},
    {"WITNESS_CHECKPOINT_INTERVAL": ".5"}, {"WITNESS_DEBUG": "yes"}, {"WITNESS_DEBUG": "On"},
    {"WITNESS_MMD_SECONDS": "007"},
    # refused
    {"WITNESS_MMD_SECONDS": "0"}, {"WITNESS_MMD_SECONDS": "-1"},
    {"WITNESS_MMD_SECONDS": "abc"}, {"WITNESS_MMD_RISK_FRACTION": "1.5"},
    {"WITNESS_TIMEZONE": "Mars/Olympus_Mons"}, {"WITNESS_ORIGIN": "x" * 201},
    {"WITNESS_CONFIRMATIONS": "many"}, {"WITNESS_HOME": ""},
    {"WITNESS_REGISTRY": "0x" + "a" * 41}, {"WITNESS_COSIGNERS": "u k;" * 6000},
    {"WITNESS_STALL_INTERVALS": "0"}, {"WITNESS_MIN_FREE_MB": "-5"},
]


def _pydantic(overrides: dict[str, Any]) -> dict[str, Any] | str:
    try:
        settings = Settings(**overrides)
        values = settings.model_dump()
    except ValidationError as exc:
        return str(exc)
    return {name: values[name] for name in StatusSettings.__dataclass_fields__}


def _mirror(overrides: dict[str, Any]) -> dict[str, Any] | str:
    try:
        loaded = load_status_settings(overrides)
    except ValidationError as exc:
        return str(exc)
    return {name: getattr(loaded, name) for name in StatusSettings.__dataclass_fields__}


@pytest.mark.parametrize("env", ENVIRONMENTS)
@pytest.mark.parametrize("overrides", [{}, {"home": Path("/from/the/option")}])
def test_same_values_or_the_same_refusal(env: dict[str, str], overrides: dict[str, Any],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SPEC:
        monkeypatch.delenv(f"WITNESS_{name.upper()}", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert _mirror(overrides) == _pydantic(overrides)
    if not isinstance(expected := _pydantic(overrides), str):
        assert load_status_settings(overrides).database_url == \
            Settings(**overrides).database_url, expected


def test_status_refuses_a_bad_setting_as_every_command_does(tmp_path: Path) -> None:
    env = {"WITNESS_HOME": str(tmp_path / "home"), "WITNESS_MMD_SECONDS": "0",
           "PATH": "/usr/bin:/bin"}
    outcomes = [subprocess.run([sys.executable, "-m", "ledger.cli", *args], cwd=ROOT,
                               env=env, capture_output=True, text=True, timeout=120)
                for args in (["status"], ["pubkey"])]
    assert [p.returncode for p in outcomes] == [2, 2]
    assert outcomes[0].stderr == outcomes[1].stderr
    assert "mmd_seconds" in outcomes[0].stderr
