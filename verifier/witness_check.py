"""Witness quorum: how many of the policy's independent witnesses cosigned a checkpoint.

Role: for a checkpoint note already verified with the pinned log key, count the valid
cosignatures (C2SP tlog-cosignature) by *distinct* witnesses the policy lists. A line that
names a listed witness but does not verify over this checkpoint — the witness signed
another tree, or the line was altered — is not counted and is a problem naming the
witness. Fewer valid cosignatures than ``witness_quorum`` is an integrity failure that says
who did cosign. With no witnesses in the policy nothing is required (quorum 0).

For a ledger database the cosignature lines live in their own table (``cosignatures``,
docs/formats.md); they are read here with plain SQL, as the rest of the fsck reads.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI, the SQLAlchemy ORM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledger.core.cosignature import count_cosignatures
from ledger.core.errors import MalformedError, VerificationError
from ledger.core.note import split_note
from verifier.policy import TrustPolicy
from verifier.report import Report

# Only the fsck passes a database; receipts and bundles are checked here too, and must not
# need the [db] extra (SQLAlchemy) of witness-verify.
if TYPE_CHECKING:
    from sqlalchemy import Connection

    from verifier.readers.db import LedgerDB


def check_cosignatures(report: Report, policy: TrustPolicy, note: str, size: int, *,
                       require: bool = True) -> None:
    """Count the policy's witnesses on ``note`` (of tree ``size``); enforce the quorum
    unless ``require`` is false (a checkpoint another, checked one already vouches for)."""
    if not policy.witnesses:
        return
    body, sigs = split_note(note)
    count = count_cosignatures(body, sigs, policy.witness_keys)
    for name in count.invalid:
        report.fail("cosignature", f"checkpoint {size}: the cosignature of witness {name} does "
                    "not verify over this checkpoint (it signed another tree, or the line was "
                    "altered): not counted",
                    evidence={"checkpoint_size": size, "witness": name})
    if not require:
        return
    names = sorted(count.valid)
    report.count("cosignatures", len(names))
    report.subject["witnesses"] = {"checkpoint_size": size, "cosigned_by": names,
                                   "quorum": policy.witness_quorum}
    if len(names) < policy.witness_quorum:
        report.fail("witness_quorum", f"checkpoint {size} is cosigned by {len(names)} of the "
                    f"trusted witnesses ({', '.join(names) or 'none'}); the policy requires "
                    f"{policy.witness_quorum}",
                    evidence={"checkpoint_size": size, "cosigned_by": names,
                              "quorum": policy.witness_quorum})
    else:
        report.summary.append(f"witnesses: checkpoint {size} cosigned by "
                              f"{', '.join(names) or 'none'} (quorum {policy.witness_quorum})")


def check_ledger_witnesses(report: Report, policy: TrustPolicy, db: LedgerDB,
                           conn: Connection) -> None:
    """fsck: every stored cosignature must verify; the newest checkpoint must meet the
    quorum (the recomputation already ties every earlier checkpoint to it)."""
    if not policy.witnesses:
        return
    stored = db.cosignatures(conn)
    for size, line, note in stored:
        _check_line(report, policy, note, line, size)
    latest = db.latest_checkpoint(conn)
    if latest is None:
        report.skip("witness quorum", "the ledger has no checkpoint yet")
        return
    size, note = latest
    # stored in witness order (the order the log hands its cosigned notes out in)
    lines = sorted((line for s, line, _ in stored if s == size), key=_witness_of)
    check_cosignatures(report, policy, note + "".join(lines), size)


def _witness_of(line: str) -> str:
    return line.split(" ", 2)[1] if line.count(" ") >= 2 else line


def _check_line(report: Report, policy: TrustPolicy, note: str, line: str, size: int) -> None:
    try:
        check_cosignatures(report, policy, note + line, size, require=False)
    except MalformedError as exc:
        report.fail("cosignature", f"checkpoint {size}: stored cosignature line is malformed "
                    f"({exc})", evidence={"checkpoint_size": size})


def check_bundle_notes(report: Report, policy: TrustPolicy, notes: list[str],
                       proof_size: int) -> None:
    """Bundle or lead package: every cosignature on its log-signed checkpoints must verify;
    the proof checkpoint (every event is proven against it, and consistency proofs tie the
    others to it) must meet the quorum."""
    if not policy.witnesses:
        return
    for note in notes:
        try:
            cp = policy.log_keys.open_checkpoint(note, policy.origin)[0]
        except (VerificationError, MalformedError):
            continue  # reported by the checkpoint check
        check_cosignatures(report, policy, note, cp.size, require=cp.size == proof_size)
