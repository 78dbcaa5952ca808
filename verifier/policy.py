"""Trust anchors: the pinned log key, origin and chain identity (flags or a policy file).

Role: build a :class:`TrustPolicy` from a ``witness-trust/v1`` JSON file and/or flags; never
from the material being checked (a receipt or bundle may *carry* a key, it is ignored). The
log keys trusted are the pinned one and those its rotation statements (the policy's
``log_key_rotations``, each signed by the key before it) hand over to.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ledger.core.cosignature import WitnessKey
from ledger.core.errors import MalformedError
from ledger.core.hashing import log_id_hex
from ledger.core.json_text import loads_strict
from ledger.core.key_rotation import MAX_ROTATIONS, LogKeys, follow_rotations
from ledger.core.note import NoteVerifier
from ledger.core.trust import (
    POLICY_FORMAT,
    POLICY_FORMATS,
    chain_entry,
    policy_fingerprint,
    trust_document,
)

MAX_POLICY_SIZE = 64 * 1024
DEFAULT_UPGRADE_PATH = "/v1/receipts/{index}"
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
MAX_CHAINS = 8


@dataclass(frozen=True)
class ChainPin:
    """A further chain of a v2 policy (``chains``): where else the log's checkpoints are
    anchored, and whether a checkpoint counts as anchored before that chain holds it."""

    chain_id: int
    registry: str
    log_id: str
    endpoint: str | None
    genesis_hash: str | None
    required: bool

    @property
    def name(self) -> str:
        return f"chain {self.chain_id} (registry {self.registry})"

    def matches(self, chain_id: int, registry: str) -> bool:
        return chain_id == self.chain_id and registry.lower() == self.registry.lower()

    def to_json(self) -> dict[str, Any]:
        return chain_entry(chain_id=self.chain_id, registry=self.registry, log_id=self.log_id,
                           endpoint=self.endpoint, genesis_hash=self.genesis_hash,
                           required=self.required)


@dataclass(frozen=True)
class TrustPolicy:
    """What the verifier trusts. ``origin`` defaults to the key's name."""

    verifier: NoteVerifier
    origin: str
    chain_id: int | None = None
    registry: str | None = None
    log_id: str | None = None
    chain: str | None = None
    upgrade_path: str = DEFAULT_UPGRADE_PATH
    genesis_hash: str | None = None
    witnesses: tuple[str, ...] = ()  # witness verifier keys (C2SP cosignature, 0x04)
    witness_quorum: int = 0  # how many distinct witnesses must cosign (0: none required)
    chains: tuple[ChainPin, ...] = ()  # further chains (v2 policies)
    rotations: tuple[str, ...] = ()  # rotation statements from the pinned key, in order
    log_keys: LogKeys = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # every statement is checked here: a policy carrying a forged one is refused whole
        object.__setattr__(self, "log_keys",
                           follow_rotations(self.verifier, self.origin, self.rotations))

    @property
    def witness_keys(self) -> list[WitnessKey]:
        return [WitnessKey.from_vkey(v) for v in self.witnesses]

    @property
    def pinned_log_id(self) -> str:
        return (self.log_id or log_id_hex(self.origin)).lower()

    def require_chain_identity(self) -> tuple[int, str]:
        """Chain id and registry, which a chain check cannot do without."""
        if self.chain_id is None or self.registry is None:
            raise MalformedError("a chain check needs the pinned chain id and registry address "
                                 "(--chain-id/--registry or the policy file)")
        return self.chain_id, self.registry

    def to_json(self) -> dict[str, Any]:
        return trust_document(origin=self.origin, log_key=self.verifier.vkey(),
                              chain_id=self.chain_id, registry=self.registry,
                              log_id=self.pinned_log_id, endpoint=self.chain,
                              genesis_hash=self.genesis_hash, upgrade_path=self.upgrade_path,
                              witnesses=self.witnesses, witness_quorum=self.witness_quorum,
                              chains=[c.to_json() for c in self.chains],
                              log_key_rotations=self.rotations)

    def on_chain(self, pin: ChainPin) -> TrustPolicy:
        """This policy with ``pin`` in place of the primary chain (to check that chain)."""
        return replace(self, chain_id=pin.chain_id, registry=pin.registry, log_id=pin.log_id,
                       chain=pin.endpoint, genesis_hash=pin.genesis_hash, chains=())

    @property
    def fingerprint(self) -> str:
        """What the center publishes for this policy (``ledger.core.trust``)."""
        return policy_fingerprint(self.to_json())


def _opt(obj: dict[str, Any], key: str, kind: type) -> Any:
    value = obj.get(key)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise MalformedError(f"trust policy: {key} must be a {kind.__name__}")
    return value


def parse_policy(obj: Any) -> dict[str, Any]:
    """The fields of a policy document, validated, as keyword arguments for :func:`build`."""
    if not isinstance(obj, dict) or obj.get("format") not in POLICY_FORMATS:
        raise MalformedError(f"trust policy is not a {' or '.join(POLICY_FORMATS)} document")
    if obj["format"] == POLICY_FORMAT and "chains" in obj:
        raise MalformedError(f"trust policy: chains needs format {POLICY_FORMATS[1]}")
    chain = obj.get("chain") or {}
    if not isinstance(chain, dict):
        raise MalformedError("trust policy: chain must be an object")
    return {"key": _opt(obj, "log_key", str), "origin": _opt(obj, "origin", str),
            "chain_id": _opt(chain, "chain_id", int), "registry": _opt(chain, "registry", str),
            "log_id": _opt(chain, "log_id", str), "chain": _opt(chain, "endpoint", str),
            "genesis_hash": _opt(chain, "genesis_hash", str),
            "upgrade_path": _opt(obj, "upgrade_path", str),
            "witnesses": _witness_list(obj.get("witnesses")),
            "witness_quorum": _opt(obj, "witness_quorum", int),
            "chains": _chain_list(obj.get("chains")),
            "rotations": _rotation_list(obj.get("log_key_rotations"))}


