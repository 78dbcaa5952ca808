"""fsck: recompute a whole ledger from its database and name the first divergence.

Role: the events are checked range by range in index order (``fsck_range``: every leaf
recomputed from the stored canonical bytes, the tree rebuilt and every stored hash compared,
the per-project chains, every stored receipt batch — ``fsck_batches``: its signed promise,
its root over the leaves as they pass, the events' time, no event outside a batch), one
range after another in this process or in worker processes (``--jobs``); either way
``fsck_join`` replays each range's findings, in order, into the state kept here. This module
checks every checkpoint at the size the joined tree reaches it (signature with the pinned key
or one its recorded rotations hand over to, ``fsck_keys``; signed root = row root =
recomputed root at that size — which also proves consistency between consecutive
checkpoints, since all roots come from one append-only recomputation) and each anchor row
against the chain. A sealed record contributes its stored leaf (its bytes are encrypted
until its section's opening) and is no project-chain link; once released, ``fsck_sealed``
opens it. Memory: the frontier, one chunk, one (seq, leaf) per project, the findings of a
bounded range — O(log n + range + projects) — plus the anchor rows, a count per sealed scope
and the releases' index lists.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI, the SQLAlchemy ORM.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from sqlalchemy import Connection

from ledger.core import tree
from ledger.core.anchor_ref import AnchorRef, parse_anchor
from ledger.core.errors import MalformedError, VerificationError
from ledger.core.key_rotation import KeyRotationError
from verifier.anchor_check import check_anchor
from verifier.fsck_batches import BatchStream, PromiseKeys
from verifier.fsck_join import MAX_RANGE_CHUNKS as LONGEST
from verifier.fsck_join import plan, run_here, run_ranges
from verifier.fsck_keys import key_history
from verifier.fsck_links import ProjectChains
from verifier.fsck_sealed import SealedScopes
from verifier.fsck_tree import locate as locate  # its home moved; named here as before
from verifier.further_chains import FurtherChains, check_further
from verifier.policy import TrustPolicy
from verifier.readers import SourceUnavailable
from verifier.readers.chain import OnChainCheckpoint, RegistryReader
from verifier.readers.db import LedgerDB, database_url
from verifier.report import Problem, Report
from verifier.succession import linked_checkpoints
from verifier.witness_check import check_ledger_witnesses

CHUNK = 5000
PARALLEL_FROM = 4  # chunks: a smaller log is checked in one process whatever --jobs says
Progress = Callable[[int, int], None]  # (events just checked, total)


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Fsck:
    """The state the ranges are joined into (``fsck_join``): frontier, project heads,
    next checkpoint, the receipt batch open across a boundary, sealed scopes."""

    def __init__(self, report: Report, policy: TrustPolicy, db: LedgerDB, conn: Connection,
                 size: int, chain: RegistryReader | None) -> None:
        self.report, self.policy, self.db, self.conn = report, policy, db, conn
        self.size, self.chain = size, chain
        self.frontier = tree.EMPTY_FRONTIER
        self.next_index = 0
        self.tree_ok = True
        self.links = ProjectChains(report)
        self.sealed = SealedScopes(report, policy.origin)
        self.keys = key_history(report, policy, db, conn)  # the log's rotations, verified
        self.batch_keys = PromiseKeys(self.keys.keys, tuple(self.keys.announced), policy.origin)
        # fed by the ranges' findings only (each range reads its own batch rows)
        self.batches = BatchStream(self.batch_keys, self.batch_judged, iter(()))
        self.checkpoints = db.checkpoints(conn)
        self.pending_cp = next(self.checkpoints, None)
        self.anchors, self.further, self.stray = _split_anchors(db.anchors(conn),
                                                                db.log_info(conn))
        self.further_chains = FurtherChains(policy, chain is not None)
        # every checkpoint of this log on chain, by size: each must be a size the log
        # signed (same root) or at least the recomputed tree at that size, never beyond it
        self.on_chain = self._load_chain()
        self.chain_sizes = sorted(self.on_chain)

    def _gap(self, idx: int, event_id: str | None) -> None:
        self.report.fail("sequence", f"events {self.next_index}..{idx - 1} are missing from "
                         f"the log (index gap)", index=self.next_index,
                         evidence={"next_present": idx, "next_event_id": event_id})
        self.tree_ok = False
        self.batches.stop()
        self.report.skip(f"tree hashes, checkpoint roots and receipt batches from index "
                         f"{self.next_index}", "cannot recompute the tree across missing events")

    def batch_judged(self, problem: Problem | None, judged: bool) -> None:
        """A receipt batch checked (``fsck_batches``), or a hole between batches."""
        if judged:
            self.report.count("receipt_batches")
        if problem is not None:
            self.report.add(problem)

    def _load_chain(self) -> dict[int, OnChainCheckpoint]:
        if self.chain is None:
            return {}
        try:
            # a frozen pinned log: its trusted checkpoints, then its successors' (succession)
            found = linked_checkpoints(self.report, self.chain,
                                       bytes.fromhex(self.policy.pinned_log_id[2:]))
        except SourceUnavailable as exc:
            self.report.skip("checkpoints of the log on chain", str(exc), unreachable=True)
            return {}
        return {c.tree_size: c for c in found}

    def _next_stop(self) -> int | None:
        """The next size the tree must stop at: a stored checkpoint or one on chain."""
        stops = [self.pending_cp[0]] if self.pending_cp is not None else []
        stops += self.chain_sizes[:1]
        return min(stops, default=None)

    def event_id(self, index: int) -> str | None:
        """The event id at an index (a problem found by a range worker names it)."""
        return self.db.event_ids(self.conn, index, index).get(index)

    def due_checkpoints(self) -> None:
        while self.pending_cp is not None and self.pending_cp[0] <= self.frontier.size:
            size, root_col, note = self.pending_cp
            if size == self.frontier.size:
                self.checkpoint(size, root_col, note, self.frontier.root)
            self.pending_cp = next(self.checkpoints, None)
        while self.chain_sizes and self.chain_sizes[0] <= self.frontier.size:
            on = self.on_chain.pop(self.chain_sizes.pop(0), None)
            if on is not None and on.tree_size == self.frontier.size:
                self._chain_only(on, self.frontier.root)

    def _chain_only(self, on: OnChainCheckpoint, calculated: bytes) -> None:
        """A checkpoint on chain of a size the log signed no checkpoint for."""
        if on.root != calculated:
            self.report.fail("fork", f"the chain holds checkpoint #{on.index} of size "
                             f"{on.tree_size} with root {on.root.hex()}; the log's tree at "
                             f"that size has root {calculated.hex()}", index=on.tree_size,
                             evidence={"size": on.tree_size, "chain_index": on.index,
                                       "chain_root": on.root.hex(),
                                       "tree_root": calculated.hex()})

    def checkpoint(self, size: int, root_col: bytes, note: str, calculated: bytes | None) -> None:
        report, where = self.report, {"index": size, "evidence": {"checkpoint_size": size}}
        try:
            cp = self.keys.open(note, size)
        except (VerificationError, MalformedError) as exc:
            code = exc.code if isinstance(exc, KeyRotationError) else "signature"
            report.fail(code, f"checkpoint {size}: {exc}", **where)
            return
        report.count("checkpoints")
        if cp.size != size or cp.root != root_col:
            report.fail("root", f"checkpoint row {size} says root {root_col.hex()}, its signed "
                        f"note says size {cp.size} root {cp.root.hex()}", **where)
        elif calculated is not None and calculated != cp.root:
            report.fail("root", f"recomputed root of size {size} is {calculated.hex()}, the "
                        f"signed checkpoint says {cp.root.hex()}", **where)
        anchor = self.anchors.pop(size, None)
        self.on_chain.pop(size, None)  # check_anchor compares it with the signed root
        if self.chain is not None or anchor is not None:
            try:
                ref = _anchor_ref(anchor, size, cp.root)
            except MalformedError as exc:
                report.fail("anchor", f"anchor row of checkpoint {size}: {exc}", **where)
                return
            check_anchor(report, self.chain, self.policy, size, cp.root, ref)
        more = self.further.pop(size, [])
        if self.policy.chains or more:
            try:
                refs = [r for r in (_anchor_ref(m, size, cp.root) for m in more) if r]
            except MalformedError as exc:
                report.fail("anchor", f"anchor row of checkpoint {size}: {exc}", **where)
                return
            check_further(report, self.further_chains, size, cp.root, None, refs)

    def finish(self) -> None:
        self.batches.finish(self.db, self.conn, self.next_index)
        for size, root_col, note in _rest(self.pending_cp, self.checkpoints):
            if size > self.next_index:
                self.report.fail("sequence", f"checkpoint of size {size} but the log holds "
                                 f"only {self.next_index} events: events were removed",
                                 index=self.next_index, evidence={"checkpoint_size": size})
            self.checkpoint(size, root_col, note, None)
        extra = self.db.tree_count_from(self.conn, tree.stored_hash_count(self.next_index))
        if extra and self.tree_ok:
            self.report.fail("node", f"{extra} stored tree hash(es) beyond the last event: "
                             f"events were removed", index=self.next_index)
        for size in sorted(set(self.anchors) | set(self.further)):
            self.report.fail("anchor", f"anchor row for size {size} without a checkpoint",
                             evidence={"checkpoint_size": size})
        for row in self.stray:
            self.report.fail("anchor", f"anchor row for size {row['checkpoint_size']} names "
                             f"chain {row['chain_id']} registry {row['registry']}, which the "
                             "log is not bound to", evidence={"anchor_row": row})
        self.further_chains.close()
        self._beyond_the_log()

    def _beyond_the_log(self) -> None:
        """Chain checkpoints left unmatched once every event and checkpoint was read."""
        for size, on in sorted(self.on_chain.items()):
            if size > self.next_index:
                self.report.fail("sequence", f"the chain holds checkpoint #{on.index} of size "
                                 f"{size} (root {on.root.hex()}) but the log holds only "
                                 f"{self.next_index} events and signed no such checkpoint",
                                 index=size, evidence={"size": size, "chain_index": on.index,
                                                       "chain_root": on.root.hex(),
                                                       "log_size": self.next_index})
            else:
                self.report.skip(f"chain checkpoint #{on.index} (size {size})",
                                 "the tree was not recomputed up to that size")
        self.report.counts["projects"] = self.links.projects


def _rest(first: Any, more: Any) -> list[tuple[int, bytes, str]]:
    return ([] if first is None else [first]) + list(more)


def _split_anchors(rows: list[dict[str, Any]], info: dict[str, str]
                   ) -> tuple[dict[int, dict[str, Any]], dict[int, list[dict[str, Any]]],
                              list[dict[str, Any]]]:
    """Anchor rows by size: those on the further chains recorded in ``log_info``
    (``chains.<n>.``), and the others, checked as the primary chain's: a row naming a chain
    the log is not bound to is compared with the pinned chain and fails. Of two such rows
    for one size, the one on the recorded primary chain is taken first."""
    def key(prefix: str) -> tuple[str, str]:
        return info.get(prefix + "chain_id", ""), info.get(prefix + "registry", "").lower()

    bound = {key(k.removesuffix("chain_id")) for k in info
             if k.startswith("chains.") and k.endswith(".chain_id")}
    primary = key("chain.")
    first: dict[int, dict[str, Any]] = {}
    further: dict[int, list[dict[str, Any]]] = {}
    stray: list[dict[str, Any]] = []
    for row in sorted(rows, key=lambda r: (str(r["chain_id"]), str(r["registry"]).lower())
                      != primary):
        size = int(row["checkpoint_size"])
        if (str(row["chain_id"]), str(row["registry"]).lower()) in bound:
            further.setdefault(size, []).append(row)
        elif size in first:
            stray.append(row)  # another claim for the size, on no chain the log is bound to
        else:
            first[size] = row
    return first, further, stray


def _anchor_ref(row: dict[str, Any] | None, size: int, root: bytes) -> AnchorRef | None:
    """An anchor row as a reference to the signed checkpoint (size, root)."""
    if row is None:
        return None
    obj = {k: row.get(k) for k in ("chain_id", "registry", "log_id", "chain_index", "tx_hash",
                                   "block_number", "block_hash", "block_timestamp")}
    return parse_anchor(obj | {"tree_size": size, "root": root.hex()}, "anchor row")


def check_ledger(db_url: str, policy: TrustPolicy, chain: RegistryReader | None = None,
                 progress: Progress | None = None, *, jobs: int | None = None,
                 chunk: int = CHUNK, span: int | None = None) -> Report:
    """fsck the ledger at ``db_url`` (a SQLAlchemy URL or a SQLite file path), in ``jobs``
    processes (default: one per CPU; 1 checks the log's ranges one after another in this
    process, with the same code).
    ``chunk`` rows are read at a time; ``span`` (a multiple of it) sets the ranges' size."""
    url = database_url(db_url)
    db = LedgerDB(url)
    report = Report("ledger", subject={"database": db.engine.url.render_as_string(True)})
    with db.connect() as conn, ExitStack() as workers:
        info = db.log_info(conn)
        report.subject.update({"origin": info.get("origin"), "log_size": db.size(conn)})
        if info.get("origin") != policy.origin:
            report.fail("origin", f"the database is log {info.get('origin')!r}, the policy "
                        f"trusts {policy.origin!r}")
            return report
        state = _Fsck(report, policy, db, conn, report.subject["log_size"], chain)
        state.due_checkpoints()
        jobs = default_jobs() if jobs is None else max(1, jobs)
        ranges = plan(state.size, jobs, chunk, span)
        # below a few chunks, starting the workers costs more than they save
        if jobs > 1 and len(ranges) > 1 and state.size >= PARALLEL_FROM * chunk:
            report.subject["jobs"] = min(jobs, len(ranges))
            run_ranges(state, url, ranges, jobs, chunk, progress, workers)
        else:  # the same range code, one range after another in this process
            run_here(state, (db, conn), plan(state.size, 1, chunk, span or LONGEST * chunk),
                     chunk, progress)
        state.finish()
        state.sealed.verify(db, conn)
        check_ledger_witnesses(report, policy, db, conn)
    if chain is None:
        report.skip("anchors on chain", "no chain given")
    return report
