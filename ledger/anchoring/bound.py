"""The chains a log is bound to, as recorded in its ``log_info`` facts (all public).

Reading them needs only the database: ``witness status``, ``/readyz`` and the portal use
this module without loading the EVM signing libraries that binding and anchoring need
(``binding``, ``chains``, ``anchorer``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from chain_access.identity import ChainIdentity

if TYPE_CHECKING:
    from ledger.log import WitnessLog

_PREFIX = "chain."
EXTRA_PREFIX = "chains."
#: How many further chains a log may be bound to (log_info keys stay short and bounded).
MAX_EXTRA_CHAINS = 8


@dataclass(frozen=True)
class BoundChain:
    """One chain the log is bound to: ``number`` 0 is the primary chain."""

    number: int
    binding: ChainBinding

    @property
    def primary(self) -> bool:
        return self.number == 0

    @property
    def name(self) -> str:
        return f"{self.binding.chain_id}:{self.binding.registry.lower()}"


def bound_chains(log: WitnessLog) -> list[BoundChain]:
    """Every chain the log is bound to, the primary one first."""
    from ledger.home import read_log_info  # here: chains_in alone needs no database layer

    return chains_in(read_log_info(log.db))


def chains_in(info: dict[str, str]) -> list[BoundChain]:
    """Every chain the ``log_info`` facts ``info`` bind the log to, the primary one first
    (``witness status`` reads the facts without SQLAlchemy)."""
    out = []
    for number in range(MAX_EXTRA_CHAINS + 1):
        prefix = "chain." if number == 0 else f"{EXTRA_PREFIX}{number}."
        binding = binding_from(info, prefix)
        if binding is not None:
            out.append(BoundChain(number, binding))
    return out


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
    signer: str = ""  # the checkpoint key's address ("" in a binding recorded before it)

    def identity(self) -> ChainIdentity:
        return ChainIdentity(self.chain_id, bytes.fromhex(self.genesis_hash.removeprefix("0x")))


def read_binding(log: WitnessLog) -> ChainBinding | None:
    """The first (primary) chain of the log, if it is bound to one."""
    from ledger.home import read_log_info

    return binding_from(read_log_info(log.db), _PREFIX)


def binding_from(info: dict[str, str], prefix: str) -> ChainBinding | None:
    """The binding recorded under ``prefix`` in the ``log_info`` facts, if any."""
    if prefix + "registry" not in info:
        return None
    fields: dict[str, Any] = {k: info[prefix + k] for k in ChainBinding.__dataclass_fields__
                              if prefix + k in info}
    fields["chain_id"] = int(fields["chain_id"])
    return ChainBinding(**fields)


def record_binding(log: WitnessLog, binding: ChainBinding, prefix: str = _PREFIX) -> None:
    """Record ``binding`` in ``log_info`` under ``prefix`` (``chain.``: the first chain)."""
    from sqlalchemy import insert

    from ledger.store.schema import log_info

    with log.db.write() as conn:
        conn.execute(insert(log_info), [{"key": prefix + k, "value": str(v)}
                                        for k, v in asdict(binding).items()])
