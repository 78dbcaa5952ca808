"""``witness backup -o FILE`` and ``witness restore FILE``: one file holds the whole log
(every table, read in one transaction, and the keys unless ``--no-keys``); a restore proves
the restored log is the one backed up (ledger.backup).

Must not import the API or the verifier.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ledger.backup import create_backup, restore_backup
from ledger.cli.app import Context, cli, json_option

pass_ctx = click.make_pass_decorator(Context)


def _summary(d: dict[str, Any]) -> str:
    rows = sum(t["rows"] for t in d["tables"].values())
    keys = ", ".join(d["keys"]) or "none (keep them apart, e.g. in the HSM)"
    return (f"log {d['origin']} at size {d['size']} (root {d['root']}): {rows} rows in "
            f"{len(d['tables'])} tables; keys: {keys}")


@cli.command()
@json_option
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The backup file to write (mode 0600: it holds the keys).")
@click.option("--no-keys", is_flag=True, help="Leave the key files out of the backup.")
@pass_ctx
def backup(ctx: Context, output: Path, no_keys: bool) -> None:
    """Back up the log (a consistent snapshot, the service may run) and its keys to a file."""
    manifest = create_backup(ctx.settings, output, keys=not no_keys)
    ctx.emit({**manifest, "output": str(output)},
             lambda d: f"backup {d['output']}: {_summary(d)}")


@cli.command()
@json_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def restore(ctx: Context, file: Path) -> None:
    """Restore a backup FILE into a new data directory (--home) and an empty database."""
    manifest = restore_backup(file, ctx.settings)
    ctx.emit({**manifest, "home": str(ctx.settings.home)},
             lambda d: f"restored into {d['home']}: {_summary(d)}; the same size and root "
                       "as backed up (check it against the chain: witness-verify ledger)")
