"""Which chain and registry a log is anchored on, recorded once and checked on every open.

`witness init` deploys the registry (or attaches to ``WITNESS_REGISTRY``), registers the
log with its anchorer account and records chain id, genesis hash, registry address and
code hash in the append-only ``log_info``. Every later open compares the live chain with
that record and stops with a clear message on any difference (a reset chain, another
network, no or other code at the registry address) instead of anchoring elsewhere.
Must not import the API or the verifier.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import insert

from chain_access import ChainBackend, ChainIdentity, check_identity, code_hash, open_chain
from ledger.anchoring import registry
from ledger.core.errors import WitnessError
from ledger.home import read_log_info
from ledger.keys import load_secret, write_private_file
from ledger.log import WitnessLog
from ledger.settings import Settings
from ledger.store.schema import log_info

_PREFIX = "chain."
EMBEDDED_FUNDING_WEI = 10**21


@dataclass(frozen=True)
class ChainBinding:
    """The recorded chain facts of a log (all public)."""

    spec: str
    chain_id: int
    genesis_hash: str
    registry: str
    code_hash: str
    log_id: str
    anchorer: str

    def identity(self) -> ChainIdentity:
        return ChainIdentity(self.chain_id, bytes.fromhex(self.genesis_hash.removeprefix("0x")))


def read_binding(log: WitnessLog) -> ChainBinding | None:
    info = read_log_info(log.db)
    if _PREFIX + "registry" not in info:
        return None
    fields: dict[str, Any] = {k: info[_PREFIX + k] for k in ChainBinding.__dataclass_fields__}
    fields["chain_id"] = int(fields["chain_id"])
    return ChainBinding(**fields)


def _record(log: WitnessLog, binding: ChainBinding) -> None:
    with log.db.write() as conn:
        conn.execute(insert(log_info), [{"key": _PREFIX + k, "value": str(v)}
                                        for k, v in asdict(binding).items()])


def anchorer_account(settings: Settings, *, create: bool) -> LocalAccount:
    """The anchorer key: a 0600 file in the data dir for the embedded chain, else the
    keystore (``WITNESS_CHAIN_KEYSTORE``) or ``WITNESS_CHAIN_PRIVATE_KEY``; never argv."""
    if not settings.chain.startswith("embedded"):
        from chain_access.rpc import load_signer

        keystore = os.environ.get("WITNESS_CHAIN_KEYSTORE")
        return load_signer(keystore=Path(keystore) if keystore else None)
    path = settings.home / "anchorer.key"
    if create and not path.exists():
        write_private_file(path, os.urandom(32))
    account: LocalAccount = Account.from_key(load_secret(path))
    return account


def open_bound_chain(settings: Settings, log: WitnessLog, *, readonly: bool = False
                     ) -> tuple[ChainBackend, ChainBinding]:
    """Open the configured chain and check it is the one recorded for this log."""
    binding = read_binding(log)
    if binding is None:
        raise WitnessError("the log is not bound to a chain yet: run `witness init`")
    chain = open_chain(settings.chain, settings.home, readonly=readonly,
                       confirmations=settings.confirmations)
    try:
        check_identity(chain, binding.identity(), contract=binding.registry,
                       expected_code_hash=bytes.fromhex(binding.code_hash.removeprefix("0x")))
    except BaseException:
        chain.close()
        raise
    return chain, binding


def bind_chain(settings: Settings, log: WitnessLog) -> ChainBinding:
    """Deploy or attach to the registry, register the log, record the binding (idempotent)."""
    existing = read_binding(log)
    if existing is not None:
        chain, binding = open_bound_chain(settings, log)
        chain.close()
        return binding
    account = anchorer_account(settings, create=True)
    chain = open_chain(settings.chain, settings.home, confirmations=settings.confirmations)
    try:
        if settings.chain.startswith("embedded") and chain.balance(account.address) == 0:
            chain.fund(account.address, EMBEDDED_FUNDING_WEI)  # type: ignore[attr-defined]
        address = _registry_address(chain, account)
        log_id = registry.log_id_for(log.origin)
        _register(chain, address, log_id, account)
        binding = ChainBinding(
            spec=settings.chain, chain_id=chain.chain_id(),
            genesis_hash="0x" + chain.genesis_hash().hex(), registry=address,
            code_hash="0x" + code_hash(chain.get_code(address)).hex(),
            log_id="0x" + log_id.hex(), anchorer=account.address,
        )
        _record(log, binding)
        return binding
    finally:
        chain.close()


def _registry_address(chain: ChainBackend, account: LocalAccount) -> str:
    attach = os.environ.get("WITNESS_REGISTRY")
    if attach:
        if not chain.get_code(attach):
            raise WitnessError(f"no contract at WITNESS_REGISTRY={attach} on {chain.description}")
        return attach
    address, _ = chain.deploy(registry.abi(), registry.bytecode(), [], account)
    return address


def _register(chain: ChainBackend, address: str, log_id: bytes, account: LocalAccount) -> None:
    abi = registry.abi()
    if chain.call(address, abi, "isRegistered", [log_id]):
        if not chain.call(address, abi, "isAnchorer", [log_id, account.address]):
            raise WitnessError(f"log is registered at {address} but {account.address} is not "
                               "one of its anchorers: ask the registry admin to grant it")
        return
    chain.transact(address, abi, "registerLog", [log_id, [account.address]], account)
