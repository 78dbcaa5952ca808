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
from typing import TYPE_CHECKING, Any, Protocol

from chain_access import EMBEDDED_SUBDIR
from ledger.anchoring.bound import chains_in
from ledger.loops import describe, read_health
from ledger.store.status_read import LogReader, for_database, sqlite_file

if TYPE_CHECKING:
    from ledger.log import WitnessLog

Check = tuple[str, bool, str]
MIB = 1024 * 1024


class OpsSettings(Protocol):
    """What the checks read of the settings, their thresholds included
    (``ledger.settings.Settings`` has it all)."""

    @property
    def home(self) -> Path: ...
    @property
    def chain(self) -> str: ...
    @property
    def database_url(self) -> str: ...
    @property
    def mmd_seconds(self) -> int: ...
    @property
    def checkpoint_interval(self) -> float: ...
    @property
    def min_free_mb(self) -> float: ...
    @property
    def stall_intervals(self) -> float: ...
    @property
    def mmd_risk_fraction(self) -> float: ...


def log_reader(log: WitnessLog) -> LogReader:
    """The reader the checks ask, over an open log's database and clock."""
    return for_database(log.db, log.clock)


def free_space(settings: OpsSettings) -> list[tuple[str, Path, int]]:
    """(what lives there, path, free bytes) per file system holding the log's files."""
    found: dict[int, tuple[list[str], Path, int]] = {}
    for what, path in _places(settings):
        try:
            device, free = os.stat(path).st_dev, shutil.disk_usage(path).free
        except OSError:  # not there (yet): nothing to fill
            continue
        found.setdefault(device, ([], path, free))[0].append(what)
    return [(", ".join(whats), path, free) for whats, path, free in found.values()]


def _places(settings: OpsSettings) -> list[tuple[str, Path]]:
    places = []
    database = _sqlite_database(settings.database_url)
    if database and database != ":memory:":
        places.append(("the database", Path(database).resolve().parent))
    places.append(("the data directory", settings.home.resolve()))
    spec = settings.chain.strip()
    if spec == "embedded" or spec.startswith("embedded:"):
        chain_dir = Path(spec.partition(":")[2] or settings.home / EMBEDDED_SUBDIR)
        places.append(("the embedded chain", chain_dir.resolve()))
    return places


def _sqlite_database(url: str) -> str | None:
    """The database of a SQLite URL (a file, or ":memory:"); None for another database."""
    if not url.startswith("sqlite"):
        return None
    plain = sqlite_file(url)
    if plain is not None:
        return plain
    from sqlalchemy.engine import make_url  # an unusual SQLite URL: as SQLAlchemy reads it

    return make_url(url).database


def disk_check(settings: OpsSettings) -> Check:
    minimum = int(settings.min_free_mb * MIB)
    places = free_space(settings)
    low = [p for p in places if p[2] < minimum]
    shown = low or places
    detail = "; ".join(f"{_mib(free)} free on {path} ({what})" for what, path, free in shown)
    if low:
        detail = (f"disk nearly full: {detail}, below the minimum of {_mib(minimum)} "
                  "(WITNESS_MIN_FREE_MB); writes fail once it is full")
    if not settings.database_url.startswith("sqlite"):
        detail += ("; the PostgreSQL database's own disk is not visible from here "
                   "(not applicable: watch it on the database server)")
    return "disk", not low, detail


def _mib(n: int) -> str:
    return f"{n / MIB:.1f} MiB" if n < 10 * 1024 * MIB else f"{n / MIB / 1024:.1f} GiB"


def merge_delay_check(settings: OpsSettings, log: LogReader) -> Check:
    mmd = settings.mmd_seconds
    waiting = log.oldest_unsealed()
    if waiting is None:
        return "merge_delay", True, f"every event is in a checkpoint (promise: {mmd} s)"
    index, age = waiting
    where = (f"event {index} was received {age:.0f} s ago and is in no checkpoint yet; "
             f"receipts promise one within {mmd} s (WITNESS_MMD_SECONDS)")
    if age > mmd:
        return "merge_delay", False, f"merge delay broken: {where}"
    if age >= settings.mmd_risk_fraction * mmd:
        return "merge_delay", False, (f"merge delay at risk: {where}; "
                                      f"{age / mmd:.0%} of it has passed")
    return "merge_delay", True, f"oldest event in no checkpoint: {age:.0f} s of {mmd} s"


def anchoring_check(settings: OpsSettings, log: LogReader) -> Check:
    chains = chains_in(log.info())
    if not chains:
        return "anchoring", True, "not bound to a chain: nothing to anchor"
    primary = chains[0].binding
    anchored, last = log.anchored(primary.chain_id, primary.registry)
    oldest = log.received_at(anchored)
    since_anchor = None if last is None else log.age_seconds(last)
    last_text = "never" if since_anchor is None else f"{since_anchor:.0f} s ago"
    if oldest is None:
        return "anchoring", True, f"every event anchored on chain {primary.chain_id} " \
                                  f"(last anchor {last_text})"
    waiting = log.size() - anchored
    quiet = log.age_seconds(oldest)
    if since_anchor is not None:  # anchors made since the oldest arrived are progress
        quiet = min(quiet, since_anchor)
    limit = settings.stall_intervals * settings.checkpoint_interval
    state = (f"{waiting} event(s) wait for chain {primary.chain_id} (the oldest, event "
             f"{anchored}); last anchor {last_text}")
    if quiet > limit:
        return "anchoring", False, (
            f"anchoring stalled: {state}; nothing anchored for {quiet:.0f} s, more than "
            f"{settings.stall_intervals:g} × the checkpoint interval ({limit:.0f} s)")
    return "anchoring", True, state


def background_check(settings: OpsSettings) -> Check:
    records = read_health(settings.home)
    if not records:
        return "background", True, "no background loop has run from this data directory"
    broken = [r for r in records if r.broken]
    # a worker campaigning for an office is worth a word only once it failed
    shown = [r for r in records if not (r.loop.endswith("-campaign") and not r.failures)]
    return "background", not broken, "; ".join(r.summary() for r in shown) or \
        "no background loop has failed in this process"


def operational_checks(settings: OpsSettings, log: WitnessLog) -> list[Check]:
    """Every check below, on an open log (the service's ``/readyz``)."""
    return run_checks(settings, log_reader(log))


def run_checks(settings: OpsSettings, log: LogReader) -> list[Check]:
    """Every check above; one that cannot run (its query failed) is a failed check."""
    checks: list[tuple[str, Callable[[], Check]]] = [
        ("disk", lambda: disk_check(settings)),
        ("merge_delay", lambda: merge_delay_check(settings, log)),
        ("anchoring", lambda: anchoring_check(settings, log)),
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
