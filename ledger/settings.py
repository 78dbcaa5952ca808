"""Runtime settings of the ledger service, read from ``WITNESS_*`` environment variables.

Every setting of the ledger is here, the thresholds of the operational checks included (the
HTTP service's own are in ``witness_api.config``; where the signing keys live, with the HSM's
PIN, in ``ledger.signers.config``, read only when a key slot is opened, so that no secret
sits in the settings every command builds and shows); no other module of ``ledger`` reads
the environment, but for the mirror ``witness status``
reads without pydantic (``ledger.cli.status_settings``, checked against this class field for
field). Precedence: an argument (a command-line option such as ``--home``) over the
``WITNESS_*`` variable over the default. Built by ``main`` / the app factory, never at import
time. Must not import the store or the API.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.clock import DEFAULT_TIMEZONE, check_timezone


class Settings(BaseSettings):
    """Where the ledger keeps its data and how it talks to the database and the chain."""

    model_config = SettingsConfigDict(env_prefix="WITNESS_", extra="ignore")

    home: Path = Field(default=Path("./witness-data"), description="data directory")
    db_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in home")
    origin: str = Field(default="witness.ggzy.example/log", max_length=200)
    chain: str = Field(default="embedded", description="embedded | embedded:PATH | http(s)://…")
    checkpoint_interval: float = Field(default=5.0, gt=0)
    checkpoint_max_events: int = Field(default=10_000, gt=0)
    mmd_seconds: int = Field(default=60, gt=0, description="maximum merge delay promised")
    confirmations: int = Field(default=0, ge=0)
    timezone: str = Field(default=DEFAULT_TIMEZONE, description=(
        "the ledger clock's zone (ledger.clock): every time it stamps, whatever TZ says"))
    max_clock_skew_seconds: int = Field(default=300, ge=0)
    cosigners: str = Field(default="", max_length=20_000, description=(
        "independent witnesses asked to cosign every checkpoint: `URL VKEY` entries separated "
        "by `;` or newlines (ledger.cosigning)"))
    registry: str | None = Field(default=None, max_length=42, description=(
        "`witness init`: attach to the registry contract at this address instead of "
        "deploying one (the primary chain)"))
    chain_keystore: Path | None = Field(default=None, description=(
        "JSON-RPC chains: the anchorer's encrypted keystore file (its password in "
        "WITNESS_CHAIN_KEYSTORE_PASSWORD); else WITNESS_CHAIN_PRIVATE_KEY"))
    rules_reference: Path | None = Field(default=None, description=(
        "reference data for the rules; else <home>/reference.json when it exists"))
    debug: bool = Field(default=False, description="a traceback for an internal error")
    # thresholds of the operational checks (/readyz, `witness status`)
    min_free_mb: float = Field(default=256, ge=0, description=(
        "free space below which the disk check fails (MiB)"))
    stall_intervals: float = Field(default=12, gt=0, description=(
        "checkpoint intervals without an anchor, while events wait, before anchoring "
        "counts as stalled"))
    mmd_risk_fraction: float = Field(default=0.8, gt=0, le=1, description=(
        "share of the maximum merge delay an unsealed event may wait before it is at risk"))

    @field_validator("registry", "chain_keystore", "rules_reference", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value  # `export WITNESS_REGISTRY=` unsets it

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        check_timezone(value)
        return value

    @property
    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        return f"sqlite:///{(self.home / 'witness.db').resolve()}"

    @property
    def log_key_path(self) -> Path:
        return self.home / "log.key"

    @property
    def pseudonym_key_path(self) -> Path:
        return self.home / "pseudonym.key"

    @property
    def seal_key_path(self) -> Path:
        """The secret that seals bid-phase records until their opening (ledger.sealing)."""
        return self.home / "seal.key"
