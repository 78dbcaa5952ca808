"""``witness leads``, ``witness lead show|transfer|acknowledge|export``, ``witness rules
run|follow`` and ``witness demo-data``: the early-warning side of the ledger from the command line.

Must not import the API or the verifier.
"""

from __future__ import annotations

import getpass
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from ledger.cli.app import Context, cli, json_option
from ledger.core.progress import Progress
from ledger.home import open_log
from ledger.rules.calendar import SHANGHAI, WorkCalendar
from ledger.rules.context import RuleContext
from ledger.rules.package import package_hash
from ledger.rules.service import RuleService

pass_ctx = click.make_pass_decorator(Context)
RULES_PROGRESS_EVERY = 100
"""Projects between two `rules run` progress lines off a terminal (``WITNESS_PROGRESS_EVERY``)."""
reference_option = click.option(
    "--reference", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
    help="Reference data JSON (experts, enterprises, relations, whitelists).")


def _service(ctx: Context, cache_projects: int | None = None) -> RuleService:
    log = open_log(ctx.settings)
    log.db.migrate()
    if cache_projects is None:
        return RuleService(log, RuleContext.default())
    return RuleService(log, RuleContext.default(), cache_projects=cache_projects)


def _rules_context(ctx: Context, reference: Path | None) -> RuleContext:
    """The rules' context; without reference data, say so rather than skip in silence."""
    from ledger.rules.follower import reference_source, rule_context

    if reference_source(ctx.settings, reference) is None:
        click.echo("witness: warning: no reference data (--reference, $WITNESS_RULES_REFERENCE "
                   "or <home>/reference.json): the rules that read the expert registry, "
                   "enterprise relations or whitelists cannot find anything", err=True)
    return rule_context(ctx.settings, reference)


def calendar_warning(calendar: WorkCalendar, today: date | None = None) -> None:
    """Warn on stderr, from 1 November, when next year's working-day calendar is missing."""
    text = calendar.warning(today or _today())
    if text:
        click.echo(f"witness: warning: {text}", err=True)


def _today() -> date:
    return datetime.now(SHANGHAI).date()


def _lead_line(d: dict[str, Any]) -> str:
    return (f"{d['lead_id']}  {d['severity']:<9} {d['status']:<12} {d['project_id']}  "
            f"{','.join(d['rule_ids'])}  raised@{d['raised_index']}")


@cli.command("leads")
@json_option
@click.option("--project", default=None, help="Only this project.")
@click.option("--since", default=None, help="Only leads raised at or after this time.")
@click.option("--status", type=click.Choice(["raised", "transferred", "acknowledged"]),
              default=None, help="Only leads in this status.")
@pass_ctx
def leads_cmd(ctx: Context, project: str | None, since: str | None, status: str | None) -> None:
    """List violation leads (违规线索)."""
    found = _service(ctx).leads(project, since, status)
    ctx.emit({"leads": found}, lambda d: "\n".join(_lead_line(x) for x in d["leads"])
             or "no leads")


@cli.group("lead")
def lead_group() -> None:
    """Show, transfer (移送), acknowledge (签收) or export one lead."""


@lead_group.command("show")
@json_option
@click.argument("lead_id")
@pass_ctx
def lead_show(ctx: Context, lead_id: str) -> None:
    """A lead with its findings and evidence."""
    lead = _service(ctx).lead(lead_id)

    def human(d: dict[str, Any]) -> str:
        lines = [_lead_line(d)]
        for f in d["findings"]:
            ev = ", ".join(f"#{i} {e}" for i, e in f["evidence"])
            lines += [f"  {f['rule_id']} ({f['severity']}): {f['message_zh']}",
                      f"    {f['message_en']}", f"    evidence: {ev}"]
        return "\n".join(lines)

    ctx.emit(lead, human)


