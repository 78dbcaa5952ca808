"""The ``witness-verify`` command line: receipts, bundles, checkpoints, whole ledgers.

Role: parse flags into a :class:`~verifier.policy.TrustPolicy`, call the check functions,
print the report (text or ``--json``) and exit 0 intact/pending, 1 integrity failure, 2 bad
input or usage, 3 a source unreachable. Malformed input gives one line, never a traceback.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI, the SQLAlchemy ORM.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from ledger.core.errors import MalformedError
from ledger.core.exit_codes import EXIT_UNREACHABLE, classify
from verifier import policy as pol
from verifier.commands import bundle_cmd, checkpoints_cmd, ledger_cmd, receipt_cmd
from verifier.extras import missing_module_message
from verifier.report import Report


class Options:
    """Trust flags shared by every subcommand, and the output mode."""

    def __init__(self, **flags: Any) -> None:
        self.flags = flags
        self.as_json = bool(flags.pop("as_json"))
        self.offline = bool(flags.pop("offline"))
        self.expected_fingerprint: str | None = flags.pop("policy_fingerprint")
        self.fingerprint: str | None = None

    def policy(self) -> pol.TrustPolicy:
        path = self.flags.pop("policy_file", None)
        base = pol.load_policy_file(path) if path else None
        policy = pol.build(base=base, **self.flags)
        if path or self.expected_fingerprint:
            # the fingerprint of what is trusted (flags included), to compare with the
            # one the center publishes
            self.fingerprint = policy.fingerprint
        expected = (self.expected_fingerprint or "").lower().removeprefix("sha256:")
        if expected and expected != self.fingerprint:
            raise MalformedError(f"the trust policy has fingerprint {self.fingerprint}, "
                                 f"--policy-fingerprint pins {expected}")
        return policy

    def emit(self, report: Report) -> NoReturn:
        if self.fingerprint is not None:
            report.subject["policy_fingerprint"] = self.fingerprint
        if self.as_json:
            click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        else:
            click.echo(report.to_text())
        sys.exit(report.exit_code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--policy", "policy_file", type=click.Path(path_type=Path, dir_okay=False),
              help="Trust policy file (witness-trust/v1 JSON); flags override it.")
@click.option("--key", help="The log's public key, a C2SP verifier key (name+hash+key).")
@click.option("--origin", help="The log origin (default: the key's name).")
@click.option("--chain", help="Chain to check anchors on: http(s)://… or embedded:PATH.")
@click.option("--chain-id", type=int, help="Pinned chain id.")
@click.option("--registry", help="Pinned registry contract address.")
@click.option("--log-id", help="Pinned log id (default: SHA-256 of the origin).")
@click.option("--genesis-hash", help="Pinned genesis block hash of the chain (0x…64 hex).")
@click.option("--upgrade-path", help="Receipt path on the ledger server "
              "(default /v1/receipts/{index}).")
@click.option("--policy-fingerprint", help="Refuse a trust policy (file and flags) whose "
              "fingerprint is not this one (as the center publishes it).")
@click.option("--offline", is_flag=True, help="Do not contact the chain.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def cli(ctx: click.Context, /, **flags: Any) -> None:
    """Verify witness ledger material without trusting the center (交易见证链验证)."""
    ctx.obj = Options(**flags)
    _RUN.update(kind=ctx.invoked_subcommand or "", as_json=ctx.obj.as_json)


_RUN: dict[str, Any] = {}
"""The subcommand being run and the output mode, for a source that fails before any report
exists (the chain down at start): ``--json`` still gets a report."""


for _command in (receipt_cmd, bundle_cmd, ledger_cmd, checkpoints_cmd):
    cli.add_command(_command)


def fail(message: str, code: int) -> NoReturn:
    click.echo(f"witness-verify: {message}", err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: errors become one line and an exit code (the mapping every
    command line shares: ``ledger.core.exit_codes``)."""
    try:
        cli.main(args=argv, prog_name="witness-verify", standalone_mode=False)
    except Exception as exc:  # every error: one line, never a traceback (unless debugging)
        outcome = classify(exc)
        if outcome.internal and os.environ.get("WITNESS_DEBUG"):
            raise
        message = outcome.message
        if isinstance(exc, ModuleNotFoundError):  # name the extra that brings it
            message = missing_module_message(exc)
        if outcome.code == EXIT_UNREACHABLE and _RUN.get("as_json"):
            # a report, not silence: outcome "unreachable", nothing checked
            report = Report(str(_RUN.get("kind") or "verify"))
            report.skip("everything", message, unreachable=True)
            click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        fail(message, outcome.code)
