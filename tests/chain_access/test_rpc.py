"""JSON-RPC backend: unreachable endpoint, signer loading, and a real Hardhat node (marked)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from chain_access import (
    ChainError,
    ChainIdentity,
    ChainRevert,
    ChainUnavailable,
    check_identity,
    code_hash,
    open_chain,
)
from chain_access.rpc import load_signer, redact_url
from chain_access.web3_backend import Web3Backend
from tests.chain_access.tinycontract import ABI, BYTECODE, REFUSED_SELECTOR, RUNTIME_CODE

HARDHAT_DIR = Path(__file__).resolve().parents[2] / "hardhat-node"
# Hardhat's well-known default account #0 (public test key, dev only).
HARDHAT_KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


def test_dead_endpoint_raises_unavailable(tmp_path: Path) -> None:
    chain = open_chain("http://127.0.0.1:1", tmp_path, readonly=True)
    started = time.monotonic()
    with pytest.raises(ChainUnavailable, match="unreachable"):
        chain.block_number()
    with pytest.raises(ChainUnavailable):
        check_identity(chain, ChainIdentity(1, b"\0" * 32))
    assert time.monotonic() - started < 10  # no hidden retry loop


def test_redact_url_hides_credentials() -> None:
    assert redact_url("https://user:secret@node.example:8545/rpc?key=k") == \
        "https://node.example:8545/rpc"


def test_load_signer_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    acct = Account.create()
    monkeypatch.setenv("WITNESS_CHAIN_PRIVATE_KEY", acct.key.hex())
    assert load_signer().address == acct.address
    monkeypatch.delenv("WITNESS_CHAIN_PRIVATE_KEY")
    with pytest.raises(ChainError, match="no signing key"):
        load_signer()


def test_load_signer_from_keystore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    acct = Account.create()
    keystore = tmp_path / "key.json"
    keystore.write_text(json.dumps(
        Account.encrypt(acct.key, "pw", kdf="pbkdf2", iterations=1000)))
    with pytest.raises(ChainError, match="password"):
        load_signer(keystore=keystore)
    monkeypatch.setenv("WITNESS_CHAIN_KEYSTORE_PASSWORD", "wrong")
    with pytest.raises(ChainError, match="cannot decrypt"):
        load_signer(keystore=keystore)
    monkeypatch.setenv("WITNESS_CHAIN_KEYSTORE_PASSWORD", "pw")
    assert load_signer(keystore=keystore).address == acct.address


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def hardhat_url() -> Iterator[str]:
    if shutil.which("node") is None or not (HARDHAT_DIR / "node_modules").exists():
        pytest.skip("Hardhat node not installed (hardhat-node/node_modules)")
    port = _free_port()
    # Run hardhat's entry point with node directly, in its own process group, so that the
    # teardown stops the node itself (``npx`` would leave it orphaned).
    proc = subprocess.Popen(
        ["node", str(HARDHAT_DIR / "node_modules" / ".bin" / "hardhat"), "node",
         "--hostname", "127.0.0.1", "--port", str(port)],
        cwd=HARDHAT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                open_chain(url, readonly=True).block_number()
                break
            except ChainUnavailable:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("Hardhat node did not start")
                time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the group we created: the node and its children
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


@pytest.mark.hardhat
def test_hardhat_roundtrip(hardhat_url: str) -> None:
    chain = open_chain(hardhat_url)
    assert isinstance(chain, Web3Backend)
    chain.poll = 0.05
    sender: LocalAccount = Account.from_key(HARDHAT_KEY0)
    assert chain.chain_id() == 31337
    address, ref = chain.deploy(ABI, BYTECODE, [], sender)
    assert chain.get_code(address) == RUNTIME_CODE and ref.status == 1
    ref2 = chain.transact(address, ABI, "set", [77], sender)
    assert chain.call(address, ABI, "get", []) == 77
    rec = chain.receipt(ref2.tx_hash)
    assert rec is not None and rec.ref() == ref2 and len(rec.logs) == 1
    assert [lg.tx_hash for lg in chain.get_logs(address)] == [ref2.tx_hash]
    with pytest.raises(ChainRevert) as info:
        chain.transact(address, ABI, "set", [0], sender)
    assert info.value.selector == REFUSED_SELECTOR
    assert info.value.name == "Refused" and info.value.args_decoded == (77,)
    ident = ChainIdentity.of(chain)
    check_identity(chain, ident, address, code_hash(RUNTIME_CODE))
    prepared = chain.prepare_transact(address, ABI, "set", [78], sender)
    first = chain.send_prepared(prepared, ABI)
    assert chain.send_prepared(prepared, ABI) == first  # rebroadcast is harmless


@pytest.mark.hardhat
def test_hardhat_readonly_refuses(hardhat_url: str) -> None:
    from chain_access import ChainReadOnly

    chain = open_chain(hardhat_url, readonly=True)
    with pytest.raises(ChainReadOnly):
        chain.deploy(ABI, BYTECODE, [], Account.from_key(HARDHAT_KEY0))
