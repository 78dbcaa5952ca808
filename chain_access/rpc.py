"""JSON-RPC backend: any EVM endpoint by URL (Hardhat, anvil, Geth, Besu) and signer loading.

Role: ``open_rpc(url)`` builds a ``Web3Backend`` over web3's ``HTTPProvider`` (no implicit
retries: the anchorer backs off itself; an unreachable endpoint raises ``ChainUnavailable``).
``load_signer`` loads the sending key from a keystore file (password from an environment
variable) or a hex private key in an environment variable, never from a command-line argument.

Must not import: ``ledger.*``, ``verifier.*``, FastAPI, py-evm, eth-tester.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from eth_account import Account
from web3 import Web3
from web3.providers.rpc import HTTPProvider

from chain_access.errors import ChainError
from chain_access.web3_backend import Web3Backend

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

KEY_ENV = "WITNESS_CHAIN_PRIVATE_KEY"
KEYSTORE_PASSWORD_ENV = "WITNESS_CHAIN_KEYSTORE_PASSWORD"


def redact_url(url: str) -> str:
    """The URL without user:password (and without query, which may hold an API key)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def open_rpc(url: str, *, readonly: bool = False, confirmations: int = 0,
             request_timeout: float = 10.0, tx_timeout: float = 120.0,
             poll: float = 0.5) -> Web3Backend:
    """A ``ChainBackend`` for the JSON-RPC endpoint at ``url`` (http or https)."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ChainError(f"unsupported chain URL scheme: {redact_url(url)}")
    provider = HTTPProvider(url, request_kwargs={"timeout": request_timeout},
                            exception_retry_configuration=None)
    return Web3Backend(Web3(provider), description=redact_url(url), readonly=readonly,
                       confirmations=confirmations, timeout=tx_timeout, poll=poll)


def load_signer(*, keystore: Path | None = None, password_env: str = KEYSTORE_PASSWORD_ENV,
                key_env: str = KEY_ENV) -> LocalAccount:
    """Load the sending account.

    With ``keystore``: decrypt that JSON keystore with the password in ``$password_env``.
    Without: read a hex private key from ``$key_env``. Raises ``ChainError`` when missing.
    """
    if keystore is not None:
        password = os.environ.get(password_env)
        if password is None:
            raise ChainError(f"keystore {keystore} needs its password in ${password_env}")
        try:
            key = Account.decrypt(Path(keystore).read_text(), password)
        except (OSError, ValueError) as exc:
            raise ChainError(f"cannot decrypt keystore {keystore}: {exc}") from exc
        signer: LocalAccount = Account.from_key(key)
        return signer
    hexkey = os.environ.get(key_env)
    if not hexkey:
        raise ChainError(f"no signing key: set ${key_env} or give a keystore file")
    try:
        env_signer: LocalAccount = Account.from_key(hexkey.strip())
        return env_signer
    except (ValueError, TypeError) as exc:
        raise ChainError(f"${key_env} is not a valid private key") from exc
