"""Chain commands: `witness anchor [--follow]` and `witness chain`.

Both check the chain's latest checkpoint against the log's own signed checkpoints first: a
checkpoint the log never signed is an integrity failure (exit 1, both values named)."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click

from ledger.anchoring import Anchorer, ForeignCheckpoint, open_bound_chain
from ledger.anchoring.binding import anchorer_account, read_binding
from ledger.anchoring.signer import load_checkpoint_key
from ledger.cli.app import EXIT_FAILURE, Context, cli, fail, json_option
from ledger.home import open_log

pass_ctx = click.make_pass_decorator(Context)


@cli.command()
@click.option("--follow", is_flag=True, help="Keep anchoring every checkpoint interval.")
@json_option
@pass_ctx
def anchor(ctx: Context, follow: bool) -> None:
    """Seal a checkpoint and anchor it on the bound chain (once, or --follow)."""
    settings = ctx.settings
    log = open_log(settings)
    chain, binding = open_bound_chain(settings, log)
    try:
        anchorer = Anchorer(log, chain, binding, anchorer_account(settings, create=False),
                            checkpoint_key=load_checkpoint_key(settings.home))
        if not follow:
            outcome = anchorer.anchor_once()
            ctx.emit(outcome.__dict__, _outcome_text)
            return
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        click.echo(f"anchoring every {settings.checkpoint_interval:g} s on {chain.description}; "
                   "Ctrl-C to stop", err=True)
        anchorer.follow(settings.checkpoint_interval, settings.checkpoint_max_events, stop)
    finally:
        chain.close()


def _outcome_text(d: dict[str, Any]) -> str:
    tx = f", tx {d['tx_hash']} ({d['gas_used']} gas)" if d["tx_hash"] else ""
    size, had = d["checkpoint_size"], d["chain_size"]
    return f"{d['action']}: checkpoint size {size} (chain had {had}){tx}"


@cli.command(name="chain")
@json_option
@pass_ctx
def chain_status(ctx: Context) -> None:
    """Chain id, registry, latest anchored checkpoint and the lag behind the log."""
    settings = ctx.settings
    log = open_log(settings)
    binding = read_binding(log)
    if binding is None:
        ctx.emit({"bound": False}, lambda d: "the log is not bound to a chain: run `witness init`")
        return
    chain, binding = open_bound_chain(settings, log, readonly=True)
    try:
        anchorer = Anchorer(log, chain, binding, account=None)  # type: ignore[arg-type]
        count, size, root = anchorer.chain_head()
        data: dict[str, Any] = {
            "bound": True, **binding.__dict__, "chain_checkpoints": count,
            "anchored_size": size, "anchored_root": root.hex(), "log_size": log.size(),
            "block_number": chain.block_number(),
        }
        try:
            anchorer.check_chain()
            data["lag_events"] = data["log_size"] - size
        except ForeignCheckpoint as exc:
            # No lag is meaningful against a checkpoint the log never signed.
            data.update(lag_events=None, integrity="failure", problem=str(exc),
                        evidence=exc.evidence)
    finally:
        chain.close()
    ctx.emit(data, lambda d: "\n".join(f"{k:18} {v}" for k, v in d.items()
                                       if k not in ("problem", "evidence")))
    if "problem" in data:
        fail(data["problem"], EXIT_FAILURE)
