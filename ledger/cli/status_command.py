"""`witness status`: the log's identity, size, latest checkpoint and the service's checks.

Its own module so that the command loads only what reading the log needs (the database
layer), not the event catalogue, ingestion or the chain libraries: operators and monitoring
scripts run it often.
"""

from __future__ import annotations

from typing import Any

import click

from ledger.cli.app import Context, cli, json_option
from ledger.clock import clock_now, zone_clock
from ledger.home import open_log, read_log_info
from ledger.rules.calendar import DEFAULT_CALENDAR, OPERATOR_CALENDAR, WorkCalendar

pass_ctx = click.make_pass_decorator(Context)


@cli.command()
@json_option
@pass_ctx
def status(ctx: Context) -> None:
    """Log identity, size and latest checkpoint.

    Then one line per check of the service's /readyz: the disk, the merge delay, anchoring
    and the background loops (docs/operations.md, Monitoring)."""
    from ledger.anchoring.readiness_checks import operational_checks, readiness_body

    log = open_log(ctx.settings)
    cp = log.latest_checkpoint()
    info = read_log_info(log.db)
    data = {"origin": log.origin, "vkey": info["vkey"], "size": log.size(),
            "database": log.db.engine.url.render_as_string(hide_password=True),
            "checkpoint": None if cp is None else {"size": cp.size, "root": cp.root.hex(),
                                                   "created_at": cp.created_at},
            "health": readiness_body(operational_checks(ctx.settings, log))}
    calendar = WorkCalendar.load(DEFAULT_CALENDAR, ctx.settings.home / OPERATOR_CALENDAR)
    text = calendar.warning(clock_now(zone_clock(ctx.settings.timezone)).date())
    if text:  # the same warning as `witness rules`, from 1 November
        click.echo(f"witness: warning: {text}", err=True)
    ctx.emit(data, _status_text)


def _status_text(d: dict[str, Any]) -> str:
    cp = d["checkpoint"]
    cp_line = "none" if cp is None else f"size {cp['size']} at {cp['created_at']}"
    lines = [f"origin      {d['origin']}", f"size        {d['size']}",
             f"checkpoint  {cp_line}", f"database    {d['database']}",
             f"public key  {d['vkey']}"]
    for name, check in d["health"]["checks"].items():  # one line each, as /readyz says it
        verdict = "ok" if check["ok"] else "NOT OK"
        lines.append(f"{name.replace('_', ' '):<11} {verdict}: {check['detail']}")
    return "\n".join(lines)
