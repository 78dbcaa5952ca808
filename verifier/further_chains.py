"""Checking a checkpoint on the further chains a v2 trust policy lists (``chains``).

Role: the primary chain is checked by ``anchor_check`` as before; each further chain the
policy pins is checked the same way (every field of its anchor reference against the policy
and that chain, or, with no reference, a search of the chain by size), with these rules:

- a contradiction on any listed chain (a field that does not match, another root for the
  signed size) is an integrity failure, whether the chain is required or not;
- a *required* chain that does not hold the checkpoint yet, or cannot be reached, leaves it
  pending: valid so far, not anchored as the policy requires (exit 0, outcome pending); so
  does, offline, a checkpoint with no reference on a required chain;
- an optional chain that does not hold it, or cannot be reached, is noted as unchecked;
- an anchor reference naming a chain the policy does not list is noted and not trusted.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.core.anchor_ref import AnchorRef
from verifier.anchor_check import check_anchor
from verifier.policy import ChainPin, TrustPolicy
from verifier.readers import SourceUnavailable
from verifier.readers.chain import RegistryReader, open_registry
from verifier.report import Report


class FurtherChains:
    """Readers of the policy's further chains, each opened on first use (one failure to
    connect is remembered, not retried per checkpoint) and closed by ``close``. ``online``
    is False when the verifier runs offline (no chain is consulted)."""

    def __init__(self, policy: TrustPolicy, online: bool) -> None:
        self.policy = policy
        self.online = online
        self._open: dict[int, RegistryReader | SourceUnavailable | None] = {}

    def reader(self, k: int) -> RegistryReader | SourceUnavailable | None:
        if k not in self._open:
            self._open[k] = self._connect(self.policy.chains[k])
        return self._open[k]

    def _connect(self, pin: ChainPin) -> RegistryReader | SourceUnavailable | None:
        if not self.online or not pin.endpoint:
            return None
        try:
            return open_registry(pin.endpoint, pin.chain_id, pin.registry, pin.genesis_hash)
        except SourceUnavailable as exc:
            return exc

    def close(self) -> None:
        for reader in self._open.values():
            close = getattr(reader, "close", None)
            if callable(close):
                close()
        self._open.clear()


def check_further(report: Report, chains: FurtherChains, size: int, root: bytes,
                  primary: AnchorRef | None, refs: Sequence[AnchorRef]) -> None:
    """Check the checkpoint of ``size`` on every further chain of the policy."""
    policy = chains.policy
    for k, pin in enumerate(policy.chains):
        ref = next((r for r in refs if pin.matches(r.chain_id, r.registry)), None)
        _check_one(report, chains.reader(k), policy.on_chain(pin), pin, size, root, ref)
    known = [(policy.chain_id, policy.registry or "")] + \
        [(p.chain_id, p.registry) for p in policy.chains]
    for ref in [r for r in refs if r is not primary]:
        if not any(c == ref.chain_id and r.lower() == ref.registry.lower() for c, r in known):
            report.skip(f"anchor of checkpoint {size} on chain {ref.chain_id} (registry "
                        f"{ref.registry})", "that chain is not in the trust policy: "
                        "reported, not trusted")


def _check_one(report: Report, reader: RegistryReader | SourceUnavailable | None,
               policy: TrustPolicy, pin: ChainPin, size: int, root: bytes,
               ref: AnchorRef | None) -> None:
    what = f"anchor of checkpoint {size} on {pin.name}"
    if reader is None:  # offline, or no endpoint: as for the primary chain
        if ref is None and pin.required:
            report.pending.append(f"checkpoint {size} has no anchor reference on {pin.name}, "
                                  "which the policy requires")
        else:
            report.skip(what, "chain not consulted (offline or no endpoint)")
        return
    if isinstance(reader, SourceUnavailable):
        why = str(reader)
        if pin.required:
            report.pending.append(f"checkpoint {size}: its anchor on {pin.name}, which the "
                                  f"policy requires, is not confirmed ({why})")
        else:
            report.skip(what, f"optional chain not consulted ({why})")
        return
    sub = Report(report.kind)
    check_anchor(sub, reader, policy, size, root, ref)
    for problem in sub.problems:
        report.add(problem)
    for name, n in sub.counts.items():
        report.count(name, n)
    for note in sub.unchecked:  # the chain failed while being read: as unreachable above
        _check_one(report, SourceUnavailable(note["reason"]), policy, pin, size, root, ref)
    for line in sub.pending:
        if pin.required:
            report.pending.append(f"{line} on {pin.name} (required)")
        else:
            report.skip(what, f"{line} on this optional chain")
