"""chain_access: one interface over the embedded py-evm chain and any JSON-RPC EVM endpoint.

Role: ``open_chain(spec, data_dir)`` → ``ChainBackend``. Specs: ``embedded`` (the chain under
``<data_dir>/chain``), ``embedded:/some/path``, or an ``http(s)://`` URL. Backends are imported
lazily so the read-only JSON-RPC path (the verifier) never loads py-evm or eth-tester.

Must not import: ``ledger.*`` (except ``ledger.core``), ``verifier.*``, FastAPI.
"""

from __future__ import annotations

from pathlib import Path

from chain_access.base import (
    BlockInfo,
    ChainBackend,
    LogEntry,
    PreparedTx,
    TxReceipt,
    TxRef,
)
from chain_access.errors import (
    ChainError,
    ChainInUse,
    ChainMismatch,
    ChainReadOnly,
    ChainRevert,
    ChainTimeout,
    ChainUnavailable,
)
from chain_access.identity import ChainIdentity, check_identity, code_hash

EMBEDDED_SUBDIR = "chain"


def open_chain(spec: str, data_dir: Path | str | None = None, *, readonly: bool = False,
               confirmations: int = 0) -> ChainBackend:
    """Open the chain named by ``spec``.

    ``embedded`` needs ``data_dir`` (→ ``<data_dir>/chain``); ``embedded:/path`` names the
    directory itself; ``http://…``/``https://…`` is a JSON-RPC endpoint. ``confirmations`` is
    how many blocks must follow a transaction's block before ``transact`` returns (JSON-RPC;
    the embedded chain is final at once).
    """
    spec = spec.strip()
    if spec.startswith(("http://", "https://")):
        from chain_access.rpc import open_rpc

        return open_rpc(spec, readonly=readonly, confirmations=confirmations)
    if spec == "embedded" or spec.startswith("embedded:"):
        from chain_access.embedded import open_embedded

        path_part = spec.partition(":")[2]
        if path_part:
            directory = Path(path_part)
        elif data_dir is not None:
            directory = Path(data_dir) / EMBEDDED_SUBDIR
        else:
            raise ChainError("chain spec 'embedded' needs a data dir")
        chain = open_embedded(directory, readonly=readonly)
        chain.confirmations = confirmations
        return chain
    raise ChainError(f"unknown chain spec {spec!r}: use 'embedded', 'embedded:/path' or a "
                     f"http(s):// URL")


__all__ = [
    "BlockInfo",
    "ChainBackend",
    "ChainError",
    "ChainIdentity",
    "ChainInUse",
    "ChainMismatch",
    "ChainReadOnly",
    "ChainRevert",
    "ChainTimeout",
    "ChainUnavailable",
    "LogEntry",
    "PreparedTx",
    "TxReceipt",
    "TxRef",
    "check_identity",
    "code_hash",
    "open_chain",
]
