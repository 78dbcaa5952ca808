"""``witness trust-policy export [-o FILE]``: the policy verifiers pin, and its fingerprint.

Must not import the API or the verifier.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ledger.cli.app import Context, cli, json_option
from ledger.core.trust import policy_fingerprint
from ledger.home import open_log
from ledger.trust_policy import local_endpoint, policy_document

pass_ctx = click.make_pass_decorator(Context)


@cli.group("trust-policy")
def trust_policy() -> None:
    """The trust policy (witness-trust/v1; v2 with further chains) bidders, supervisors and
    regulators pin."""


@trust_policy.command("export")
@json_option
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write the policy here (default: standard output).")
@click.option("--endpoint", help="Chain endpoint to write (default: the configured chain).")
@click.option("--no-endpoint", is_flag=True, help="Write no chain endpoint: each verifier "
              "names its own node with --chain.")
@click.option("--witness-quorum", type=int, help="Cosignatures required (default: a majority "
              "of the configured witnesses).")
@click.option("--optional-chain", "optional", type=int, multiple=True, metavar="CHAIN_ID",
              help="A further bound chain whose anchor is not required (repeatable; default: "
              "every bound chain is required).")
@click.option("--pin-current-key", is_flag=True, help="Pin the log's current key instead of "
              "its first one and its rotations: a new fingerprint (after a stolen log key, "
              "docs/keys.md).")
@pass_ctx
def export_policy(ctx: Context, output: Path | None, endpoint: str | None, no_endpoint: bool,
                  witness_quorum: int | None, optional: tuple[int, ...],
                  pin_current_key: bool) -> None:
    """Export the log key, origin, chain id, genesis hash, registry, log id and witnesses;
    prints the fingerprint to publish (e.g. on the center's website)."""
    settings = ctx.settings
    log = open_log(settings)
    try:
        where = None if no_endpoint else (endpoint or local_endpoint(settings))
        doc = policy_document(settings, log, endpoint=where, witness_quorum=witness_quorum,
                              optional=optional, pin_current_key=pin_current_key)
    finally:
        log.db.dispose()
    fingerprint = policy_fingerprint(doc)
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        click.echo(f"fingerprint {fingerprint}", err=True)
        return
    output.write_text(text, encoding="utf-8")
    ctx.emit({"output": str(output), "fingerprint": fingerprint},
             lambda d: f"trust policy written to {d['output']}\nfingerprint {d['fingerprint']}")
