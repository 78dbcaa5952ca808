"""Embedded chain: deploy/transact/call, persistence across reopen, reverts, timestamps."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from chain_access import ChainError, ChainInUse, ChainRevert, open_chain
from chain_access.embedded import EmbeddedChain, dev_accounts, open_embedded
from tests.chain_access.tinycontract import (
    ABI,
    BYTECODE,
    REFUSED_SELECTOR,
    RUNTIME_CODE,
    STORED_TOPIC,
)


def test_deploy_transact_call(chain: EmbeddedChain, sender: LocalAccount, contract: str) -> None:
    assert chain.chain_id() == 1337
    assert chain.get_code(contract) == RUNTIME_CODE
    assert chain.call(contract, ABI, "get", []) == 0
    ref = chain.transact(contract, ABI, "set", [42], sender)
    assert ref.status == 1 and ref.block_number == chain.block_number()
    assert chain.get_block(ref.block_number).hash == ref.block_hash
    assert chain.call(contract, ABI, "get", []) == 42
    assert chain.call(contract, ABI, "get", [], block=ref.block_number - 1) == 0
    rec = chain.receipt(ref.tx_hash)
    assert rec is not None and rec.ref() == ref
    assert rec.logs[0].topics == (STORED_TOPIC,)
    assert int.from_bytes(rec.logs[0].data, "big") == 42
    logs = chain.get_logs(contract, topics=[STORED_TOPIC])
    assert [lg.tx_hash for lg in logs] == [ref.tx_hash]


def test_one_block_per_transaction_with_wall_clock_timestamps(
        chain: EmbeddedChain, sender: LocalAccount, contract: str) -> None:
    start = chain.block_number()
    refs = [chain.transact(contract, ABI, "set", [i], sender) for i in range(1, 4)]
    assert [r.block_number for r in refs] == [start + 1, start + 2, start + 3]
    stamps = [chain.get_block(n).timestamp for n in range(chain.block_number() + 1)]
    assert all(a < b for a, b in itertools.pairwise(stamps))
    assert abs(stamps[-1] - time.time()) < 60


def test_persistence_across_reopen(chain_dir: Path) -> None:
    c = open_embedded(chain_dir)
    acct = dev_accounts()[1]
    address, _ = c.deploy(ABI, BYTECODE, [], acct)
    ref = c.transact(address, ABI, "set", [7], acct)
    head, genesis, head_block = c.block_number(), c.genesis_hash(), c.get_block()
    nonce = c.nonce(acct.address)
    c.close()

    c2 = open_embedded(chain_dir)
    try:
        assert c2.block_number() == head
        assert c2.genesis_hash() == genesis
        assert c2.get_block() == head_block
        assert c2.get_code(address) == RUNTIME_CODE
        assert c2.call(address, ABI, "get", []) == 7
        assert c2.nonce(acct.address) == nonce
        assert c2.receipt(ref.tx_hash) == c2.receipt(ref.tx_hash) is not None
        ref2 = c2.transact(address, ABI, "set", [8], acct)
        assert ref2.block_number == head + 1
        assert c2.get_block(head + 1).timestamp > head_block.timestamp
    finally:
        c2.close()
    spec_chain = open_chain("embedded", chain_dir.parent)  # <data_dir>/chain is chain_dir
    try:
        assert spec_chain.genesis_hash() == genesis
        assert spec_chain.block_number() == head + 1
    finally:
        spec_chain.close()


def test_revert_in_simulation_carries_data(
        chain: EmbeddedChain, sender: LocalAccount, contract: str) -> None:
    chain.transact(contract, ABI, "set", [5], sender)
    before = chain.block_number()
    with pytest.raises(ChainRevert) as info:
        chain.transact(contract, ABI, "set", [0], sender)
    err = info.value
    assert err.selector == REFUSED_SELECTOR
    assert err.data == REFUSED_SELECTOR + (5).to_bytes(32, "big")
    assert err.name == "Refused" and err.args_decoded == (5,)
    assert err.tx_hash is None
    assert chain.block_number() == before  # nothing was sent
    with pytest.raises(ChainRevert) as info2:
        chain.call(contract, ABI, "set", [0])
    assert info2.value.data == err.data


def test_mined_failure_raises_with_tx_hash(
        chain: EmbeddedChain, sender: LocalAccount, contract: str) -> None:
    # Enough gas for the intrinsic cost, not for SSTORE: simulation passes with the real
    # estimate, but we force the low limit so the transaction is mined with status 0.
    prepared = chain.prepare_transact(contract, ABI, "set", [9], sender, gas=23_000)
    with pytest.raises(ChainRevert) as info:
        chain.send_prepared(prepared, ABI)
    assert info.value.tx_hash == prepared.tx_hash
    rec = chain.receipt(prepared.tx_hash)
    assert rec is not None and rec.status == 0


def test_prepared_transaction_is_idempotent(
        chain: EmbeddedChain, sender: LocalAccount, contract: str) -> None:
    prepared = chain.prepare_transact(contract, ABI, "set", [11], sender)
    assert chain.receipt(prepared.tx_hash) is None  # intent recorded, not yet sent
    ref = chain.send_prepared(prepared, ABI)
    head = chain.block_number()
    assert chain.send_prepared(prepared, ABI) == ref  # resend after "crash": no double send
    assert chain.block_number() == head
    assert chain.nonce(sender.address) == prepared.nonce + 1


def test_fund_and_balance(chain: EmbeddedChain) -> None:
    target = "0x000000000000000000000000000000000000bEEF"
    chain.fund(target, 12345)
    assert chain.balance(target) == 12345


def test_second_writer_is_refused(chain: EmbeddedChain, chain_dir: Path) -> None:
    with pytest.raises(ChainInUse, match="in use by another process"):
        open_embedded(chain_dir)


def test_chain_id_is_fixed_at_creation(tmp_path: Path) -> None:
    c = open_embedded(tmp_path / "c", chain_id=4242)
    assert c.chain_id() == 4242
    c.close()
    c = open_embedded(tmp_path / "c")
    assert c.chain_id() == 4242
    c.close()
    with pytest.raises(ChainError, match="chain id 4242"):
        open_embedded(tmp_path / "c", chain_id=1)


def test_unknown_spec(tmp_path: Path) -> None:
    with pytest.raises(ChainError, match="unknown chain spec"):
        open_chain("ftp://x", tmp_path)
