"""Which chain and registry a log is anchored on, recorded once and checked on every open.

`witness init` deploys the registry (or attaches to ``WITNESS_REGISTRY``), registers the log
with its checkpoint signer (``ledger.anchoring.signer``) and anchorer account, records chain
id, genesis hash, registry address and code hash in the append-only ``log_info``, and
appends CHECKPOINT_SIGNER_BOUND to the log: the signer, bound by a note the log key signed.
Every later open compares the live chain with that record and stops with a clear message on
any difference (a reset chain, another network, no or other code at the registry address)
instead of anchoring elsewhere. Must not import the API or the verifier.
"""

from __future__ import annotations

from typing import cast

from eth_account import Account
from eth_account.signers.local import LocalAccount

from chain_access import ChainBackend, check_identity, code_hash, open_chain
from ledger.anchoring import registry
from ledger.anchoring.bound import ChainBinding as ChainBinding
from ledger.anchoring.bound import binding_from as binding_from
from ledger.anchoring.bound import read_binding as read_binding
from ledger.anchoring.bound import record_binding as record_binding
from ledger.anchoring.signer import CheckpointKey, load_checkpoint_key, signer_statement
from ledger.core.errors import WitnessError
from ledger.core.hashing import log_id, log_id_hex
from ledger.errors import NotFoundError
from ledger.events import event_to_json, parse_event
from ledger.log import WitnessLog
from ledger.settings import Settings
from ledger.signers.secp256k1 import SignerAccount
from ledger.signers.slots import FileSlot, Stage, TokenSlot, key_slot

#: project_id of the ledger's own, project-less events (the checkpoint signer binding).
SIGNER_EVENT_PROJECT = "ledger"
EMBEDDED_FUNDING_WEI = 10**21


def anchorer_account(settings: Settings, *, create: bool, spec: str | None = None,
                     stage: Stage = "current") -> LocalAccount:
    """The anchorer key for chain ``spec`` (default: the configured chain): in the HSM when
    ``WITNESS_HSM_ANCHORER_KEY`` names it, else a 0600 file in the data dir for an embedded
    chain, else the keystore (``WITNESS_CHAIN_KEYSTORE``) or ``WITNESS_CHAIN_PRIVATE_KEY``;
    never argv. ``stage`` "next": the account a rotation under way hands over to."""
    slot = key_slot(settings.home, "anchorer")
    if isinstance(slot, TokenSlot):
        if create and not slot.exists(stage):
            slot.create(stage)
        # the chain backends use only ``address`` and ``sign_transaction`` of an account
        return cast(LocalAccount, SignerAccount(slot.secp256k1(stage)))
    if not (spec or settings.chain).startswith("embedded"):
        from chain_access.rpc import load_signer

        return load_signer(keystore=settings.chain_keystore)
    assert isinstance(slot, FileSlot)
    if create and not slot.exists(stage):
        slot.create(stage)
    account: LocalAccount = Account.from_key(slot.secret(stage))
    return account


def open_bound_chain(settings: Settings, log: WitnessLog, *, readonly: bool = False
                     ) -> tuple[ChainBackend, ChainBinding]:
    """Open the configured chain and check it is the one recorded for this log."""
    binding = read_binding(log)
    if binding is None:
        raise WitnessError("the log is not bound to a chain yet: run `witness init`")
    return open_binding(settings, binding, settings.chain, readonly=readonly), binding


def open_binding(settings: Settings, binding: ChainBinding, spec: str, *,
                 readonly: bool = False) -> ChainBackend:
    """Open chain ``spec`` and check it is the one ``binding`` recorded."""
    chain = open_chain(spec, settings.home, readonly=readonly,
                       confirmations=settings.confirmations)
    try:
        check_identity(chain, binding.identity(), contract=binding.registry,
                       expected_code_hash=bytes.fromhex(binding.code_hash.removeprefix("0x")))
    except BaseException:
        chain.close()
        raise
    return chain


