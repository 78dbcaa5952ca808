"""Rotating the keys the registry knows: the checkpoint signer and the anchorer account.

Checkpoint signer (`witness keys rotate-checkpoint-signer`, and after every log key
rotation): a next secp256k1 key is made in its slot; on every bound chain the current
signer signs its consent (``rotation_digest``) and the registry's admin sends
``rotateCheckpointSigner``; a CHECKPOINT_SIGNER_BOUND event, signed by the (current) log key,
binds the new signer in the log; then the slot promotes the next key.
Anchorer (`witness keys rotate-anchorer`): a next account is made and funded (the embedded
chain's faucet; on a real chain the operator funds it first); the registry's admin grants it
and revokes the old account — when the old account is itself the admin (a registry the
ledger deployed) it does so and hands the admin role over too; then the slot promotes it.
When the admin is someone else (the regulators' multisig) the calls it must send are given
(``AdminCallsNeeded``) and running the command again once they are mined finishes the
rotation. Every step checks the chain first, so a rotation run again never repeats a step.
Must not import the API or the verifier.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from eth_account.signers.local import LocalAccount

from chain_access import ChainBackend
from chain_access.abi_codec import encode_call
from ledger.anchoring import registry
from ledger.anchoring.binding import EMBEDDED_FUNDING_WEI, anchorer_account, append_signer_event
from ledger.anchoring.chains import BoundChain, bound_chains, open_bound
from ledger.anchoring.signer import CheckpointKey, load_checkpoint_key, rotation_digest
from ledger.core.errors import WitnessError
from ledger.log import WitnessLog
from ledger.settings import Settings
from ledger.signers.slots import TokenSlot, key_slot

ADMIN_ROLE = b"\x00" * 32  # AccessControl's DEFAULT_ADMIN_ROLE


@dataclass(frozen=True)
class AdminCall:
    """A registry call only its admin may send: what to sign and send, and why."""

    chain: str
    registry: str
    function: str
    args: tuple[str, ...]
    data: str

    def to_json(self) -> dict[str, Any]:
        return {"chain": self.chain, "to": self.registry, "function": self.function,
                "args": list(self.args), "data": self.data}


class AdminCallsNeeded(WitnessError):
    """The registry's admin must send these calls; run the rotation again afterwards."""

    def __init__(self, calls: list[AdminCall]) -> None:
        self.calls = calls
        listed = "; ".join(f"{c.function}({', '.join(c.args)}) to {c.registry} on chain "
                           f"{c.chain}, data {c.data}" for c in calls)
        super().__init__(f"the registry admin must send: {listed}; then run this command "
                         "again to finish the rotation")


@dataclass(frozen=True)
class KeyRotated:
    """A finished registry-side rotation: old and new address, where the old key went."""

    role: str
    old: str
    new: str
    chains: tuple[str, ...]
    retired: str | None

    def to_json(self) -> dict[str, Any]:
        return {"role": self.role, "old": self.old, "new": self.new,
                "chains": list(self.chains), "retired": self.retired}


def _log_id(bound: BoundChain) -> bytes:
    return bytes.fromhex(bound.binding.log_id.removeprefix("0x"))


def _call(bound: BoundChain, function: str, args: list[Any]) -> AdminCall:
    shown = tuple("0x" + a.hex() if isinstance(a, bytes) else str(a) for a in args)
    data = "0x" + encode_call(registry.abi(), function, args).hex()
    return AdminCall(str(bound.binding.chain_id), bound.binding.registry, function, shown, data)


def _is_admin(chain: ChainBackend, bound: BoundChain, address: str) -> bool:
    return bool(chain.call(bound.binding.registry, registry.abi(), "hasRole",
                           [ADMIN_ROLE, address]))


def _spec(settings: Settings, bound: BoundChain) -> str:
    return settings.chain if bound.primary else bound.binding.spec


# -- checkpoint signer -------------------------------------------------------------------


def rotate_checkpoint_signer(settings: Settings, log: WitnessLog) -> KeyRotated:
    """Replace the checkpoint signer on every bound chain (or finish doing so)."""
    chains = bound_chains(log)
    if not chains:
        raise WitnessError("the log is not bound to a chain: it has no checkpoint signer")
    old = load_checkpoint_key(settings.home)
    new = load_checkpoint_key(settings.home, create=True, stage="next")
    needed: list[AdminCall] = []
    for bound in chains:
        chain = open_bound(settings, bound)
        try:
            needed += _rebind(settings, log, bound, chain, old, new)
        finally:
            chain.close()
    if needed:
        raise AdminCallsNeeded(needed)
    retired = key_slot(settings.home, "checkpoint").promote()
    return KeyRotated("checkpoint", old.address, new.address,
                      tuple(b.name for b in chains), retired)


