"""The ``witness-verify`` subcommands: receipt, bundle, ledger, checkpoints.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI, the SQLAlchemy ORM.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ledger.core.errors import MalformedError, VerificationError
from ledger.core.receipt import MAX_RECEIPT_SIZE, Receipt
from verifier.policy import TrustPolicy
from verifier.readers.files import check_json_depth, read_bounded
from verifier.readers.http import fetch, receipt_url
from verifier.report import Report

if TYPE_CHECKING:
    from verifier.readers.chain import RegistryReader

# The checks (and the chain libraries they use) are imported by the command that runs them:
# `witness-verify --help` lists the commands without loading any of it.
FILE = click.Path(path_type=Path, dir_okay=False)
DEFAULT_DB = Path("witness-data/witness.db")
FSCK_PROGRESS_EVERY = 10_000
"""Events between two fsck progress lines off a terminal (``WITNESS_PROGRESS_EVERY``)."""


def _setup(ctx: click.Context) -> tuple[Any, TrustPolicy, RegistryReader | None]:
    opts = ctx.find_root().obj
    policy = opts.policy()
    if opts.offline or not policy.chain:
        return opts, policy, None
    chain_id, registry = policy.require_chain_identity()
    from verifier.readers.chain import open_registry

    return opts, policy, open_registry(policy.chain, chain_id, registry, policy.genesis_hash)


def load_receipt(path: Path) -> Receipt:
    data = read_bounded(path, MAX_RECEIPT_SIZE, "receipt")
    check_json_depth(data)
    return Receipt.loads(data)


@click.command("receipt")
@click.argument("receipt_path", metavar="RECEIPT", type=FILE)
@click.option("--event", "event_file", type=FILE, help="Your own event JSON, to compare.")
@click.option("--file", "bid_file", type=FILE, help="Your bid file: its SHA-256 must match.")
@click.option("--upgrade", "upgrade_url", help="Ledger base URL to fetch the anchored receipt.")
@click.option("-o", "--output", type=FILE, help="Where to write the upgraded receipt.")
@click.option("--token-file", type=FILE, help="A file holding your API token for --upgrade "
              "(default: $WITNESS_TOKEN); never put a token on the command line.")
@click.pass_context
def receipt_cmd(ctx: click.Context, receipt_path: Path, event_file: Path | None,
                bid_file: Path | None, upgrade_url: str | None, output: Path | None,
                token_file: Path | None) -> None:
    """Verify a RECEIPT: promise, leaf, inclusion proof, checkpoint, anchor."""
    opts, policy, chain = _setup(ctx)
    receipt = load_receipt(receipt_path)
    if upgrade_url:
        receipt = _upgrade(receipt, upgrade_url, policy, _token(token_file))
    from verifier.receipt_check import check_receipt

    report = check_receipt(receipt, policy, chain, event_file, bid_file)
    if upgrade_url and report.ok:
        target = output or receipt_path.with_name(receipt_path.stem + ".upgraded.json")
        target.write_text(receipt.dumps(), encoding="utf-8")
        report.subject["upgraded_receipt"] = str(target)
    opts.emit(report)


def _token(token_file: Path | None) -> str | None:
    """The bearer token for --upgrade: from ``token_file`` (first line), else $WITNESS_TOKEN."""
    if token_file is None:
        return os.environ.get("WITNESS_TOKEN") or None
    text = read_bounded(token_file, 4096, "token file").decode("utf-8", "replace").strip()
    if not text or any(c.isspace() for c in text):
        raise MalformedError(f"token file {token_file} does not hold one token")
    return text


def _upgrade(old: Receipt, base: str, policy: TrustPolicy, token: str | None) -> Receipt:
    url = receipt_url(base, policy.upgrade_path, old.index)
    data = fetch(url, MAX_RECEIPT_SIZE, token)
    check_json_depth(data)
    new = Receipt.loads(data)
    same = (new.origin, new.index, new.leaf_hash, new.canonical_event)
    if same != (old.origin, old.index, old.leaf_hash, old.canonical_event):
        raise MalformedError(f"{url} returned a receipt for another event")
    return new


@click.command("bundle")
@click.argument("bundle_path", metavar="BUNDLE", type=FILE)
@click.option("--receipt", "receipts", multiple=True, type=FILE,
              help="A lead package's LEAD_TRANSFERRED / LEAD_ACKNOWLEDGED receipt: it must "
              "name this lead and this file's SHA-256 (repeatable).")
@click.pass_context
def bundle_cmd(ctx: click.Context, bundle_path: Path, receipts: tuple[Path, ...]) -> None:
    """Verify a project BUNDLE (or a lead package) and print its timeline."""
    opts, policy, chain = _setup(ctx)
    from verifier.bundle_check import check_bundle
    from verifier.bundle_parse import MAX_BUNDLE_SIZE

    data = read_bounded(bundle_path, MAX_BUNDLE_SIZE, "bundle")
    opts.emit(check_bundle(data, policy, chain, [load_receipt(r) for r in receipts]))


@click.command("ledger")
@click.option("--db", "db_url", default=None,
              help=f"SQLAlchemy URL or SQLite file (default {DEFAULT_DB}).")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Progress on stderr: a bar on a terminal, else a line every "
                   f"{FSCK_PROGRESS_EVERY} events.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Processes checking ranges of the log side by side (default: one per "
                   "CPU; 1: one process, one pass).")
@click.pass_context
def ledger_cmd(ctx: click.Context, db_url: str | None, progress: bool, jobs: int | None) -> None:
    """fsck: recompute a whole ledger from its database; name the first divergence."""
    from ledger.core.progress import Progress
    from verifier.ledger_check import check_ledger

    opts, policy, chain = _setup(ctx)
    meter = Progress("fsck", unit="events", verb="checked", every=FSCK_PROGRESS_EVERY,
                     enabled=progress, prefix="witness-verify: ")

    def tick(n: int, total: int) -> None:
        meter.total = total
        meter.advance(n)

    with meter:
        report = check_ledger(db_url or str(DEFAULT_DB), policy, chain, tick, jobs=jobs)
    opts.emit(report)


@click.command("checkpoints")
@click.argument("notes", nargs=-1, required=True, type=FILE)
@click.pass_context
def checkpoints_cmd(ctx: click.Context, notes: tuple[Path, ...]) -> None:
    """Verify checkpoint NOTES (signed notes): signatures, forks, and the chain."""
    from verifier.anchor_check import check_anchor
    from verifier.receipt_check import problem_code

    opts, policy, chain = _setup(ctx)
    report = Report("checkpoints", subject={"notes": len(notes)})
    seen: dict[int, bytes] = {}
    for path in notes:
        text = read_bounded(path, 16 * 1024, "checkpoint").decode("utf-8", "replace")
        try:
            cp = policy.log_keys.open_checkpoint(text, policy.origin)[0]
        except VerificationError as exc:
            report.fail(problem_code(exc), f"{path}: {exc}")
            continue
        report.count("checkpoints")
        if cp.size in seen and seen[cp.size] != cp.root:
            report.fail("fork", f"two roots signed for size {cp.size}: {seen[cp.size].hex()} "
                        f"and {cp.root.hex()}", evidence={"size": cp.size})
        elif cp.size not in seen:
            seen[cp.size] = cp.root
            check_anchor(report, chain, policy, cp.size, cp.root, None)
    report.skip("consistency between different sizes", "notes carry no consistency proof")
    opts.emit(report)
