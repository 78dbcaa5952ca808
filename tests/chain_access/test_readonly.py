"""Read-only handles: a reader in another process sees the writer's new blocks; writes refused."""

from __future__ import annotations

import multiprocessing as mp
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from chain_access import ChainReadOnly, ChainUnavailable, open_chain
from chain_access.embedded import EmbeddedChain, dev_accounts, open_embedded
from tests.chain_access.tinycontract import ABI, BYTECODE


def _reader(directory: str, contract: str, conn: Connection) -> None:
    """Child process: open read-only, report the head, wait, report again."""
    try:
        chain = open_embedded(directory, readonly=True)
    except Exception as exc:  # report instead of leaving the parent waiting
        conn.send(repr(exc))
        return
    try:
        for _ in range(2):
            blk = chain.get_block()
            conn.send((blk.number, blk.hash, chain.call(contract, ABI, "get", []),
                       chain.genesis_hash()))
            if conn.recv() == "stop":
                break
    except Exception as exc:
        conn.send(repr(exc))
    finally:
        chain.close()


def test_reader_process_sees_new_blocks_while_writer_stays_open(
        chain: EmbeddedChain, chain_dir: Path, sender: LocalAccount, contract: str) -> None:
    chain.transact(contract, ABI, "set", [1], sender)
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_reader, args=(str(chain_dir), contract, child))
    proc.start()
    try:
        assert parent.poll(60), "reader did not answer"
        first: Any = parent.recv()
        assert first == (chain.block_number(), chain.get_block().hash, 1, chain.genesis_hash())
        ref = chain.transact(contract, ABI, "set", [2], sender)  # writer keeps running
        parent.send("again")
        assert parent.poll(60)
        second: Any = parent.recv()
        assert second[:3] == (ref.block_number, ref.block_hash, 2)
        parent.send("stop")
    finally:
        proc.join(30)
        if proc.is_alive():
            proc.terminate()
    assert proc.exitcode == 0


def test_readonly_handle_refuses_writes(
        chain: EmbeddedChain, chain_dir: Path, sender: LocalAccount, contract: str) -> None:
    ro = open_embedded(chain_dir, readonly=True)
    try:
        assert ro.readonly
        assert ro.block_number() == chain.block_number()
        head = chain.block_number()
        with pytest.raises(ChainReadOnly):
            ro.transact(contract, ABI, "set", [3], sender)
        with pytest.raises(ChainReadOnly):
            ro.deploy(ABI, BYTECODE, [], sender)
        with pytest.raises(ChainReadOnly):
            ro.fund(sender.address, 1)
        with pytest.raises(ChainReadOnly):  # below the interface too: the store refuses
            ro.evm._db[b"k"] = b"v"
        signed = dev_accounts()[2].sign_transaction({
            "to": sender.address, "value": 1, "gas": 21000, "nonce": 0, "chainId": 1337,
            "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9})
        with pytest.raises(ChainReadOnly):  # raw sends through web3 are refused as well
            ro.evm.send_raw_transaction(bytes(signed.raw_transaction))
        assert chain.block_number() == head
    finally:
        ro.close()


def test_readonly_after_writer_closed(chain_dir: Path) -> None:
    w = open_embedded(chain_dir)
    w.fund("0x000000000000000000000000000000000000dEaD", 1)
    head = w.get_block()
    w.close()
    ro = open_chain("embedded", chain_dir.parent, readonly=True)
    try:
        assert ro.get_block() == head
    finally:
        ro.close()


def test_readonly_on_missing_chain(tmp_path: Path) -> None:
    with pytest.raises(ChainUnavailable, match="no embedded chain"):
        open_embedded(tmp_path / "nothing", readonly=True)
    assert not (tmp_path / "nothing").exists()
