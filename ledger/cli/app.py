"""The ``witness`` group, its shared options and its entry point (errors to exit codes)."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from ledger.core.exit_codes import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_UNREACHABLE, classify

if TYPE_CHECKING:
    from ledger.settings import Settings

__all__ = ["EXIT_BAD_INPUT", "EXIT_FAILURE", "EXIT_UNREACHABLE", "Context", "cli", "fail",
           "json_option", "main"]


class Context:
    """What every command needs: the settings, and JSON mode."""

    def __init__(self, overrides: dict[str, Any], as_json: bool) -> None:
        self.overrides = overrides  # the options over the WITNESS_* variables (--home)
        self.as_json = as_json
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        """The settings, built on first use: `witness status` reads its own few without
        loading pydantic (``ledger.cli.status_settings``)."""
        if self._settings is None:
            from ledger.settings import Settings

            self._settings = Settings(**self.overrides)
        return self._settings

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


LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "backup": ("ledger.cli.backup_commands", "Back up the log (a consistent snapshot, the "
               "service may run) and its keys to a file."),
    "anchor": ("ledger.cli.chain_commands", "Seal a checkpoint and anchor every checkpoint "
               "not anchored yet on each bound chain (once, or --follow)."),
    "chain": ("ledger.cli.chain_commands", "Chain id, registry, latest anchored checkpoint and "
              "the lag of each bound chain."),
    "checkpoint": ("ledger.cli.commands", "Seal the current tree head as a signed checkpoint "
                   "(C2SP signed note), and ask the configured witnesses (WITNESS_COSIGNERS) "
                   "to cosign it."),
    "consistency": ("ledger.cli.commands",
                    "Consistency proof between tree sizes FROM and TO (RFC 9162)."),
    "demo-data": ("ledger.cli.rules_commands", "Generate realistic tendering trails as JSON "
                  "lines (+ reference data JSON)."),
    "export": ("ledger.cli.export_commands",
               "Export self-contained, verifiable files (project bundles)."),
    "ingest": ("ledger.cli.commands", "Append the events of a JSON-lines FILE; bad lines are "
               "reported and not stored."),
    "init": ("ledger.cli.commands", "Create the data directory, keys (0600), schema; deploy "
             "or attach the registry."),
    "keys": ("ledger.cli.key_commands", "Where the signing keys live (files or HSM), put them "
             "in the HSM, rotate them."),
    "lead": ("ledger.cli.rules_commands",
             "Show, transfer (移送), acknowledge (签收) or export one lead."),
    "leads": ("ledger.cli.rules_commands", "List violation leads (违规线索)."),
    "prove": ("ledger.cli.commands",
              "Inclusion proof of the event at INDEX in the tree of SIZE (RFC 9162)."),
    "pubkey": ("ledger.cli.commands", "The log's public verifier key (give it to bidders, "
               "supervisors, regulators)."),
    "receipt": ("ledger.cli.commands",
                "The receipt of one event (upgraded with a proof once checkpointed)."),
    "restore": ("ledger.cli.backup_commands", "Restore a backup FILE into a new data "
                "directory (--home) and an empty database."),
    "rules": ("ledger.cli.rules_commands", "Run the rule catalogue."),
    "status": ("ledger.cli.status_command", "Log identity, size and latest checkpoint."),
    "trust-policy": ("ledger.cli.trust_commands", "The trust policy (witness-trust/v1; v2 "
                     "with further chains) bidders, supervisors and regulators pin."),
}
"""The ledger's commands: where each lives and its one-line help (checked against the
commands by a test), so that listing them imports nothing heavy."""


class LazyGroup(click.Group):
    """A group whose commands live in modules imported only when one of them runs.

    ``witness --help`` lists the commands from ``LAZY_COMMANDS`` (name → module and short
    help) without importing the ledger, the database layer or the chain libraries: the
    listing is instant. ``tests/ledger/test_cli_lazy.py`` checks the table against the
    commands themselves."""

    def __init__(self, *args: Any, lazy: Mapping[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            importlib.import_module(self.lazy[cmd_name][0])  # registers it on this group
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self.commands[name].get_short_help_str(limit=10_000)
                 if name in self.commands else self.lazy[name][1])
                for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, lazy=LAZY_COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--home", type=click.Path(path_type=Path), default=None,
              help="Data directory (default $WITNESS_HOME or ./witness-data).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, as_json: bool) -> None:
    """Operate the trading witness ledger (交易见证链)."""
    ctx.obj = Context({"home": home} if home else {}, as_json)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the group, mapping errors to one line and an exit code (the mapping
    every command line shares: ``ledger.core.exit_codes``)."""
    if argv is None:  # the program itself (a test or a host passes its arguments)
        from ledger.runtime import own_process

        own_process()
    try:
        cli.main(args=argv, prog_name="witness", standalone_mode=False)
    except Exception as exc:  # every error: one line, never a traceback (unless debugging)
        outcome = classify(exc)
        if outcome.internal and _debugging():
            raise
        fail(outcome.message, outcome.code)


def _debugging() -> bool:
    """``WITNESS_DEBUG`` (``Settings.debug``): show the traceback of an internal error."""
    from ledger.settings import Settings

    try:
        return Settings().debug
    except ValueError:  # settings that do not even load: no internal error to show
        return False
