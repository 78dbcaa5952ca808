"""``witness export project ID -o FILE``: write a project bundle for a supervisor.

Must not import the API or the verifier.
"""

from __future__ import annotations

from pathlib import Path

import click

from ledger.cli.app import Context, cli, json_option
from ledger.core.progress import Progress
from ledger.export import dumps_bundle, export_project
from ledger.home import open_log

pass_ctx = click.make_pass_decorator(Context)
PROGRESS_EVERY = 1000
"""Events between two progress lines off a terminal (``WITNESS_PROGRESS_EVERY``)."""


@cli.group()
def export() -> None:
    """Export self-contained, verifiable files (project bundles)."""


@export.command("project")
@json_option
@click.argument("project_id")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="The bundle file to write (witness-bundle/v1 JSON).")
@click.option("--progress/--no-progress", default=True, show_default=True,
              help="Show progress on stderr: a bar on a terminal, else a line every "
                   f"{PROGRESS_EVERY} events.")
@pass_ctx
def export_project_cmd(ctx: Context, project_id: str, output: Path, progress: bool) -> None:
    """Every event of PROJECT_ID with proofs, checkpoints and anchors (check it with
    `witness-verify bundle`)."""
    meter = Progress("export", unit="events", verb="written", every=PROGRESS_EVERY,
                     enabled=progress)

    def tick(n: int, total: int) -> None:
        meter.total = total
        meter.advance(n)

    with meter:
        bundle = export_project(open_log(ctx.settings), project_id, progress=tick)
    output.write_text(dumps_bundle(bundle), encoding="utf-8")
    data = {"output": str(output), "project_id": project_id, "events": len(bundle["events"]),
            "proof_size": bundle["proof_size"], "checkpoints": len(bundle["checkpoints"])}
    ctx.emit(data, lambda d: (f"bundle of project {d['project_id']} ({d['events']} events, "
                              f"proofs against size {d['proof_size']}) written to {d['output']}"))
