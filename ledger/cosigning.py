"""Asking the log's independent witnesses to cosign its checkpoints (C2SP tlog-witness).

Role: for each sealed checkpoint, every configured witness (``WITNESS_COSIGNERS``: ``URL
VKEY`` entries separated by ``;`` or newlines) gets ``POST URL/add-checkpoint`` with a
consistency proof from the size it last cosigned (what we stored, or what its 409 answer
said). A returned line is checked against the witness's pinned key before it is stored in
``cosignatures``; from then on the checkpoint note is handed out with the stored lines
appended (:func:`with_cosignatures`), so receipts, bundles and lead packages carry them.

Witnesses are asked from their own thread with short timeouts, never from the ingest path:
a slow or down witness delays only its own cosignature, retried later with a backoff.
Must not import the API or the verifier.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, insert, select

from ledger.core.cosignature import WitnessKey, count_cosignatures
from ledger.core.errors import MalformedError, WitnessError
from ledger.core.note import split_note
from ledger.loops import LoopMonitor
from ledger.store.schema import cosignatures

if TYPE_CHECKING:
    import requests

    from ledger.log import CheckpointRecord, WitnessLog
    from ledger.settings import Settings

_log = logging.getLogger("witness.cosigning")
SIZE_TYPE = "text/x.tlog.size"
MAX_ANSWER = 4096
LOOP = "cosigner"  # its name in health records and metrics


@dataclass(frozen=True)
class WitnessEndpoint:
    """One witness the log asks: where it listens and the key its cosignatures must verify."""

    url: str
    key: WitnessKey


def parse_cosigners(text: str) -> list[WitnessEndpoint]:
    """The ``URL VKEY`` entries of the ``cosigners`` setting."""
    out = []
    for entry in text.replace("\n", ";").split(";"):
        if not entry.strip():
            continue
        parts = entry.split()
        if len(parts) != 2 or not parts[0].startswith(("http://", "https://")):
            raise MalformedError(f"cosigner entry {entry.strip()[:80]!r} is not 'URL VKEY'")
        out.append(WitnessEndpoint(parts[0].rstrip("/"), WitnessKey.from_vkey(parts[1])))
    if len({e.key.name for e in out}) != len(out):
        raise MalformedError("two cosigners have the same witness name")
    return out


def with_cosignatures(conn: Connection, size: int, note: str,
                      witnesses: Collection[str] | None = None) -> str:
    """The checkpoint note of ``size`` with the stored cosignature lines appended (by
    witness name, so the same stored lines always give the same bytes); ``witnesses``:
    only theirs (a lead package fixed at its transfer)."""
    query = select(cosignatures.c.line).where(cosignatures.c.checkpoint_size == size)
    if witnesses is not None:
        query = query.where(cosignatures.c.witness.in_(list(witnesses)))
    lines = conn.execute(query.order_by(cosignatures.c.witness)).scalars().all()
    return note + "".join(str(line) for line in lines)


class WitnessRefused(WitnessError):
    """A witness answered with an error status (the body says why)."""


class CosignClient:
    """Asks every witness of one log, remembering the size each one last cosigned."""

    def __init__(self, log: WitnessLog, endpoints: list[WitnessEndpoint],
                 timeout: float = 5.0) -> None:
        self.log = log
        self.endpoints = endpoints
        self.timeout = timeout
        self._sizes: dict[str, int] = {}  # learned from 409 answers
        self._retry_at: dict[str, tuple[float, float]] = {}  # name -> (when, backoff)

    def cosign(self, checkpoint: CheckpointRecord) -> dict[str, str]:
        """Ask the witnesses that have not cosigned ``checkpoint`` yet, concurrently; the
        outcome per witness ("cosigned", "already", or why not)."""
        due = [e for e in self.endpoints if time.monotonic() >= self._retry_at.get(
            e.key.name, (0.0, 0.0))[0]]
        if not due:
            return {}
        with ThreadPoolExecutor(max_workers=len(due)) as pool:
            results = pool.map(lambda e: (e.key.name, self._ask_safely(e, checkpoint)), due)
            return dict(results)

    def _ask_safely(self, endpoint: WitnessEndpoint, checkpoint: CheckpointRecord) -> str:
        name = endpoint.key.name
        import requests  # only where witnesses are asked: a log reader must not load it

        try:
            outcome = self._ask(endpoint, checkpoint)
        except (requests.RequestException, WitnessError) as exc:
            _, backoff = self._retry_at.get(name, (0.0, 0.5))
            backoff = min(backoff * 2, 60.0)
            self._retry_at[name] = (time.monotonic() + backoff, backoff)
            # logged by the caller: once per streak in the service (``follow``), on the
            # command line as an outcome
            _log.debug("witness %s did not cosign size %d: %s", name, checkpoint.size, exc)
            return f"failed: {exc}"
        self._retry_at.pop(name, None)
        return outcome

    def _ask(self, endpoint: WitnessEndpoint, checkpoint: CheckpointRecord) -> str:
        name = endpoint.key.name
        if self._stored(name, checkpoint.size):
            return "already"
        old = self._sizes.get(name)
        if old is None:
            old = self._last_cosigned(name)
        for _ in range(2):  # once more after a 409 told us the witness's size
            if old > checkpoint.size:
                raise WitnessRefused(f"the witness has cosigned size {old}, beyond "
                                     f"{checkpoint.size}")
            answer = self._post(endpoint, checkpoint, old)
            if answer.status_code == 409 and answer.headers.get("content-type", "").startswith(
                    SIZE_TYPE):
                old = _size_of(answer.text)
                self._sizes[name] = old
                continue
            if answer.status_code != 200:
                if answer.status_code == 422:
                    _log.error("witness %s says checkpoint %d is not consistent with what it "
                               "cosigned: %s", name, checkpoint.size, answer.text[:300])
                raise WitnessRefused(f"HTTP {answer.status_code}: {answer.text[:300].strip()}")
            self._store(endpoint, checkpoint, answer.text)
            self._sizes[name] = checkpoint.size
            return "cosigned"
        raise WitnessRefused("the witness's size kept changing")

    def _post(self, endpoint: WitnessEndpoint, checkpoint: CheckpointRecord,
              old: int) -> requests.Response:
        proof = (self.log.consistency_proof(old, checkpoint.size)
                 if 0 < old < checkpoint.size else [])
        body = f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof)
        body += "\n" + checkpoint.note
        import requests

        return requests.post(f"{endpoint.url}/add-checkpoint", data=body.encode(),
                             timeout=self.timeout, allow_redirects=False)

    def _store(self, endpoint: WitnessEndpoint, checkpoint: CheckpointRecord, text: str) -> None:
        """Keep the one line of the answer that is a valid cosignature by this witness."""
        body, _ = split_note(checkpoint.note)
        for line in text[:MAX_ANSWER].splitlines():
            try:
                _, sigs = split_note(f"{body}\n{line}\n")
            except MalformedError:
                continue
            count = count_cosignatures(body, sigs, [endpoint.key])
            if endpoint.key.name in count.valid:
                self._insert(endpoint.key.name, checkpoint.size, line + "\n",
                             count.valid[endpoint.key.name])
                return
        raise WitnessRefused("the answer holds no valid cosignature by the pinned witness key")

    def _insert(self, name: str, size: int, line: str, cosigned_at: int) -> None:
        with self.log.db.write() as conn:
            if conn.execute(select(cosignatures.c.witness).where(
                    cosignatures.c.checkpoint_size == size,
                    cosignatures.c.witness == name)).first() is None:
                conn.execute(insert(cosignatures), [{
                    "checkpoint_size": size, "witness": name, "line": line,
                    "cosigned_at": cosigned_at,
                    "received_at": datetime.now(UTC).isoformat(timespec="seconds")}])

    def _stored(self, name: str, size: int) -> bool:
        with self.log.db.read() as conn:
            return conn.execute(select(cosignatures.c.witness).where(
                cosignatures.c.checkpoint_size == size,
                cosignatures.c.witness == name)).first() is not None

    def _last_cosigned(self, name: str) -> int:
        with self.log.db.read() as conn:
            size = conn.execute(select(func.max(cosignatures.c.checkpoint_size))
                                .where(cosignatures.c.witness == name)).scalar()
        return 0 if size is None else int(size)

    def follow(self, stop: threading.Event, interval: float = 1.0,
               monitor: LoopMonitor | None = None) -> None:
        """Ask for the newest checkpoint every ``interval`` seconds until ``stop``.

        A round whose store read fails waits the monitor's backoff; a witness that did not
        cosign is a failed round too (so its cause is on record) but waits only for its own
        backoff, and the others are still asked."""
        monitor = monitor or LoopMonitor(LOOP, None, logger=_log)
        while not stop.is_set():
            try:
                self._round(monitor)
            except Exception as exc:  # a database hiccup must not end cosigning for good
                stop.wait(monitor.failed(exc))
                continue
            stop.wait(interval)
        monitor.stopped()

    def _round(self, monitor: LoopMonitor) -> None:
        latest = self.log.latest_checkpoint()
        outcomes = self.cosign(latest) if latest is not None else {}
        failed = {name: o for name, o in outcomes.items() if o.startswith("failed")}
        if failed:
            name = sorted(failed)[0]
            monitor.failed(WitnessRefused(f"witness {name} did not cosign size "
                                          f"{latest.size if latest else 0}: "
                                          f"{failed[name].removeprefix('failed: ')}"))
        elif outcomes and not self._retry_at:  # no witness still failing: the streak is over
            monitor.ok()


def _size_of(text: str) -> int:
    value = text.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 20:
        raise WitnessRefused(f"409 answer is not a tree size: {value[:40]!r}")
    return int(value)


def start_cosigner(log: WitnessLog, settings: Settings,
                   interval: float = 1.0) -> threading.Event | None:
    """Start asking the configured witnesses in a daemon thread; set the returned event to
    stop it. None when no witness is configured."""
    endpoints = parse_cosigners(settings.cosigners)
    if not endpoints:
        return None
    stop = threading.Event()
    client = CosignClient(log, endpoints)
    monitor = LoopMonitor.named(LOOP, settings.home, logger=_log)
    threading.Thread(target=client.follow, args=(stop, interval, monitor),
                     name="witness-cosigner", daemon=True).start()
    return stop


def cosign_now(log: WitnessLog, settings: Settings,
               checkpoint: CheckpointRecord) -> tuple[CheckpointRecord, dict[str, str]]:
    """Ask the configured witnesses for ``checkpoint`` once (``witness checkpoint``): the
    checkpoint as now stored, with what cosignatures came back, and each witness's outcome."""
    endpoints = parse_cosigners(settings.cosigners)
    if not endpoints:
        return checkpoint, {}
    outcomes = CosignClient(log, endpoints).cosign(checkpoint)
    return log.checkpoint_at(checkpoint.size), outcomes
