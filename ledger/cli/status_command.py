"""`witness status`: the log's identity, size, latest checkpoint and the service's checks.

Its own module so that the command loads only what reading the log needs: operators and
monitoring scripts run it often. On the default SQLite file it reads with the standard
library's ``sqlite3`` (``ledger.store.status_read``) and its settings without pydantic
(``status_settings``); any other database (PostgreSQL) goes through the ledger's
``Database``. It opens no key and loads no chain library: it signs nothing and shows only
what the database and the data directory record.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from ledger.anchoring.readiness_checks import OpsSettings, readiness_body, run_checks
from ledger.cli.app import Context, cli, json_option
from ledger.cli.status_settings import load_status_settings
from ledger.clock import Clock, clock_now, zone_clock
from ledger.errors import NotInitialisedError
from ledger.rules.calendar import DEFAULT_CALENDAR, OPERATOR_CALENDAR, WorkCalendar
from ledger.store.status_read import (
    LogReader,
    for_database,
    shown_sqlite_url,
    sqlite_file,
    sqlite_file_reader,
)

pass_ctx = click.make_pass_decorator(Context)


@cli.command()
@json_option
@pass_ctx
def status(ctx: Context) -> None:
    """Log identity, size and latest checkpoint.

    Then one line per check of the service's /readyz: the disk, the merge delay, anchoring
    and the background loops (docs/operations.md, Monitoring)."""
    settings = load_status_settings(ctx.overrides)
    clock = zone_clock(settings.timezone)
    with _open_reader(settings, clock) as (log, where):
        info = _log_info(log, where)
        cp = log.latest_checkpoint()
        data = {"origin": info["origin"], "vkey": info["vkey"], "size": log.size(),
                "database": where,
                "checkpoint": None if cp is None else {"size": cp[0], "root": cp[1].hex(),
                                                       "created_at": cp[2]},
                "health": readiness_body(run_checks(settings, log))}
    calendar = WorkCalendar.load(DEFAULT_CALENDAR, settings.home / OPERATOR_CALENDAR)
    text = calendar.warning(clock_now(clock).date())
    if text:  # the same warning as `witness rules`, from 1 November
        click.echo(f"witness: warning: {text}", err=True)
    ctx.emit(data, _status_text)


@contextmanager
def _open_reader(settings: OpsSettings, clock: Clock) -> Iterator[tuple[LogReader, str]]:
    """A reader of the log's database and the database's URL as shown (no password)."""
    path = sqlite_file(settings.database_url)
    if path is not None:
        with sqlite_file_reader(path, clock) as reader:
            yield reader, shown_sqlite_url(path)
        return
    from ledger.store.database import Database

    db = Database(settings.database_url, pool=False)
    try:
        if not db.is_sqlite:
            with db.engine.connect():  # a server that is down is not "no log": let it say so
                pass
        yield for_database(db, clock), db.engine.url.render_as_string(hide_password=True)
    finally:
        db.dispose()


def _log_info(log: LogReader, where: str) -> dict[str, str]:
    """The log's recorded identity; an uninitialised database says to run `witness init`
    (the same words as opening the log: ``ledger.home.open_log``)."""
    try:
        info = log.info()
    except Exception as exc:  # no schema yet, or no database file
        raise NotInitialisedError(f"no witness log at {where}: run `witness init`") from exc
    if "origin" not in info:
        raise NotInitialisedError("the database has no log: run `witness init`")
    return info


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
