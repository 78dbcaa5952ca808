"""``witness keys``: where the signing keys live, putting them in the HSM, rotating them.

Stop ``witness serve`` before a rotation: the service holds the keys it opened with (and an
embedded chain admits one writer). Procedures: docs/keys.md. Must not import the API or the
verifier.
"""

from __future__ import annotations

from typing import Any

import click

from ledger.cli.app import Context, cli, json_option
from ledger.signers.config import ROLES, Role
from ledger.signers.slots import FILES, FileSlot, TokenSlot, key_slot

pass_ctx = click.make_pass_decorator(Context)
ROLE = click.Choice(ROLES)
ROTATE_INSTEAD = {"log": "rotate-log-key", "checkpoint": "rotate-checkpoint-signer",
                  "anchorer": "rotate-anchorer"}


@cli.group("keys")
def keys() -> None:
    """Where the signing keys live (files or HSM), put them in the HSM, rotate them."""


@keys.command("status")
@json_option
@pass_ctx
def status(ctx: Context) -> None:
    """Where each signing key lives and its public identity (never key material)."""
    rows = []
    for role in ROLES:
        slot = key_slot(ctx.settings.home, role)
        row: dict[str, Any] = {"role": role, "where": slot.where(), "hsm": isinstance(
            slot, TokenSlot), "exists": slot.exists(), "rotation_pending": slot.exists("next")}
        if row["exists"] and not (role == "anchorer" and not _local_anchorer(ctx, slot)):
            row["public"] = slot.public_id()
        rows.append(row)
    ctx.emit({"keys": rows}, lambda d: "\n".join(
        f"{r['role']:<10} {r['where']}  {r.get('public', '-' if r['exists'] else 'missing')}"
        + ("  (rotation under way)" if r["rotation_pending"] else "") for r in d["keys"]))


def _local_anchorer(ctx: Context, slot: Any) -> bool:
    """The anchorer key is the data directory's (or the token's) only for an embedded chain
    or the HSM; on a node it comes from the keystore, which this command does not open."""
    return isinstance(slot, TokenSlot) or ctx.settings.chain.startswith("embedded")


def _require_token_slot(ctx: Context, role: Role) -> TokenSlot:
    slot = key_slot(ctx.settings.home, role)
    if not isinstance(slot, TokenSlot):
        env = {"log": "LOG_KEY", "checkpoint": "CHECKPOINT_KEY", "anchorer": "ANCHORER_KEY"}
        raise click.UsageError(f"no token label for the {role} key: set "
                               f"WITNESS_HSM_{env[role]} (and WITNESS_HSM_MODULE, "
                               "WITNESS_HSM_TOKEN, WITNESS_HSM_PIN_FILE)")
    return slot


def _in_use(ctx: Context, role: Role) -> bool:
    """Whether the log already relies on ``role``'s key (then only a rotation replaces it)."""
    from ledger.home import read_log_info
    from ledger.store.database import Database

    db = Database(ctx.settings.database_url)
    try:
        info = read_log_info(db)
    except Exception:  # no schema yet: nothing relies on any key
        return False
    finally:
        db.dispose()
    return "vkey" in info if role == "log" else "chain.registry" in info


@keys.command("hsm-generate")
@json_option
@click.option("--role", "roles", type=ROLE, multiple=True, required=True,
              help="Which key to make in the token (repeatable).")
@pass_ctx
def hsm_generate(ctx: Context, roles: tuple[Role, ...]) -> None:
    """Make keys inside the HSM token (before `witness init`); they never leave it."""
    made = []
    for role in roles:
        slot = _require_token_slot(ctx, role)
        if _in_use(ctx, role):
            raise click.UsageError(f"the log already has its {role} key: replace it with "
                                   f"`witness keys {ROTATE_INSTEAD[role]}`")
        slot.create()
        made.append({"role": role, "where": slot.where(), "public": slot.public_id()})
    ctx.emit({"generated": made}, lambda d: "\n".join(
        f"{m['role']} key made in {m['where']}: {m['public']}" for m in d["generated"]))


@keys.command("hsm-import")
@json_option
@click.option("--role", "roles", type=ROLE, multiple=True, required=True,
              help="Which key file to move into the token (repeatable).")
