"""The ``witness`` group, its shared options and the error-to-exit-code mapping."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from ledger.core.errors import MalformedError, WitnessError
from ledger.events import EventValidationError
from ledger.settings import Settings

EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1
EXIT_UNREACHABLE = 3


class Context:
    """What every command needs: the settings, and JSON mode."""

    def __init__(self, settings: Settings, as_json: bool) -> None:
        self.settings = settings
        self.as_json = as_json

    def emit(self, data: dict[str, Any], human: Callable[[dict[str, Any]], str]) -> None:
        if self.as_json:
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            click.echo(human(data))


def json_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--json`` on a command, as well as on the group (``witness --json status``)."""

    def _set(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value and isinstance(ctx.obj, Context):
            ctx.obj.as_json = True

    return click.option("--json", "as_json_cmd", is_flag=True, expose_value=False,
                        callback=_set, help="Machine-readable output.")(func)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    click.echo(f"witness: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(path_type=Path), default=None,
              help="Data directory (default $WITNESS_HOME or ./witness-data).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, as_json: bool) -> None:
    """Operate the trading witness ledger (交易见证链)."""
    overrides: dict[str, Any] = {"home": home} if home else {}
    ctx.obj = Context(Settings(**overrides), as_json)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the group, mapping errors to one line and an exit code."""
    # Importing the command modules registers their commands on the group.
    from ledger.cli import (  # noqa: F401
        chain_commands,
        commands,
        export_commands,
        rules_commands,
        trust_commands,
    )

    try:
        cli.main(args=argv, prog_name="witness", standalone_mode=False)
    except click.exceptions.Abort:
        fail("aborted", 130)
    except click.ClickException as exc:
        fail(exc.format_message(), EXIT_BAD_INPUT)
    except (EventValidationError, MalformedError, ValueError) as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    except WitnessError as exc:
        fail(str(exc), EXIT_FAILURE)
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), EXIT_BAD_INPUT)
    except Exception as exc:  # last resort: no traceback for users, details on demand
        if os.environ.get("WITNESS_DEBUG"):
            raise
        source = _unreachable_source(exc)
        if source is not None:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            fail(f"cannot reach {source}: {first}", EXIT_UNREACHABLE)
        fail(f"internal error ({type(exc).__name__}): {exc}; set WITNESS_DEBUG=1 for details",
             EXIT_FAILURE)


def _unreachable_source(exc: BaseException) -> str | None:
    """"the database" / "the chain" when ``exc`` says that source could not be reached.

    Looked up in ``sys.modules`` rather than imported: a command that met such an error has
    imported its module already, and every other command stays fast to start."""
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return "the database"
    chain_errors = sys.modules.get("chain_access.errors")
    if chain_errors is not None and isinstance(exc, chain_errors.ChainUnavailable):
        return "the chain"
    return None