def _rebind(settings: Settings, log: WitnessLog, bound: BoundChain, chain: ChainBackend,
            old: CheckpointKey, new: CheckpointKey) -> list[AdminCall]:
    """One chain: the registry's signer becomes ``new``, and the log binds it."""
    b, lid = bound.binding, _log_id(bound)
    on_chain = str(chain.call(b.registry, registry.abi(), "checkpointSigner", [lid]))
    if on_chain.lower() == old.address.lower():
        consent = old.sign_digest(rotation_digest(b.chain_id, b.registry, lid, old.address,
                                                  new.address))
        args: list[Any] = [lid, new.address, *consent.args()]
        admin = anchorer_account(settings, create=False, spec=_spec(settings, bound))
        if not _is_admin(chain, bound, admin.address):
            return [_call(bound, "rotateCheckpointSigner", args)]
        chain.transact(b.registry, registry.abi(), "rotateCheckpointSigner", args, admin)
    elif on_chain.lower() != new.address.lower():
        raise WitnessError(f"on chain {bound.name} the registry's checkpoint signer is "
                           f"{on_chain}: neither this log's ({old.address}) nor the next one "
                           f"({new.address})")
    append_signer_event(log, replace(b, signer=new.address), rotated=True)
    return []


# -- anchorer ----------------------------------------------------------------------------


def rotate_anchorer(settings: Settings, log: WitnessLog) -> KeyRotated:
    """Replace the anchorer account on every bound chain (or finish doing so)."""
    chains = bound_chains(log)
    if not chains:
        raise WitnessError("the log is not bound to a chain: it has no anchorer account")
    slot = key_slot(settings.home, "anchorer")
    if not isinstance(slot, TokenSlot) and any(
            not _spec(settings, b).startswith("embedded") for b in chains):
        raise WitnessError("the anchorer key of a chain node comes from WITNESS_CHAIN_KEYSTORE "
                           "or WITNESS_CHAIN_PRIVATE_KEY: keep it in the HSM "
                           "(WITNESS_HSM_ANCHORER_KEY) to rotate it with this command")
    old = anchorer_account(settings, create=False)
    new = anchorer_account(settings, create=True, stage="next")
    needed: list[AdminCall] = []
    for bound in chains:
        chain = open_bound(settings, bound)
        try:
            needed += _switch_anchorer(settings, bound, chain, old, new)
        finally:
            chain.close()
    if needed:
        raise AdminCallsNeeded(needed)
    retired = slot.promote()
    return KeyRotated("anchorer", old.address, new.address, tuple(b.name for b in chains),
                      retired)


def _switch_anchorer(settings: Settings, bound: BoundChain, chain: ChainBackend,
                     old: LocalAccount, new: LocalAccount) -> list[AdminCall]:
    """One chain: ``new`` funded and granted, ``old`` revoked (and the admin role moved
    from ``old`` to ``new`` when ``old`` held it)."""
    b, lid, abi = bound.binding, _log_id(bound), registry.abi()
    if chain.balance(new.address) == 0:
        if not _spec(settings, bound).startswith("embedded"):
            raise WitnessError(f"fund the new anchorer account {new.address} on chain "
                               f"{bound.name} first, then run this command again")
        chain.fund(new.address, EMBEDDED_FUNDING_WEI)  # type: ignore[attr-defined]
    granted = bool(chain.call(b.registry, abi, "isAnchorer", [lid, new.address]))
    still = bool(chain.call(b.registry, abi, "isAnchorer", [lid, old.address]))
    if not _is_admin(chain, bound, old.address):
        return ([] if granted else [_call(bound, "grantAnchorer", [lid, new.address])]) + (
            [_call(bound, "revokeAnchorer", [lid, old.address])] if still else [])
    if not granted:
        chain.transact(b.registry, abi, "grantAnchorer", [lid, new.address], old)
    if not _is_admin(chain, bound, new.address):
        chain.transact(b.registry, abi, "grantRole", [ADMIN_ROLE, new.address], old)
    if still:
        chain.transact(b.registry, abi, "revokeAnchorer", [lid, old.address], new)
    chain.transact(b.registry, abi, "renounceRole", [ADMIN_ROLE, old.address], old)
    return []
