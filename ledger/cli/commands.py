"""Commands of the witness log: init, ingest, checkpoint, prove, consistency, status, receipt."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import click

from ledger.cli.app import Context, cli, fail, json_option
from ledger.core.json_text import JsonInputError, loads_strict
from ledger.core.progress import Progress
from ledger.events import EventValidationError, Pseudonymizer
from ledger.home import init_home, open_log, read_log_info
from ledger.ingest import Ingestor, ItemResult
from ledger.keys import load_secret
from ledger.log import WitnessLog
from ledger.runtime import long_running

MAX_LINE_BYTES = 1024 * 1024
PROGRESS_EVERY = 1000
"""Lines between two progress lines when stderr is not a terminal (a log, a pipe);
``WITNESS_PROGRESS_EVERY`` overrides it (``ledger.core.progress``)."""
pass_ctx = click.make_pass_decorator(Context)


def _log(ctx: Context) -> WitnessLog:
    return open_log(ctx.settings)


@cli.command()
@json_option
@click.option("--origin", default=None, help="Log origin (C2SP), e.g. ggzy.ln.example/witness.")
@click.option("--no-chain", is_flag=True, help="Do not deploy/attach the registry yet.")
@pass_ctx
def init(ctx: Context, origin: str | None, no_chain: bool) -> None:
    """Create the data directory, keys (0600), schema; deploy or attach the registry."""
    from ledger.anchoring import bind_chain

    if origin:
        ctx.settings.origin = origin
    info = init_home(ctx.settings)
    if origin and info["origin"] != origin:
        # the origin is in every checkpoint and receipt: a log never changes it
        raise click.UsageError(f"this log's origin is {info['origin']!r}, not {origin!r}; an "
                               "origin never changes (use another --home for a new log)")
    data: dict[str, Any] = {"home": str(ctx.settings.home), **info, "chain": None}
    if not no_chain:
        data["chain"] = bind_chain(ctx.settings, open_log(ctx.settings)).__dict__
    ctx.emit(data, _init_text)


def _init_text(d: dict[str, Any]) -> str:
    lines = [f"log {d['origin']} ready in {d['home']}", f"public key: {d['vkey']}"]
    if d["chain"]:
        c = d["chain"]
        lines.append(f"registry {c['registry']} on chain {c['chain_id']} ({c['spec']}), "
                     f"log id {c['log_id']}")
    return "\n".join(lines)


def _read_lines(fh: TextIO) -> Iterator[tuple[int, Any | None, str | None]]:
    for number, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        if len(line) > MAX_LINE_BYTES:
            yield number, None, f"line longer than {MAX_LINE_BYTES} bytes"
            continue
        try:  # strict: nesting bounded, a repeated key refused (RFC 8785 names are unique)
            yield number, loads_strict(line, what="line"), None
        except JsonInputError as exc:
            yield number, None, str(exc)


def _count_lines(file: TextIO) -> int | None:
    """How many lines a regular FILE has (for the progress's ETA); None for a pipe."""
    path = Path(file.name) if isinstance(file.name, str) else None
    if path is None or not path.is_file():
        return None
    count, last = 0, b"\n"
    with path.open("rb") as raw:
        for chunk in iter(lambda: raw.read(1 << 20), b""):
            count, last = count + chunk.count(b"\n"), chunk[-1:]
    return count + (last != b"\n")


def _describe(result: ItemResult) -> str:
    err = result.error
    if isinstance(err, EventValidationError):
        return "; ".join(f"{e['loc'] or '<root>'}: {e['msg']}" for e in err.errors[:5])
    return str(err)


@cli.command()
@json_option
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("-o", "--receipts", type=click.Path(path_type=Path), default=None,
              help="Where to write receipts (JSON lines); default FILE.receipts.jsonl.")
@click.option("--batch", default=500, show_default=True, type=click.IntRange(1, 1000))
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show progress on stderr: a bar on a terminal, else a line every "
                   f"{PROGRESS_EVERY} lines.")
@pass_ctx
def ingest(ctx: Context, file: TextIO, receipts: Path | None, batch: int,
           progress: bool) -> None:
    """Append the events of a JSON-lines FILE; bad lines are reported and not stored."""
    log = _log(ctx)
    long_running()  # a long file: the collector tuned as in the service (ledger.runtime)
    ingestor = Ingestor(log, Pseudonymizer(load_secret(ctx.settings.pseudonym_key_path)),
                        max_clock_skew_seconds=ctx.settings.max_clock_skew_seconds)
    out_path = receipts or Path(f"{file.name}.receipts.jsonl")
    counts = {"accepted": 0, "duplicates": 0, "rejected": 0}
    meter = Progress("ingest", unit="lines", verb="read", every=PROGRESS_EVERY,
                     total=_count_lines(file) if progress else None, enabled=progress)
    with out_path.open("w", encoding="utf-8") as out, meter:
        pending: list[tuple[int, Any]] = []
        for number, item, error in _read_lines(file):
            meter.advance(number - meter.done, f"{counts['accepted']} accepted, "
                                               f"{counts['rejected']} rejected so far")
            if error:
                counts["rejected"] += 1
                click.echo(f"witness: line {number}: {error}", err=True)
                continue
            pending.append((number, item))
            if len(pending) >= batch:
                _flush(ingestor, pending, out, counts)
        _flush(ingestor, pending, out, counts)
    data = {**counts, "receipts": str(out_path), "log_size": log.size()}
    ctx.emit(data, lambda d: (f"accepted {d['accepted']}, duplicates {d['duplicates']}, "
                              f"rejected {d['rejected']}; receipts in {d['receipts']}"))
    if counts["rejected"]:
        raise SystemExit(2)