@pass_ctx
def hsm_import(ctx: Context, roles: tuple[Role, ...]) -> None:
    """Move key files of the data directory into the HSM token (the file is retired)."""
    moved = []
    for role in roles:
        slot = _require_token_slot(ctx, role)
        source = FileSlot(role, ctx.settings.home / FILES[role])
        if not source.exists():
            raise click.UsageError(f"no {role} key file at {source.path}")
        slot.import_secret(source.secret())
        if slot.public_id() != source.public_id():
            raise click.ClickException(f"the token's {role} key differs from {source.path}: "
                                       "the file is kept")
        retired = source.promote()  # no next key: only retires the file
        moved.append({"role": role, "where": slot.where(), "public": slot.public_id(),
                      "file": retired})
    ctx.emit({"imported": moved}, lambda d: "\n".join(
        f"{m['role']} key now in {m['where']} ({m['public']}); the file copy is at "
        f"{m['file']}: destroy it once the token is backed up" for m in d["imported"]))


@keys.command("rotate-log-key")
@json_option
@pass_ctx
def rotate_log_key_cmd(ctx: Context) -> None:
    """Hand the log key over to a new one, announced in the log; then the checkpoint signer."""
    from ledger.anchoring.chains import bound_chains, open_bound
    from ledger.anchoring.rotation import rotate_checkpoint_signer
    from ledger.home import open_log
    from ledger.signers.log_rotation import rotate_log_key

    data: dict[str, Any] = {"log_key": None, "checkpoint_signer": None}
    log = open_log(ctx.settings, handover=True)
    try:
        chains = bound_chains(log)
        for bound in chains:  # every chain reachable before anything changes
            open_bound(ctx.settings, bound).close()
    finally:
        log.db.dispose()
    # a checkpoint signer rotation left pending belongs to the last log key rotation:
    # finish it instead of starting another hand-over
    if not (chains and key_slot(ctx.settings.home, "checkpoint").exists("next")):
        data["log_key"] = rotate_log_key(ctx.settings).to_json()
    if chains:
        log = open_log(ctx.settings)
        try:
            data["checkpoint_signer"] = rotate_checkpoint_signer(ctx.settings, log).to_json()
        finally:
            log.db.dispose()
    ctx.emit(data, _rotated_text)


def _rotated_text(d: dict[str, Any]) -> str:
    k = d["log_key"]
    lines = [] if k is None else [
        f"log key {k['old_key']} handed over to {k['new_key']} (statement at index "
        f"{k['index']}, checkpoint {k['checkpoint_size']} sealed by the old key)",
        f"old key retired to {k['retired']}"]
    if d["checkpoint_signer"]:
        lines.append(_signer_text(d["checkpoint_signer"]))
    lines.append("publish the new trust policy (`witness trust-policy export`): its "
                 "fingerprint is unchanged")
    return "\n".join(lines)


def _signer_text(d: dict[str, Any]) -> str:
    return (f"{d['role']} {d['old']} replaced by {d['new']} on chain(s) "
            f"{', '.join(d['chains'])}; old key retired to {d['retired']}")


@keys.command("rotate-checkpoint-signer")
@json_option
@pass_ctx
def rotate_checkpoint_signer_cmd(ctx: Context) -> None:
    """Replace the checkpoint signer on every bound registry (old signer consents)."""
    from ledger.anchoring.rotation import rotate_checkpoint_signer
    from ledger.home import open_log

    log = open_log(ctx.settings)
    try:
        done = rotate_checkpoint_signer(ctx.settings, log)
    finally:
        log.db.dispose()
    ctx.emit(done.to_json(), _signer_text)


@keys.command("rotate-anchorer")
@json_option
@pass_ctx
def rotate_anchorer_cmd(ctx: Context) -> None:
    """Replace the anchorer account on every bound registry; the old one is revoked."""
    from ledger.anchoring.rotation import rotate_anchorer
    from ledger.home import open_log

    log = open_log(ctx.settings)
    try:
        done = rotate_anchorer(ctx.settings, log)
    finally:
        log.db.dispose()
    ctx.emit(done.to_json(), _signer_text)
