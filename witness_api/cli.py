"""``witness serve`` (the HTTP service) and ``witness token create|revoke|list``.

These commands live in the API layer (they start and administer it); ``witness_api.cli:main``
is the ``witness`` console script: it adds them to the ledger's command group, so the ledger
itself never imports the API (docs/design.md).
"""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

import click

from ledger.cli.app import Context, cli, json_option

pass_ctx = click.make_pass_decorator(Context)
ROLES = ("ingest", "supervisor", "bidder", "regulator", "admin")


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--log-level", default="info", show_default=True)
@pass_ctx
def serve(ctx: Context, host: str, port: int, workers: int, log_level: str) -> None:
    """Run the HTTP API (uvicorn, app factory) until interrupted; Ctrl-C stops it cleanly.

    Workers run under a supervisor, one worker included: a worker that dies is logged (pid,
    exit status or signal) and replaced (witness_api.supervisor).
    """
    import os

    import uvicorn

    from witness_api.app import create_app
    from witness_api.logs import configure_logging
    from witness_api.supervisor import serve as supervise

    os.environ["WITNESS_HOME"] = str(ctx.settings.home)  # the workers build their own Settings
    from ledger.store.database import Database  # imported when used: a fast --help

    db = Database(ctx.settings.database_url)
    try:
        db.migrate()  # once, before the workers start (adds the token table to older logs)
    finally:
        db.dispose()
    create_app(ctx.settings).state.services.db.dispose()  # fail here, not in every worker
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"witness API on http://{shown}:{port} — docs at http://{shown}:{port}/docs",
               err=True)
    config = uvicorn.Config("witness_api.app:app_from_env", factory=True, host=host, port=port,
                            workers=workers, log_level=log_level, access_log=False,
                            timeout_graceful_shutdown=30)
    # uvicorn's Config has just set up its own logging; this process logs as the service.
    configure_logging(log_level.upper())
    status = supervise(config)
    if status:
        sys.exit(status)


@cli.group()
def token() -> None:
    """API bearer tokens: create (printed once), revoke, list."""


def _store(ctx: Context) -> Any:
    from ledger.store.database import Database  # imported when used: a fast --help
    from witness_api.tokens import TokenStore

    db = Database(ctx.settings.database_url)
    db.migrate()
    return TokenStore(db)


@token.command("create")
@json_option
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--bidder", "bidder_id", default=None, help="Bidder id (bidder role only).")
@click.option("--label", default=None, help="Who holds it, e.g. 'e-bidding system'.")
@click.option("--expires-days", default=365, show_default=True, type=click.IntRange(0, 36500),
              help="Days until it expires; 0 for never.")
@click.option("--project", "projects", multiple=True,
              help="Supervisor/regulator: a project it oversees (repeatable).")
@click.option("--region", "regions", multiple=True,
              help="Supervisor/regulator: a region-code prefix it oversees, e.g. 2101 "
                   "(沈阳市) or 21 (辽宁省) (repeatable).")
@click.option("--department", "departments", multiple=True,
              help="Supervisor/regulator: a supervising department (行政监督部门) it is or "
                   "oversees; a regulator receives the leads transferred to it (repeatable).")
@pass_ctx
def token_create(ctx: Context, role: str, bidder_id: str | None, label: str | None,
                 expires_days: int, projects: tuple[str, ...], regions: tuple[str, ...],
                 departments: tuple[str, ...]) -> None:
    """Create a token; it is printed once and only its SHA-256 is stored. Supervisor and
    regulator tokens need a scope: --project, --region or --department."""
    from witness_api.tokens import Scope

    expires = timedelta(days=expires_days) if expires_days else None
    scope = Scope(projects, regions, departments)
    secret, info = _store(ctx).create(role, bidder_id=bidder_id, label=label,
                                      expires_in=expires, scope=scope)
    data = {"token": secret, **info.to_json()}
    ctx.emit(data, lambda d: (f"{d['token']}\n(token id {d['token_id']}, role {d['role']}, "
                              f"expires {d['expires_at'] or 'never'}; shown only once)"))


@token.command("revoke")
@json_option
@click.argument("token_id")
@pass_ctx
def token_revoke(ctx: Context, token_id: str) -> None:
    """Revoke the token with TOKEN_ID (effective within seconds on every worker)."""
    info = _store(ctx).revoke(token_id)
    ctx.emit(info.to_json(), lambda d: f"revoked {d['token_id']} at {d['revoked_at']}")


@token.command("list")
@json_option
@pass_ctx
def token_list(ctx: Context) -> None:
    """List tokens (ids, roles, bidder or scope, expiry, revocation; never the tokens)."""
    rows = [i.to_json() for i in _store(ctx).list()]
    ctx.emit({"tokens": rows}, lambda d: "\n".join(
        f"{t['token_id']}  {t['role']:<10} {_binding(t):<20} "
        f"expires {t['expires_at'] or 'never':<25} "
        f"{'REVOKED ' + t['revoked_at'] if t['revoked_at'] else 'active'}  {t['label'] or ''}"
        for t in d["tokens"]) or "no tokens")


def _binding(token: dict[str, Any]) -> str:
    """What a token is bound to: its bidder, or the scope it oversees ("-": neither)."""
    if token["bidder_id"]:
        return str(token["bidder_id"])
    scope = token.get("scope") or {}
    parts = [f"{kind}={','.join(scope[key])}" for kind, key in (
        ("project", "projects"), ("region", "regions"), ("department", "departments"))
        if scope.get(key)]
    return " ".join(parts) or "-"


def main(argv: list[str] | None = None) -> None:
    """The ``witness`` console script: the ledger's commands plus serve and token."""
    from ledger.cli.app import main as ledger_main

    ledger_main(argv)