def _flush(ingestor: Ingestor, pending: list[tuple[int, Any]], out: TextIO,
           counts: dict[str, int]) -> None:
    if not pending:
        return
    results = ingestor.submit([item for _, item in pending])
    for (number, _), result in zip(pending, results, strict=True):
        if result.appended is None:
            counts["rejected"] += 1
            click.echo(f"witness: line {number}: {_describe(result)}", err=True)
            continue
        counts["duplicates" if result.appended.duplicate else "accepted"] += 1
        out.write(json.dumps(result.appended.receipt.to_json(), ensure_ascii=False) + "\n")
        for warning in result.warnings:
            click.echo(f"witness: line {number}: warning: {warning}", err=True)
    pending.clear()


@cli.command()
@json_option
@pass_ctx
def checkpoint(ctx: Context) -> None:
    """Seal the current tree head as a signed checkpoint (C2SP signed note), and ask the
    configured witnesses (WITNESS_COSIGNERS) to cosign it."""
    from ledger.cosigning import cosign_now

    log = _log(ctx)
    cp, witnesses = cosign_now(log, ctx.settings, log.checkpoint())
    data = {"size": cp.size, "root": cp.root.hex(), "created_at": cp.created_at, "note": cp.note,
            "witnesses": witnesses}
    ctx.emit(data, lambda d: d["note"])


def _size_or_latest(log: WitnessLog, size: int | None) -> int:
    if size is not None:
        return size
    cp = log.latest_checkpoint()
    if cp is None:
        fail("no checkpoint yet: run `witness checkpoint` or pass --size")
    return cp.size


@cli.command()
@json_option
@click.option("--index", required=True, type=click.IntRange(min=0))
@click.option("--size", type=click.IntRange(min=1), default=None,
              help="Tree size (default: the latest checkpoint).")
@pass_ctx
def prove(ctx: Context, index: int, size: int | None) -> None:
    """Inclusion proof of the event at INDEX in the tree of SIZE (RFC 9162)."""
    log = _log(ctx)
    size = _size_or_latest(log, size)
    proof = log.inclusion_proof(index, size)
    leaf = log.receipt(index, upgrade=False).leaf_hash
    data: dict[str, Any] = {"index": index, "size": size, "leaf_hash": leaf.hex(),
                            "proof": [h.hex() for h in proof], "root": log.tree_hash(size).hex()}
    cps = log.checkpoints_between(size, size)
    data["checkpoint"] = cps[0].note if cps else None
    ctx.emit(data, lambda d: "\n".join([f"index {d['index']} in size {d['size']}",
                                        f"leaf {d['leaf_hash']}", f"root {d['root']}",
                                        *d["proof"]]))


@cli.command()
@json_option
@click.option("--from", "size1", required=True, type=click.IntRange(min=0))
@click.option("--to", "size2", required=True, type=click.IntRange(min=0))
@pass_ctx
def consistency(ctx: Context, size1: int, size2: int) -> None:
    """Consistency proof between tree sizes FROM and TO (RFC 9162)."""
    log = _log(ctx)
    proof = log.consistency_proof(size1, size2)
    data = {"from": size1, "to": size2, "root_from": log.tree_hash(size1).hex(),
            "root_to": log.tree_hash(size2).hex(), "proof": [h.hex() for h in proof]}
    ctx.emit(data, lambda d: "\n".join([f"from {d['from']} ({d['root_from']})",
                                        f"to {d['to']} ({d['root_to']})", *d["proof"]]))


@cli.command()
@click.option("--index", type=click.IntRange(min=0), default=None)
@click.option("--event-id", default=None)
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None)
@pass_ctx
def receipt(ctx: Context, index: int | None, event_id: str | None, output: Path | None) -> None:
    """The receipt of one event (upgraded with a proof once checkpointed)."""
    if (index is None) == (event_id is None):
        fail("give exactly one of --index and --event-id")
    log = _log(ctx)
    text = log.receipt(index if index is not None else log.index_of(str(event_id))).dumps()
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"receipt written to {output}")
    else:
        click.echo(text, nl=False)


@cli.command()
@pass_ctx
def pubkey(ctx: Context) -> None:
    """The log's public verifier key (give it to bidders, supervisors, regulators)."""
    info = read_log_info(_log(ctx).db)
    click.echo(info["vkey"])