def _operator() -> str:
    """The OS user running the command: who a governance event names by default."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name known to the OS (e.g. a bare container uid)
        return f"uid:{os.getuid()}"


by_option = click.option(
    "--by", default=None, metavar="NAME",
    help="Who does it, recorded in the log (default: the OS user running the command).")


@lead_group.command("transfer")
@json_option
@click.argument("lead_id")
@click.option("--to", "department", required=True, help="Receiving regulator / department.")
@by_option
@pass_ctx
def lead_transfer(ctx: Context, lead_id: str, department: str, by: str | None) -> None:
    """Transfer a lead to a regulator: appends LEAD_TRANSFERRED (package hash, who)."""
    svc = _service(ctx)
    who = _name(by)
    index = svc.transfer(lead_id, department, by=who)
    lead = svc.lead(lead_id)
    ctx.emit({"lead_id": lead_id, "department": lead["department"], "index": index,
              "by": who, "package_hash": lead["package_hash"]},
             lambda d: f"lead {d['lead_id']} transferred to {d['department']} by {d['by']} "
                       f"(LEAD_TRANSFERRED at index {d['index']}, package sha256 "
                       f"{d['package_hash']})")


@lead_group.command("acknowledge")
@json_option
@click.argument("lead_id")
@by_option
@pass_ctx
def lead_acknowledge(ctx: Context, lead_id: str, by: str | None) -> None:
    """Record that the regulator acknowledged a transferred lead: LEAD_ACKNOWLEDGED."""
    who = _name(by)
    index = _service(ctx).acknowledge(lead_id, by=who)
    ctx.emit({"lead_id": lead_id, "index": index, "by": who},
             lambda d: f"lead {d['lead_id']} acknowledged by {d['by']} "
                       f"(LEAD_ACKNOWLEDGED at index {d['index']})")


def _name(by: str | None) -> str:
    name = _operator() if by is None else by.strip()
    if not name or len(name) > 200 or not name.isprintable():
        raise click.BadParameter("a name of 1 to 200 printable characters", param_hint="--by")
    return name


@lead_group.command("export")
@json_option
@click.argument("lead_id")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@pass_ctx
def lead_export(ctx: Context, lead_id: str, output: Path) -> None:
    """Write the signed lead package (check it with `witness-verify bundle`): the same
    bytes as the API's download, whose SHA-256 LEAD_TRANSFERRED records."""
    data = _service(ctx).export_lead(lead_id)
    output.write_bytes(data)
    ctx.emit({"lead_id": lead_id, "output": str(output), "sha256": package_hash(data)},
             lambda d: f"lead package {d['lead_id']} written to {d['output']} "
                       f"(sha256 {d['sha256']})")


@cli.group("rules")
def rules_group() -> None:
    """Run the rule catalogue."""


def _project_ids(svc: RuleService) -> list[str]:
    """Every project of the log, in order."""
    from sqlalchemy import select

    from ledger.store.schema import events

    with svc.log.db.read() as conn:
        return sorted(str(p) for p in
                      conn.execute(select(events.c.project_id).distinct()).scalars())


@rules_group.command("run")
@json_option
@click.option("--project", default=None, help="Project id (default: every project).")
@reference_option
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show progress on stderr: a bar on a terminal, else a line every "
                   f"{RULES_PROGRESS_EVERY} projects.")
@pass_ctx
def rules_run(ctx: Context, project: str | None, reference: Path | None,
              progress: bool) -> None:
    """Evaluate every rule over whole project trails; store findings, raise leads."""
    svc = _service(ctx)
    svc.ctx = _rules_context(ctx, reference)
    calendar_warning(svc.ctx.calendar)
    pids = [project] if project is not None else _project_ids(svc)
    runs: list[dict[str, Any]] = []
    with Progress("rules run", unit="projects", verb="evaluated", total=len(pids),
                  every=RULES_PROGRESS_EVERY, enabled=progress) as meter:
        lead_count = 0
        for pid in pids:
            res = svc.run_project(pid)
            runs.append({"project_id": pid, "new_findings": len(res.new_findings),
                         "new_leads": list(res.new_leads), "findings": svc.findings(pid)})
            lead_count += len(res.new_leads)
            meter.advance(1, f"{lead_count} new lead(s) so far")
    data: dict[str, Any] = runs[0] if project is not None else {
        "projects": runs, "new_leads": [lid for r in runs for lid in r["new_leads"]]}

    def one(d: dict[str, Any]) -> list[str]:
        return ([f"{d['project_id']}: {d['new_findings']} new finding(s), "
                 f"{len(d['new_leads'])} new lead(s)"] +
                [f"  {f['rule_id']} ({f['severity']}): {f['message_zh']}" for f in d["findings"]])

    def human(d: dict[str, Any]) -> str:
        if "project_id" in d:
            return "\n".join(one(d))
        lines = [x for r in d["projects"] for x in one(r)]
        lines.append(f"{len(d['new_leads'])} new lead(s) in {len(d['projects'])} project(s)")
        return "\n".join(lines)

    ctx.emit(data, human)