def bind_chain(settings: Settings, log: WitnessLog) -> ChainBinding:
    """Deploy or attach to the registry, register the log, record the binding (idempotent)."""
    existing = read_binding(log)
    if existing is not None:
        chain, binding = open_bound_chain(settings, log)
        chain.close()
        return binding
    binding = register_on(settings, log, settings.chain, settings.registry)
    record_binding(log, binding)
    append_signer_event(log, binding)
    return binding


def register_on(settings: Settings, log: WitnessLog, spec: str,
                attach: str | None = None) -> ChainBinding:
    """Deploy (or attach to ``attach``) a registry on chain ``spec`` and register the log
    there with its checkpoint signer and anchorer account; the binding, not yet recorded."""
    account = anchorer_account(settings, create=True, spec=spec)
    key = load_checkpoint_key(settings.home, create=True)
    chain = open_chain(spec, settings.home, confirmations=settings.confirmations)
    try:
        if spec.startswith("embedded") and chain.balance(account.address) == 0:
            chain.fund(account.address, EMBEDDED_FUNDING_WEI)  # type: ignore[attr-defined]
        address = registry_address(chain, account, attach)
        register_log(chain, address, log_id(log.origin), account, key)
        return ChainBinding(
            spec=spec, chain_id=chain.chain_id(),
            genesis_hash="0x" + chain.genesis_hash().hex(), registry=address,
            code_hash="0x" + code_hash(chain.get_code(address)).hex(),
            log_id=log_id_hex(log.origin), anchorer=account.address, signer=key.address,
        )
    finally:
        chain.close()


def registry_address(chain: ChainBackend, account: LocalAccount,
                     attach: str | None = None) -> str:
    """The registry to register with: ``attach`` (for the primary chain
    ``Settings.registry``, ``WITNESS_REGISTRY``), else a new one."""
    if attach:
        if not chain.get_code(attach):
            raise WitnessError(f"no contract at WITNESS_REGISTRY={attach} on {chain.description}")
        return attach
    address, _ = chain.deploy(registry.abi(), registry.bytecode(), [], account)
    return address


def register_log(chain: ChainBackend, address: str, log_id: bytes, account: LocalAccount,
              key: CheckpointKey) -> None:
    abi = registry.abi()
    if chain.call(address, abi, "isRegistered", [log_id]):
        if not chain.call(address, abi, "isAnchorer", [log_id, account.address]):
            raise WitnessError(f"log is registered at {address} but {account.address} is not "
                               "one of its anchorers: ask the registry admin to grant it")
        signer = chain.call(address, abi, "checkpointSigner", [log_id])
        if str(signer).lower() != key.address.lower():
            raise WitnessError(f"log is registered at {address} with checkpoint signer {signer}, "
                               f"but this log's checkpoint key is {key.address}")
        return
    chain.transact(address, abi, "registerLog", [log_id, key.address, [account.address]],
                   account)


def append_signer_event(log: WitnessLog, binding: ChainBinding, *,
                        rotated: bool = False) -> None:
    """Record the signer in the log, bound by a note signed with the log key: anyone with
    the log's public key can then check that the registry trusts the log's own signer.
    ``rotated``: a signer that replaced the first one (``ledger.anchoring.rotation``), one
    event per signer, appended once."""
    log_id = bytes.fromhex(binding.log_id.removeprefix("0x"))
    body = signer_statement(log.origin, binding.chain_id, binding.registry, log_id,
                            binding.signer)
    event_id = f"checkpoint-signer:{binding.chain_id}:{binding.registry.lower()}"
    if rotated:
        event_id += f":{binding.signer.lower()}"
        try:
            log.index_of(event_id)
            return  # bound already (a rotation run again)
        except NotFoundError:
            pass
    event = {
        "event_id": event_id,
        "type": "CHECKPOINT_SIGNER_BOUND", "project_id": SIGNER_EVENT_PROJECT,
        "occurred_at": log.clock(), "actor": {"id": "ledger", "role": "system"},
        "payload": {"signer": binding.signer, "chain_id": binding.chain_id,
                    "registry": binding.registry, "log_id": log_id.hex(),
                    "statement": log.signer.sign(body)},
    }
    (result,) = log.append([event_to_json(parse_event(event))])
    error = getattr(result, "error", None)
    if error is not None:
        raise error
