"""What the operator must know now: the disk, the merge-delay promise, anchoring, the loops.

Each check answers ``(name, ok, detail)``, the shape of ``/readyz``'s checks; the service's
``/readyz`` and ``witness status`` run the same ones (``operational_checks``), from the
database and the data directory only, so they answer with the chain down and on a full
disk. docs/operations.md#monitoring says what each reason means and what to do.

- ``disk``: free space where the SQLite database, the data directory and an embedded chain
  live, below ``WITNESS_MIN_FREE_MB`` → not ready (writes are about to fail, or fail).
  A PostgreSQL database's disk is on its server: not visible from here, and said so.
- ``merge_delay``: the oldest event in no checkpoint has waited ``WITNESS_MMD_RISK_FRACTION``
  (80 %) of the maximum merge delay every receipt promises → at risk; all of it → broken.
- ``anchoring``: events wait and no checkpoint was anchored on the primary chain for
  ``WITNESS_STALL_INTERVALS`` × the checkpoint interval → stalled.
- ``background``: each loop's last failure (time, cause) and whether it runs; a loop that
  stopped by itself in a live process → not ready.

Must not import the API or the verifier.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from chain_access import EMBEDDED_SUBDIR
from ledger.anchoring.bound import bound_chains
from ledger.anchoring.checkpointer import age_seconds, oldest_unsealed
from ledger.log import WitnessLog
from ledger.loops import describe, read_health
from ledger.settings import Settings
from ledger.store.schema import anchors, events

Check = tuple[str, bool, str]
MIB = 1024 * 1024


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


def free_space(settings: Settings) -> list[tuple[str, Path, int]]:
    """(what lives there, path, free bytes) per file system holding the log's files."""
    found: dict[int, tuple[list[str], Path, int]] = {}
    for what, path in _places(settings):
        try:
            device, free = os.stat(path).st_dev, shutil.disk_usage(path).free
        except OSError:  # not there (yet): nothing to fill
            continue
        found.setdefault(device, ([], path, free))[0].append(what)
    return [(", ".join(whats), path, free) for whats, path, free in found.values()]


def _places(settings: Settings) -> list[tuple[str, Path]]:
    places = []
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        places.append(("the database", Path(url.database).resolve().parent))
    places.append(("the data directory", settings.home.resolve()))
    spec = settings.chain.strip()
    if spec == "embedded" or spec.startswith("embedded:"):
        chain_dir = Path(spec.partition(":")[2] or settings.home / EMBEDDED_SUBDIR)
        places.append(("the embedded chain", chain_dir.resolve()))
    return places


def disk_check(settings: Settings, limits: OpsLimits) -> Check:
    minimum = int(limits.min_free_mb * MIB)
    places = free_space(settings)
    low = [p for p in places if p[2] < minimum]
    shown = low or places
    detail = "; ".join(f"{_mib(free)} free on {path} ({what})" for what, path, free in shown)
    if low:
        detail = (f"disk nearly full: {detail}, below the minimum of {_mib(minimum)} "
                  "(WITNESS_MIN_FREE_MB); writes fail once it is full")
    if make_url(settings.database_url).get_backend_name() != "sqlite":
        detail += ("; the PostgreSQL database's own disk is not visible from here "
                   "(not applicable: watch it on the database server)")
    return "disk", not low, detail


def _mib(n: int) -> str:
    return f"{n / MIB:.1f} MiB" if n < 10 * 1024 * MIB else f"{n / MIB / 1024:.1f} GiB"


def merge_delay_check(settings: Settings, log: WitnessLog, limits: OpsLimits) -> Check:
    mmd = settings.mmd_seconds
    waiting = oldest_unsealed(log)
    if waiting is None:
        return "merge_delay", True, f"every event is in a checkpoint (promise: {mmd} s)"
    index, age = waiting
    where = (f"event {index} was received {age:.0f} s ago and is in no checkpoint yet; "
             f"receipts promise one within {mmd} s (WITNESS_MMD_SECONDS)")
    if age > mmd:
        return "merge_delay", False, f"merge delay broken: {where}"
    if age >= limits.mmd_risk_fraction * mmd:
        return "merge_delay", False, (f"merge delay at risk: {where}; "
                                      f"{age / mmd:.0%} of it has passed")
    return "merge_delay", True, f"oldest event in no checkpoint: {age:.0f} s of {mmd} s"


def anchoring_check(settings: Settings, log: WitnessLog, limits: OpsLimits) -> Check:
    chains = bound_chains(log)
    if not chains:
        return "anchoring", True, "not bound to a chain: nothing to anchor"
    primary = chains[0].binding
    mine = (anchors.c.chain_id == primary.chain_id) & (anchors.c.registry == primary.registry)
    with log.db.read() as conn:
        anchored, last = conn.execute(select(func.max(anchors.c.checkpoint_size),
                                             func.max(anchors.c.confirmed_at)).where(mine)).one()
        oldest = conn.execute(select(events.c.received_at)
                              .where(events.c.idx == int(anchored or 0))).scalar()
    since_anchor = None if last is None else age_seconds(log, str(last))
    last_text = "never" if since_anchor is None else f"{since_anchor:.0f} s ago"
    if oldest is None:
        return "anchoring", True, f"every event anchored on chain {primary.chain_id} " \
                                  f"(last anchor {last_text})"
    waiting = log.size() - int(anchored or 0)
    quiet = age_seconds(log, str(oldest))
    if since_anchor is not None:  # anchors made since the oldest arrived are progress
        quiet = min(quiet, since_anchor)
    limit = limits.stall_intervals * settings.checkpoint_interval
    state = (f"{waiting} event(s) wait for chain {primary.chain_id} (the oldest, event "
             f"{int(anchored or 0)}); last anchor {last_text}")
    if quiet > limit:
        return "anchoring", False, (
            f"anchoring stalled: {state}; nothing anchored for {quiet:.0f} s, more than "
            f"{limits.stall_intervals:g} × the checkpoint interval ({limit:.0f} s)")
    return "anchoring", True, state


def background_check(settings: Settings) -> Check:
    records = read_health(settings.home)
    if not records:
        return "background", True, "no background loop has run from this data directory"
    broken = [r for r in records if r.broken]
    # a worker campaigning for an office is worth a word only once it failed
    shown = [r for r in records if not (r.loop.endswith("-campaign") and not r.failures)]
    return "background", not broken, "; ".join(r.summary() for r in shown) or \
        "no background loop has failed in this process"


def operational_checks(settings: Settings, log: WitnessLog,
                       limits: OpsLimits | None = None) -> list[Check]:
    """Every check above; one that cannot run (its query failed) is a failed check."""
    limits = limits or OpsLimits()
    checks: list[tuple[str, Callable[[], Check]]] = [
        ("disk", lambda: disk_check(settings, limits)),
        ("merge_delay", lambda: merge_delay_check(settings, log, limits)),
        ("anchoring", lambda: anchoring_check(settings, log, limits)),
        ("background", lambda: background_check(settings)),
    ]
    out = []
    for name, run in checks:
        try:
            out.append(run())
        except Exception as exc:  # the reason is the report
            out.append((name, False, f"check failed: {describe(exc)}"))
    return out


def readiness_body(results: list[Check]) -> dict[str, Any]:
    """``/readyz``'s body (``witness status --json`` carries it too)."""
    ready = all(ok for _, ok, _ in results)
    return {"status": "ready" if ready else "not ready",
            "checks": {name: {"ok": ok, "detail": detail} for name, ok, detail in results}}
