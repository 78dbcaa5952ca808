"""Checking a signed checkpoint against the registry on chain.

Role: given a checkpoint already verified with the pinned key, its anchor reference (or none)
and a :class:`~verifier.readers.chain.RegistryReader`, record problems or pending state in a
report. The chain, registry and log id used are the pinned ones; the anchor reference is only
a pointer, and every field of it is compared with the policy and the chain: the checkpoint at
``chain_index`` has the signed size and root and was stored in ``block_number``; that block
has ``block_hash`` and ``block_timestamp``; ``tx_hash`` is a successful transaction to the
registry, mined in that block, that emitted CheckpointAnchored for this log id, index, size
and root. A contradiction is an ``anchor`` problem naming each field with both values; the
chain holding another root for the signed size is a ``fork``.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chain_access.registry_events import AnchoredEvent
from ledger.core.anchor_ref import AnchorRef
from verifier.policy import TrustPolicy
from verifier.readers import SourceUnavailable
from verifier.readers.chain import (
    ChainTx,
    OnChainCheckpoint,
    RegistryReader,
    find_size,
)
from verifier.report import Report
from verifier.succession import Succession, accept, for_report


@dataclass(frozen=True)
class Mismatch:
    """One field of an anchor reference and what the trusted side says instead."""

    field: str
    claimed: Any
    actual: Any
    why: str = ""

    def text(self) -> str:
        why = f" ({self.why})" if self.why else ""
        return f"anchor {self.field} is {self.claimed}, {self.actual}{why}"

    def to_json(self) -> dict[str, Any]:
        out = {"field": self.field, "anchor": self.claimed, "actual": self.actual}
        return out | ({"why": self.why} if self.why else {})


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def _claims(ref: AnchorRef, policy: TrustPolicy, size: int, root: bytes,
            log_id: bytes) -> list[Mismatch]:
    """How the anchor reference contradicts the trust anchors or the signed checkpoint
    (``log_id``: the pinned log id, or a successor followed from it)."""
    bad = []
    if ref.chain_id != policy.chain_id:
        bad.append(Mismatch("chain_id", ref.chain_id, f"the policy trusts {policy.chain_id}"))
    if ref.registry.lower() != str(policy.registry).lower():
        bad.append(Mismatch("registry", ref.registry, f"the policy trusts {policy.registry}"))
    if ref.log_id != log_id:
        bad.append(Mismatch("log_id", _hex(ref.log_id),
                            f"the policy trusts {policy.pinned_log_id}"))
    if ref.tree_size != size:
        bad.append(Mismatch("tree_size", ref.tree_size, f"the checkpoint has {size}"))
    if ref.root != root:
        bad.append(Mismatch("root", ref.root.hex(), f"the checkpoint has {root.hex()}"))
    return bad


def _against_chain(reader: RegistryReader, on: OnChainCheckpoint | None, ref: AnchorRef,
                   log_id: bytes) -> list[Mismatch]:
    """Every field of ``ref`` against the chain (``on``: the checkpoint at its index)."""
    if on is None:
        count = reader.checkpoint_count(log_id)
        return [Mismatch("chain_index", ref.chain_index, f"no checkpoint of this log has "
                         f"that index on chain (it holds {count})")]
    if (on.tree_size, on.root) != (ref.tree_size, ref.root):
        return [Mismatch("chain_index", ref.chain_index, f"chain checkpoint #{on.index} is "
                         f"size {on.tree_size} root {on.root.hex()}")]
    out = []
    if ref.block_number != on.block_number:
        out.append(Mismatch("block_number", ref.block_number,
                            f"the chain stored it in block {on.block_number}"))
    block = reader.block(on.block_number)
    if block is not None and ref.block_hash != block.hash:
        out.append(Mismatch("block_hash", _hex(ref.block_hash),
                            f"block {block.number} has hash {_hex(block.hash)}"))
    if block is not None and ref.block_timestamp != block.timestamp:
        out.append(Mismatch("block_timestamp", ref.block_timestamp,
                            f"block {block.number} has timestamp {block.timestamp}"))
    why = _tx_defect(reader.transaction(ref.tx_hash), ref, on, log_id)
    if why:
        real = reader.anchoring_tx(log_id, on.index, on.block_number)
        actual = (f"the chain anchored it in transaction {_hex(real)}" if real is not None
                  else "the chain names no anchoring transaction")
        out.append(Mismatch("tx_hash", _hex(ref.tx_hash), actual, why))
    return out


def _tx_defect(tx: ChainTx | None, ref: AnchorRef, on: OnChainCheckpoint,
               log_id: bytes) -> str:
    """Why ``tx`` is not the transaction that anchored ``on`` ("" when it is)."""
    if tx is None:
        return "no such transaction on chain"
    if tx.to is None or tx.to.lower() != ref.registry.lower():
        return f"that transaction is to {tx.to}, not the registry"
    if tx.status != 1:
        return "that transaction failed (status 0)"
    if tx.block_number != on.block_number:
        return f"that transaction is in block {tx.block_number}"
    if AnchoredEvent(log_id, on.index, on.tree_size, on.root) not in tx.anchored:
        return "that transaction emitted no CheckpointAnchored for this checkpoint"
    return ""


def check_anchor(report: Report, reader: RegistryReader | None, policy: TrustPolicy,
                 size: int, root: bytes, anchor: AnchorRef | None) -> int | None:
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


def _by_size(report: Report, reader: RegistryReader, log_id: bytes, size: int,
             root: bytes, links: Succession | None) -> int | None:
    """No reference: the chain is searched for the signed size (along the links when the
    pinned log is frozen)."""
    if links is None:
        found = find_size(reader, log_id, size)
        where = None if found is None else (log_id, found)
    else:
        where = links.find(reader, size)
    if where is None:
        report.pending.append(f"checkpoint {size} is not anchored on chain yet" if links is None
                              else links.pending(size))
        return None
    log_id, found = where
    if found.root != root:
        report.fail("fork", f"the chain holds size {size} with root {found.root.hex()}, "
                    f"the log signed root {root.hex()}", index=size,
                    evidence={"size": size, "chain_root": found.root.hex(),
                              "signed_root": root.hex()})
        return None
    if links is not None and not accept(report, links, log_id, found):
        return None
    return found.timestamp


def _check_on_chain(report: Report, reader: RegistryReader, policy: TrustPolicy, size: int,
                    root: bytes, ref: AnchorRef | None) -> int | None:
    log_id = bytes.fromhex(policy.pinned_log_id[2:])
    report.count("anchors")
    links = for_report(report, reader, log_id)  # None unless the pinned log is frozen
    if ref is None:
        return _by_size(report, reader, log_id, size, root, links)
    if links is not None and ref.log_id in links.logs:
        log_id = ref.log_id  # a successor followed from the pinned log
    wrong = _claims(ref, policy, size, root, log_id)
    on = None if wrong else reader.checkpoint_at(log_id, ref.chain_index)
    if on is not None and on.tree_size == size and on.root != root:
        # a fork only when the chain holds another root for this very size
        report.fail("fork", f"chain checkpoint #{on.index} is size {size} root "
                    f"{on.root.hex()}, the log signed root {root.hex()}", index=size,
                    evidence={"size": size, "anchor": ref.to_json(),
                              "chain_root": on.root.hex(), "signed_root": root.hex()})
        return None
    if not wrong:
        wrong = _against_chain(reader, on, ref, log_id)
    if wrong:
        report.fail("anchor", "; ".join(m.text() for m in wrong), index=size,
                    evidence={"size": size, "anchor": ref.to_json(),
                              "mismatches": [m.to_json() for m in wrong]})
        return None
    if on is None or (links is not None and not accept(report, links, log_id, on)):
        return None
    return on.timestamp
