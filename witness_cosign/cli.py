"""The ``witness-cosign`` command: create a witness, print its key, serve it.

Errors end as they do in ``witness`` and ``witness-verify`` (one mapping,
``ledger.core.exit_codes``): one line on stderr and exit 1 (a state that refuses the
request, such as a witness that already exists or a key file others can read), 2 (bad
input), 3 (a source that cannot be reached) or 130 (interrupted). The key is never printed
(only its verifier key, which is what a log and a trust policy pin).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ledger.core.exit_codes import classify
from ledger.core.note import NoteVerifier
from witness_cosign.keys import create_witness, load_witness

HOME = click.option("--home", type=click.Path(path_type=Path, file_okay=False),
                    default=Path("./witness-cosign-data"), show_default=True,
                    help="The witness's directory: key (0600), name, state.db.")
STATE_FILE = "state.db"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """An independent witness that cosigns a log's checkpoints (C2SP tlog-witness)."""


@cli.command()
@HOME
@click.option("--name", required=True, help="The witness's key name, e.g. regulator.example/w1.")
def init(home: Path, name: str) -> None:
    """Create the witness key in HOME and print its verifier key."""
    click.echo(create_witness(home, name).public.vkey())


@cli.command()
@HOME
def vkey(home: Path) -> None:
    """Print the witness's verifier key (what logs and trust policies pin)."""
    click.echo(load_witness(home).public.vkey())


@cli.command()
@HOME
@click.option("--log", "logs", multiple=True, required=True,
              help="Verifier key of a log to witness (repeatable); its name is the origin.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8090, show_default=True)
def serve(home: Path, logs: tuple[str, ...], host: str, port: int) -> None:
    """Serve POST /add-checkpoint for the given logs."""
    import uvicorn

    from witness_cosign.app import create_app
    from witness_cosign.protocol import Witness
    from witness_cosign.state import WitnessState

    verifiers = [NoteVerifier.from_vkey(v) for v in logs]
    witness = Witness(load_witness(home), WitnessState(home / STATE_FILE), verifiers)
    uvicorn.run(create_app(witness), host=host, port=port, log_level="warning")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: an error is one line and the exit code every command line gives
    it (``classify``); ``WITNESS_DEBUG=1`` shows an internal error's traceback instead."""
    try:
        cli.main(args=argv, prog_name="witness-cosign", standalone_mode=False)
    except Exception as exc:  # every error: one line, never a traceback (unless debugging)
        outcome = classify(exc)
        if outcome.internal and os.environ.get("WITNESS_DEBUG"):
            raise
        click.echo(f"witness-cosign: {outcome.message}", err=True)
        sys.exit(outcome.code)
