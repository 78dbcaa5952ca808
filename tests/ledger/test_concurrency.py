"""Several writer *processes* appending at once get a gap-free, race-free log, on SQLite and
on the real PostgreSQL server: every acknowledged event is present exactly once, the tree
hashes match a recomputation and every project chain links up."""

from __future__ import annotations

import multiprocessing as mp

import sqlalchemy as sa

from ledger.core.canonical import ZERO_HASH, decode_envelope
from ledger.core.hashing import leaf_hash
from ledger.home import open_log
from ledger.log import Appended
from ledger.settings import Settings
from tests import reference_merkle as ref
from tests.ledger.conftest import make_event

WRITERS = 4
BATCHES = 6
PER_BATCH = 25


def _writer(settings_json: str, writer: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    log = open_log(Settings.model_validate_json(settings_json))
    acked = []
    for b in range(BATCHES):
        base = (writer * BATCHES + b) * PER_BATCH
        batch = [make_event(base + i, project=f"P-{i % 3}") for i in range(PER_BATCH)]
        acked += [(r.event_id, r.index) for r in log.append(batch) if isinstance(r, Appended)]
    out.put(acked)


def test_concurrent_processes_append_gap_free(settings: Settings) -> None:
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [ctx.Process(target=_writer, args=(settings.model_dump_json(), w, out))
             for w in range(WRITERS)]
    for p in procs:
        p.start()
    acked = [pair for _ in procs for pair in out.get(timeout=300)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    total = WRITERS * BATCHES * PER_BATCH
    assert len(acked) == total
    assert sorted(i for _, i in acked) == list(range(total))

    log = open_log(settings)
    with log.db.read() as conn:
        rows = conn.execute(sa.text(
            "SELECT idx, event_id, canonical FROM events ORDER BY idx")).all()
    assert [r[0] for r in rows] == list(range(total))
    assert dict(acked) == {r[1]: r[0] for r in rows}
    leaves = [leaf_hash(bytes(r[2])) for r in rows]
    assert log.tree_hash(total) == ref.mth(leaves)
    _assert_project_chains([bytes(r[2]) for r in rows])
    log.db.dispose()


def _assert_project_chains(canonical: list[bytes]) -> None:
    heads: dict[str, tuple[int, bytes]] = {}
    for data in canonical:
        env = decode_envelope(data)
        seq, prev = heads.get(env["project_id"], (-1, ZERO_HASH))
        assert (env["project_seq"], env["prev"]) == (seq + 1, prev.hex())
        heads[env["project_id"]] = (seq + 1, leaf_hash(data))
