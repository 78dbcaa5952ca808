"""Every setting is read in one place: ``ledger.settings.Settings`` (``WITNESS_*``),
``witness_api.config.ApiSettings`` (``WITNESS_API_*``) and, for the signing keys' HSM with its
PIN, ``ledger.signers.config.HsmSettings`` (``WITNESS_HSM_*``). An argument (a command-line
option) wins over the variable, the variable over the default; nothing else in ``ledger/``
or ``witness_api/`` reads the environment or declares a settings class."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from ledger.rules.follower import reference_source
from ledger.settings import Settings
from witness_api.config import ApiSettings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_MODULES = {"ledger/settings.py", "witness_api/config.py", "ledger/signers/config.py",
                    # Settings' mirror for `witness status`, checked field for field against
                    # it by tests/ledger/test_status_settings.py
                    "ledger/cli/status_settings.py"}
# Shared with witness-verify, which has no Settings (the core cannot use pydantic): a display
# preference (WITNESS_PROGRESS_EVERY) read where the progress lines are drawn.
EXEMPT = {"ledger/core/progress.py"}
# (file, the one line allowed there, why)
ALLOWED = {
    # a write, not a read: the service's workers build their own Settings from it
    ("witness_api/cli.py", 'os.environ["WITNESS_HOME"] = str(ctx.settings.home)'),
    # prometheus_client's own variable, which the library reads itself: metrics.py must
    # agree with the library, not with a setting that could say otherwise
    ("witness_api/metrics.py", 'if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):'),
}
ENV_READ = re.compile(r"os\.environ|getenv\(|environ\.get\(|BaseSettings\b")


def test_no_environment_read_outside_the_settings_modules() -> None:
    found = []
    for package in ("ledger", "witness_api"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name in SETTINGS_MODULES | EXEMPT:
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                code = line.split("#")[0].strip()
                if ENV_READ.search(code) and (name, code) not in ALLOWED:
                    found.append(f"{name}: {line.strip()}")
    assert found == []


@pytest.mark.parametrize(("variable", "field", "value", "argument"), [
    ("WITNESS_REGISTRY", "registry", "0x" + "ab" * 20, "0x" + "cd" * 20),
    ("WITNESS_CHAIN_KEYSTORE", "chain_keystore", Path("/etc/witness/key.json"),
     Path("/tmp/other.json")),
    ("WITNESS_RULES_REFERENCE", "rules_reference", Path("/srv/reference.json"),
     Path("/tmp/ref.json")),
    ("WITNESS_TIMEZONE", "timezone", "Asia/Urumqi", "UTC"),
    ("WITNESS_DEBUG", "debug", True, False),
])
def test_argument_over_variable_over_default(variable: str, field: str, value: object,
                                             argument: object,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(variable, raising=False)
    default = Settings.model_fields[field].default
    assert getattr(Settings(), field) == default
    monkeypatch.setenv(variable, "1" if value is True else str(value))
    assert getattr(Settings(), field) == value
    assert getattr(Settings(**{field: argument}), field) == argument


@pytest.mark.parametrize("variable", ["WITNESS_REGISTRY", "WITNESS_CHAIN_KEYSTORE",
                                      "WITNESS_RULES_REFERENCE"])
def test_an_empty_variable_is_unset(variable: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, "")
    field = variable.removeprefix("WITNESS_").lower()
    assert getattr(Settings(), field) is None


def test_reference_data_source_precedence(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WITNESS_RULES_REFERENCE", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    assert reference_source(Settings(home=home)) is None  # nowhere
    (home / "reference.json").write_text("{}", encoding="utf-8")
    assert reference_source(Settings(home=home)) == home / "reference.json"
    monkeypatch.setenv("WITNESS_RULES_REFERENCE", str(tmp_path / "env.json"))
    assert reference_source(Settings(home=home)) == tmp_path / "env.json"
    given = tmp_path / "option.json"
    assert reference_source(Settings(home=home), given) == given


def test_api_rules_follower_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WITNESS_API_RULES", raising=False)
    monkeypatch.delenv("WITNESS_API_RULES_POLL_SECONDS", raising=False)
    assert (ApiSettings().rules, ApiSettings().rules_poll_seconds) == (False, 0.5)
    for word in ("1", "true", "yes", "on"):
        monkeypatch.setenv("WITNESS_API_RULES", word)
        assert ApiSettings().rules is True
    monkeypatch.setenv("WITNESS_API_RULES_POLL_SECONDS", "0.1")
    assert ApiSettings().rules_poll_seconds == 0.1
    assert ApiSettings(rules=False).rules is False  # an argument wins
    monkeypatch.setenv("WITNESS_API_RULES_POLL_SECONDS", "0")
    with pytest.raises(ValidationError):
        ApiSettings()
