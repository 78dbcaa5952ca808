"""Checking a signed checkpoint against the registry on chain.

Role: given a checkpoint already verified with the pinned key, its anchor reference (or none)
and a :class:`~verifier.readers.chain.RegistryReader`, record problems or pending state in a
report. The chain, registry and log id used are the pinned ones; the anchor reference is only
a pointer, every field of it is compared with the policy and the chain.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

from typing import Any

from verifier.policy import TrustPolicy
from verifier.readers import SourceUnavailable
from verifier.readers.chain import OnChainCheckpoint, RegistryReader, find_size
from verifier.report import Report


def _claims(anchor: dict[str, Any], policy: TrustPolicy, size: int, root: bytes) -> list[str]:
    """How the anchor reference contradicts the trust anchors or the checkpoint."""
    bad = []
    if anchor.get("chain_id") != policy.chain_id:
        bad.append(f"anchored on chain {anchor.get('chain_id')!r}, "
                   f"the policy trusts chain {policy.chain_id}")
    if str(anchor.get("registry", "")).lower() != str(policy.registry).lower():
        bad.append(f"anchored in registry {anchor.get('registry')!r}, "
                   f"the policy trusts {policy.registry}")
    if str(anchor.get("log_id", "")).lower() != policy.pinned_log_id:
        bad.append(f"anchored under log id {anchor.get('log_id')!r}, not {policy.pinned_log_id}")
    if anchor.get("tree_size", size) != size:
        bad.append(f"anchor names tree size {anchor.get('tree_size')!r}, checkpoint has {size}")
    if str(anchor.get("root", root.hex())).lower().removeprefix("0x") != root.hex():
        bad.append("anchor names another root than the checkpoint")
    index = anchor.get("chain_index")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        bad.append("anchor has no valid chain_index")
    return bad


def _compare(on: OnChainCheckpoint | None, anchor: dict[str, Any], size: int,
             root: bytes) -> str | None:
    if on is None:
        return f"no checkpoint #{anchor.get('chain_index')} of this log on chain"
    if on.tree_size != size or on.root != root:
        return (f"chain checkpoint #{on.index} is size {on.tree_size} root {on.root.hex()}, "
                f"the signed checkpoint is size {size} root {root.hex()}")
    if "block_number" in anchor and anchor["block_number"] != on.block_number:
        return f"anchor names block {anchor['block_number']}, chain says {on.block_number}"
    return None


def check_anchor(report: Report, reader: RegistryReader | None, policy: TrustPolicy,
                 size: int, root: bytes, anchor: dict[str, Any] | None) -> int | None:
    """Check one checkpoint on chain; the block timestamp when it is anchored there."""
    if reader is None:
        if anchor is None:
            report.pending.append(f"checkpoint {size} has no anchor reference")
        else:
            report.skip(f"anchor of checkpoint {size}", "no chain given (offline)")
        return None
    try:
        return _check_on_chain(report, reader, policy, size, root, anchor)
    except SourceUnavailable as exc:
        report.skip(f"anchor of checkpoint {size}", str(exc), unreachable=True)
        return None


def _check_on_chain(report: Report, reader: RegistryReader, policy: TrustPolicy, size: int,
                    root: bytes, anchor: dict[str, Any] | None) -> int | None:
    log_id = bytes.fromhex(policy.pinned_log_id[2:])
    report.count("anchors")
    if anchor is None:
        found = find_size(reader, log_id, size)
        if found is None:
            report.pending.append(f"checkpoint {size} is not anchored on chain yet")
            return None
        if found.root != root:
            report.fail("fork", f"the chain holds size {size} with root {found.root.hex()}, "
                        f"the log signed root {root.hex()}", index=size,
                        evidence={"size": size})
            return None
        return found.timestamp
    bad = _claims(anchor, policy, size, root)
    if bad:
        report.fail("anchor", "; ".join(bad), index=size,
                    evidence={"size": size, "anchor": anchor})
        return None
    on = reader.checkpoint_at(log_id, anchor["chain_index"])
    wrong = _compare(on, anchor, size, root)
    if wrong is None and on is not None and "block_hash" in anchor:
        actual = reader.block_hash(on.block_number).hex()
        if str(anchor["block_hash"]).lower().removeprefix("0x") != actual:
            wrong = f"block {on.block_number} has hash 0x{actual}, anchor names another"
    if wrong is not None:
        # a fork only when the chain holds another root for this very size; a reference
        # naming the wrong index, block or hash is an anchor problem
        fork = on is not None and on.tree_size == size and on.root != root
        code = "fork" if fork else "anchor"
        report.fail(code, wrong, index=size, evidence={"size": size, "anchor": anchor})
        return None
    return on.timestamp if on is not None else None