def _rotation_list(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_ROTATIONS or \
            not all(isinstance(v, str) for v in value):
        raise MalformedError(f"trust policy: log_key_rotations must be a list of at most "
                             f"{MAX_ROTATIONS} signed notes")
    return tuple(value)


def _chain_list(value: Any) -> tuple[ChainPin, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_CHAINS:
        raise MalformedError(f"trust policy: chains must be a list of at most {MAX_CHAINS}")
    return tuple(_chain_pin(v, k) for k, v in enumerate(value))


def _chain_pin(obj: Any, k: int) -> ChainPin:
    where = f"trust policy: chains.{k}"
    if not isinstance(obj, dict):
        raise MalformedError(f"{where} must be an object")
    chain_id, registry = obj.get("chain_id"), obj.get("registry")
    log_id, required = obj.get("log_id"), obj.get("required")
    if not isinstance(chain_id, int) or isinstance(chain_id, bool) or chain_id < 0:
        raise MalformedError(f"{where}.chain_id must be a non-negative integer")
    if not isinstance(registry, str) or not _ADDRESS.match(registry):
        raise MalformedError(f"{where}.registry must be a 0x-prefixed 20-byte address")
    if not isinstance(log_id, str) or not _HASH.match(log_id):
        raise MalformedError(f"{where}.log_id must be 0x followed by 64 hex digits")
    if not isinstance(required, bool):
        raise MalformedError(f"{where}.required must be true or false")
    genesis = _opt(obj, "genesis_hash", str)
    if genesis is not None and not _HASH.match(genesis):
        raise MalformedError(f"{where}.genesis_hash must be 0x followed by 64 hex digits")
    return ChainPin(chain_id, registry, log_id.lower(), _opt(obj, "endpoint", str), genesis,
                    required)


def _witness_list(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MalformedError("trust policy: witnesses must be a list of witness verifier keys")
    return tuple(value)


def _check_witnesses(witnesses: tuple[str, ...], quorum: int) -> None:
    """Every key parses, no witness twice, and a quorum the listed witnesses can meet."""
    names = [WitnessKey.from_vkey(v).name for v in witnesses]
    if len(set(names)) != len(names):
        raise MalformedError("trust policy: a witness is listed twice")
    if not 0 <= quorum <= len(names):
        raise MalformedError(f"trust policy: witness_quorum must be between 0 and the number "
                             f"of witnesses ({len(names)}), not {quorum}")


def load_policy_file(path: Path) -> dict[str, Any]:
    if path.stat().st_size > MAX_POLICY_SIZE:
        raise MalformedError(f"trust policy {path} is larger than {MAX_POLICY_SIZE} bytes")
    return parse_policy(loads_strict(path.read_bytes(), what=f"trust policy {path}"))


def build(*, key: str | None, origin: str | None = None, chain_id: int | None = None,
          registry: str | None = None, log_id: str | None = None, chain: str | None = None,
          upgrade_path: str | None = None, genesis_hash: str | None = None,
          base: dict[str, Any] | None = None, witnesses: tuple[str, ...] | None = None,
          witness_quorum: int | None = None,
          chains: tuple[ChainPin, ...] | None = None) -> TrustPolicy:
    """A policy from flags, each overriding the same field of ``base`` (a parsed file)."""
    merged = dict(base or {})
    flags = {"key": key, "origin": origin, "chain_id": chain_id, "registry": registry,
             "log_id": log_id, "chain": chain, "upgrade_path": upgrade_path,
             "genesis_hash": genesis_hash, "witnesses": witnesses,
             "witness_quorum": witness_quorum, "chains": chains}
    merged.update({k: v for k, v in flags.items() if v is not None})
    if not merged.get("key"):
        raise MalformedError("no log key pinned: the trust policy has no log_key (and no --key "
                             "was given)" if base is not None else
                             "no log key pinned: pass --key VKEY or --policy FILE")
    verifier = NoteVerifier.from_vkey(merged["key"])
    if merged.get("registry") is not None and not _ADDRESS.match(merged["registry"]):
        raise MalformedError("registry must be a 0x-prefixed 20-byte address")
    if merged.get("log_id") is not None and not _HASH.match(merged["log_id"]):
        raise MalformedError("log id must be 0x followed by 64 hex digits")
    if merged.get("genesis_hash") is not None and not _HASH.match(merged["genesis_hash"]):
        raise MalformedError("genesis hash must be 0x followed by 64 hex digits")
    path = merged.get("upgrade_path") or DEFAULT_UPGRADE_PATH
    if "{index}" not in path:
        raise MalformedError("upgrade path must contain {index}")
    cosigners, quorum = tuple(merged.get("witnesses") or ()), merged.get("witness_quorum") or 0
    _check_witnesses(cosigners, quorum)
    return TrustPolicy(verifier, merged.get("origin") or verifier.name, merged.get("chain_id"),
                       merged.get("registry"), merged.get("log_id"), merged.get("chain"), path,
                       merged.get("genesis_hash"), cosigners, quorum,
                       tuple(merged.get("chains") or ()),
                       _rotations(merged, base))


def _rotations(merged: dict[str, Any], base: dict[str, Any] | None) -> tuple[str, ...]:
    """The policy file's rotations, which start from the file's key: none if a flag pinned
    another key."""
    if base is None or base.get("key") != merged["key"]:
        return ()
    return tuple(merged.get("rotations") or ())


def with_chain(policy: TrustPolicy, chain: str | None) -> TrustPolicy:
    return policy if chain is None else replace(policy, chain=chain)
