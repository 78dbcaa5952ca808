"""The thresholds of the operational checks (``readiness_checks``), from ``WITNESS_*``.

Their own module so that reading them loads pydantic-settings only where ``Settings`` is
loaded anyway (the service, the commands that open the log), not in ``witness status``.
Must not import the API or the verifier.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class OpsLimits(BaseSettings):
    """Thresholds of the checks (``WITNESS_*`` environment variables)."""

    model_config = SettingsConfigDict(env_prefix="WITNESS_", extra="ignore")

    min_free_mb: float = Field(default=256, ge=0, description=(
        "free space below which the disk check fails (MiB)"))
    stall_intervals: float = Field(default=12, gt=0, description=(
        "checkpoint intervals without an anchor, while events wait, before anchoring "
        "counts as stalled"))
    mmd_risk_fraction: float = Field(default=0.8, gt=0, le=1, description=(
        "share of the maximum merge delay an unsealed event may wait before it is at risk"))
