"""Chain commands: `witness anchor [--follow]`, `witness chain` and `witness chain bind`.

`anchor` and `chain` check each chain's latest checkpoint against the log's own signed
checkpoints first: a checkpoint the log never signed is an integrity failure (exit 1, both
values named). With several chains bound, each is anchored and reported on its own; one that
is down does not stop the others (its error is reported, exit 3 once the others are done)."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click

from chain_access import ChainError, ChainRevert
from ledger.anchoring import Anchorer, ForeignCheckpoint
from ledger.anchoring.chains import (
    BoundChain,
    anchor_all_once,
    bind_extra_chain,
    bound_chains,
    follow_all,
    open_bound,
)
from ledger.cli.app import EXIT_FAILURE, EXIT_UNREACHABLE, Context, cli, fail, json_option
from ledger.home import open_log
from ledger.runtime import long_running
from ledger.settings import Settings

pass_ctx = click.make_pass_decorator(Context)


@cli.command()
@click.option("--follow", is_flag=True, help="Keep anchoring every checkpoint interval.")
@json_option
@pass_ctx
def anchor(ctx: Context, follow: bool) -> None:
    """Seal a checkpoint and anchor every checkpoint not anchored yet on each bound chain
    (once, or --follow)."""
    settings = ctx.settings
    log = open_log(settings)
    if not bound_chains(log):
        fail("the log is not bound to a chain yet: run `witness init`", EXIT_FAILURE)
    if follow:
        long_running()  # the collector tuned as in the service (ledger.runtime)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        click.echo(f"anchoring every {settings.checkpoint_interval:g} s on every bound chain; "
                   "Ctrl-C to stop", err=True)
        stopped = follow_all(settings, log, stop)
        if stopped:  # every chain stopped by itself: say why, as `witness anchor` would
            _stop_if_frozen([exc for _, exc in stopped])
            _exit_for([exc for _, exc in stopped])
        return
    results = anchor_all_once(settings, log)
    _stop_if_frozen([r[1] for r in results])
    if len(results) == 1 and isinstance(results[0][1], ChainError):
        raise results[0][1]  # one chain: as before, its own error and exit code
    data = _outcome(results[0])
    if len(results) > 1:
        data["chains"] = [_outcome(r) for r in results]
    ctx.emit(data, _outcomes_text)
    _exit_for([r[1] for r in results])


def _outcome(result: tuple[BoundChain, Any]) -> dict[str, Any]:
    bound, outcome = result
    head: dict[str, Any] = {"chain": bound.name, "primary": bound.primary}
    if isinstance(outcome, Exception):
        return head | {"action": "failed", "problem": str(outcome)}
    return head | dict(outcome.__dict__)


def _outcomes_text(d: dict[str, Any]) -> str:
    return "\n".join(_outcome_text(c) for c in d.get("chains", [d]))


def _outcome_text(d: dict[str, Any]) -> str:
    if d["action"] == "failed":
        return f"chain {d['chain']}: failed: {d['problem']}"
    tx = f", last tx {d['tx_hash']} ({d['gas_used']} gas)" if d["tx_hash"] else ""
    more = f", {d['remaining']} more next round" if d["remaining"] else ""
    size, had = d["checkpoint_size"], d["chain_size"]
    return (f"chain {d['chain']}: {d['action']}: checkpoint size {size} (chain had {had}; "
            f"{d['anchored']} sent{more}){tx}")


#: ``NO_GOOD_CHECKPOINT`` of the registry's ``freezeLog``: no checkpoint of the log trusted.
_NO_GOOD = 2**256 - 1


def _stop_if_frozen(outcomes: list[Any]) -> None:
    """A registry refused because its admin froze the log: an integrity matter (the log's
    keys were declared compromised), exit 1 in one line, never an internal error or a retry."""
    for o in outcomes:
        if isinstance(o, ChainRevert) and o.name == "LogIsFrozen":
            log_id, good = o.args_decoded or (b"", _NO_GOOD)
            point = ("with no checkpoint trusted" if good == _NO_GOOD
                     else f"after its checkpoint #{good}")
            fail(f"integrity failure: the registry's admin froze log 0x{bytes(log_id).hex()} "
                 f"{point}: it takes no more checkpoints (see docs/operations.md)", EXIT_FAILURE)


def _exit_for(outcomes: list[Any]) -> None:
    problems = [o for o in outcomes if isinstance(o, Exception)]
    foreign = [p for p in problems if isinstance(p, ForeignCheckpoint)]
    if foreign:
        fail(str(foreign[0]), EXIT_FAILURE)
    if problems:
        fail(f"a bound chain could not be anchored: {problems[0]}", EXIT_UNREACHABLE)


@cli.group(name="chain", invoke_without_command=True)
@json_option
@pass_ctx
@click.pass_context
def chain_group(click_ctx: click.Context, ctx: Context) -> None:
    """Chain id, registry, latest anchored checkpoint and the lag of each bound chain."""
    if click_ctx.invoked_subcommand is not None:
        return
    log = open_log(ctx.settings)
    chains = bound_chains(log)
    if not chains:
        ctx.emit({"bound": False}, lambda d: "the log is not bound to a chain: run `witness init`")
        return
    statuses = [_status(ctx.settings, log, c) for c in chains]
    data = statuses[0] | ({"chains": statuses} if len(statuses) > 1 else {})
    ctx.emit(data, lambda d: "\n\n".join(
        "\n".join(f"{k:18} {v}" for k, v in s.items() if k not in ("problem", "evidence"))
        for s in d.get("chains", [d])))
    problems = [s for s in statuses if "problem" in s]
    foreign = [s for s in problems if s.get("integrity") == "failure"]
    if foreign:
        fail(foreign[0]["problem"], EXIT_FAILURE)
    if problems:
        fail(problems[0]["problem"], EXIT_UNREACHABLE)


def _status(settings: Settings, log: Any, bound: BoundChain) -> dict[str, Any]:
    base: dict[str, Any] = {"bound": True, "primary": bound.primary, **bound.binding.__dict__}
    try:
        chain = open_bound(settings, bound, readonly=True)
    except ChainError as exc:
        # A chain that is down: reported with the lag of what was recorded before.
        return base | {"reachable": False, "lag_events": None, "problem": f"chain "
                       f"{bound.name} unreachable: {exc}"}
    try:
        anchorer = Anchorer(log, chain, bound.binding, account=None)  # type: ignore[arg-type]
        count, size, root = anchorer.chain_head()
        data = base | {"reachable": True, "chain_checkpoints": count, "anchored_size": size,
                       "anchored_root": root.hex(), "log_size": log.size(),
                       "block_number": chain.block_number()}
        try:
            anchorer.check_chain()
            data["lag_events"] = data["log_size"] - size
        except ForeignCheckpoint as exc:
            # No lag is meaningful against a checkpoint the log never signed.
            data.update(lag_events=None, integrity="failure", problem=str(exc),
                        evidence=exc.evidence)
        return data
    finally:
        chain.close()


@chain_group.command(name="bind")
@click.option("--chain", "spec", required=True,
              help="Another chain: a JSON-RPC URL or embedded:PATH.")
@click.option("--registry", help="Attach to this registry instead of deploying one.")
@json_option
@pass_ctx
def chain_bind(ctx: Context, spec: str, registry: str | None) -> None:
    """Anchor the log's checkpoints on one more chain: register the log in a registry there
    (the same checkpoint signer) and record the binding; idempotent."""
    log = open_log(ctx.settings)
    bound = bind_extra_chain(ctx.settings, log, spec, registry=registry)
    data = {"number": bound.number, "primary": bound.primary, **bound.binding.__dict__}
    ctx.emit(data, lambda d: f"bound chain {d['chain_id']} ({d['spec']}): registry "
                             f"{d['registry']}, log id {d['log_id']}")
