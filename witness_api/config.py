"""API-only settings (``WITNESS_API_*`` environment variables), next to ledger ``Settings``.

Built by the app factory or ``witness serve``, never at import time.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from witness_api.limits import DEFAULT_MAX_BATCH_BODY, DEFAULT_MAX_BODY


class ApiSettings(BaseSettings):
    """Limits and logging of the HTTP service."""

    model_config = SettingsConfigDict(env_prefix="WITNESS_API_", extra="ignore")

    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY, gt=0)
    max_batch_body_bytes: int = Field(default=DEFAULT_MAX_BATCH_BODY, gt=0)
    access_log: bool = Field(default=True, description="one JSON line per request")
    log_level: str = Field(default="INFO")
    anchor: bool = Field(default=True, description="run the elected anchorer in this worker")
    policy_endpoint: str = Field(default="", max_length=2000, description=(
        "public chain endpoint written into GET /v1/trust-policy (default: none)"))
    rules: bool = Field(default=False, description=(
        "run the elected rule follower in this worker (off by default: apps embedded in "
        "tests must not append LEAD_RAISED events behind their back)"))
    telemetry: bool = Field(default=False, description=(
        "FastAPI's native OpenTelemetry spans and metrics, for a globally configured provider "
        "(off by default: when on, every request asks OpenTelemetry whether one is set)"))
    rules_poll_seconds: float = Field(default=0.5, gt=0, le=3600,
                                      description="the rule follower's polling interval")