@rules_group.command("follow")
@json_option
@reference_option
@click.option("--poll-seconds", default=0.5, show_default=True, type=click.FloatRange(min=0.01),
              help="Polling interval once caught up.")
@click.option("--chunk", default=5000, show_default=True, type=click.IntRange(1, 100_000),
              help="Events evaluated per step.")
@click.option("--cache-projects", default=256, show_default=True, type=click.IntRange(1),
              help="Decoded project trails kept in memory (LRU).")
@click.option("--once", is_flag=True, help="Catch up with the log, then exit.")
@click.option("--from-start", is_flag=True,
              help="Reset the cursor to index 0 first (re-evaluates; stores nothing twice).")
@pass_ctx
def rules_follow(ctx: Context, reference: Path | None, poll_seconds: float, chunk: int,
                 cache_projects: int, once: bool, from_start: bool) -> None:
    """Run the rules as events arrive (tails the log from a persisted cursor).

    Campaigns for the rule follower's lock, so it never runs beside the service's
    follower (or another `witness rules follow`); with --once it fails if the lock is held."""
    import threading

    from ledger.anchoring.election import LeaderLock
    from ledger.core.errors import WitnessError
    from ledger.loops import LoopMonitor
    from ledger.rules.follower import (
        LOOP,
        RULES_LOCK_FILE,
        RULES_LOCK_ID,
        RuleFollower,
    )
    from ledger.runtime import long_running

    svc = _service(ctx, cache_projects)
    svc.ctx = _rules_context(ctx, reference)
    follower = RuleFollower(svc, chunk=chunk, poll_seconds=poll_seconds)
    long_running()  # the collector tuned as in the service (ledger.runtime)
    lock = LeaderLock(svc.log, ctx.settings, lock_id=RULES_LOCK_ID, filename=RULES_LOCK_FILE)
    stop = threading.Event()
    try:
        if once and not lock.try_acquire():
            raise WitnessError("another rule follower holds the lock (the service's?)")
        while not lock.try_acquire():
            stop.wait(5.0)
        if from_start:
            follower.reset(0)
        if once:
            follower.catch_up()
        else:
            click.echo(f"following from index {follower.position()} "
                       f"(every {poll_seconds} s; Ctrl-C stops)", err=True)
            try:  # its health (last failure, cause) where `witness status` reads it
                follower.follow(stop, LoopMonitor.named(LOOP, ctx.settings.home))
            except KeyboardInterrupt:
                stop.set()
    finally:
        lock.release()
    st = follower.stats
    ctx.emit({"position": follower.position(), "events": st.events, "findings": st.findings,
              "leads": st.leads, "cpu_seconds": round(st.cpu_seconds, 3)},
             lambda d: f"rules evaluated {d['events']} event(s): {d['findings']} new "
                       f"finding(s), {d['leads']} new lead(s); cursor at {d['position']}")


@cli.command("demo-data")
@json_option
@click.option("--projects", default=6, show_default=True, type=click.IntRange(1, 1000))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--plant", multiple=True, help="Violation class to plant (repeatable); "
              "default: cycle through every class.")
@click.option("--plant-every", default=3, show_default=True, type=click.IntRange(0, 1000),
              help="Plant in every k-th project (0: none).")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@pass_ctx
def demo_data(ctx: Context, projects: int, seed: int, plant: tuple[str, ...],
              plant_every: int, output: Path) -> None:
    """Generate realistic tendering trails as JSON lines (+ reference data JSON)."""
    from ledger.demo import PLANTED_CLASSES, generate_portfolio, write_jsonl

    bad = set(plant) - set(PLANTED_CLASSES)
    if bad:
        raise click.BadParameter(f"unknown class(es) {sorted(bad)}; known: "
                                 f"{', '.join(PLANTED_CLASSES)}", param_hint="--plant")
    portfolio = generate_portfolio(seed, projects, plant_every, list(plant) or None)
    ref = write_jsonl(portfolio, output)
    data = {"output": str(output), "reference": str(ref),
            "events": sum(len(p.events) for p in portfolio),
            "projects": [{"project_id": p.project_id, "kind": p.kind,
                          "planted": sorted(p.planted)} for p in portfolio]}
    ctx.emit(data, lambda d: "\n".join(
        [f"{d['events']} events of {len(d['projects'])} projects → {d['output']} "
         f"(reference data: {d['reference']})"] +
        [f"  {p['project_id']} {p['kind']:<5} {', '.join(p['planted']) or 'lawful'}"
         for p in d["projects"]]))


