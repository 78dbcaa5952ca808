"""Build a real ledger bound to the embedded chain and anchored on it (twice), for the
verifier's chain tests: init_home + bind_chain + append + Anchorer.anchor_once."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ledger.anchoring import bind_chain
from ledger.anchoring.anchorer import Anchorer
from ledger.anchoring.binding import ChainBinding, anchorer_account, open_bound_chain
from ledger.anchoring.signer import load_checkpoint_key
from ledger.events import Pseudonymizer
from ledger.home import init_home, open_log
from ledger.ingest import Ingestor
from ledger.keys import load_secret
from ledger.log import WitnessLog
from ledger.settings import Settings
from tests.verifier.conftest import PROJECTS, project_events
from verifier.policy import TrustPolicy, build

ORIGIN = "verify.chain.test/log"


@dataclass
class Anchored:
    settings: Settings
    binding: ChainBinding
    policy: TrustPolicy  # pinned chain id + registry, chain = embedded:<home>/chain

    @property
    def home(self) -> Path:
        return self.settings.home

    @property
    def db_path(self) -> Path:
        return self.home / "witness.db"

    @property
    def chain_spec(self) -> str:
        return f"embedded:{self.home / 'chain'}"

    def open(self) -> WitnessLog:
        return open_log(self.settings)


def _ingest(log: WitnessLog, ingestor: Ingestor, start: int, n: int, tag: str) -> None:
    evs = []
    for k in range(start, start + n):
        for p in PROJECTS:
            evs += [{**e, "event_id": e["event_id"] + tag} for e in project_events(p, k, 1)]
    results = ingestor.submit(evs)
    assert all(r.ok for r in results), [r.error for r in results]


def build_anchored(home: Path, *, keys_from: Path | None = None, tag: str = "",
                   batches: tuple[int, ...] = (4, 3)) -> Anchored:
    """A ledger of ``2 * sum(batches)`` submitted events (the default batches seal the bids
    and open them: 4 BIDS_UNSEALED more, 18 in all), one anchor per batch. ``keys_from`` copies
    the log key and the anchorer key of another home (same log key, same registry address
    on a fresh chain); ``tag`` makes the event ids (hence the roots) differ."""
    if keys_from is not None:
        home.mkdir(parents=True)
        for name in ("log.key", "anchorer.key", "pseudonym.key"):
            shutil.copy2(keys_from / name, home / name)
    settings = Settings(home=home, origin=ORIGIN, chain="embedded")
    info = init_home(settings)
    log = open_log(settings)
    try:
        binding = bind_chain(settings, log)
        ingestor = Ingestor(log, Pseudonymizer(load_secret(settings.pseudonym_key_path)))
        chain, binding = open_bound_chain(settings, log)
        try:
            anchorer = Anchorer(log, chain, binding, anchorer_account(settings, create=False),
                                checkpoint_key=load_checkpoint_key(settings.home))
            start = 0
            for n in batches:
                _ingest(log, ingestor, start, n, tag)
                start += n
                assert anchorer.anchor_once().action == "anchored"
        finally:
            chain.close()
    finally:
        log.db.dispose()
    policy = build(key=info["vkey"], origin=info["origin"], chain_id=binding.chain_id,
                   registry=binding.registry, chain=f"embedded:{home / 'chain'}")
    return Anchored(settings, binding, policy)


def copy_home(src: Anchored, dest: Path) -> Anchored:
    """A copy of the whole home (database and chain directory) to tamper with."""
    shutil.copytree(src.home, dest, ignore=shutil.ignore_patterns("writer.lock"))
    settings = src.settings.model_copy(update={"home": dest})
    return Anchored(settings, src.binding, replace(src.policy, chain=f"embedded:{dest / 'chain'}"))


def anchor_refs(a: Anchored) -> dict[int, dict[str, Any]]:
    log = a.open()
    try:
        with log.db.read() as conn:
            sizes = [int(r[0]) for r in conn.exec_driver_sql(
                "SELECT checkpoint_size FROM anchors ORDER BY checkpoint_size")]
        return {s: ref.to_json() for s in sizes if (ref := log.anchor_for(s)) is not None}
    finally:
        log.db.dispose()
