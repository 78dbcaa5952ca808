"""Fixtures for chain_access tests: an embedded chain in a temp dir, a funded key, a contract."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from chain_access.embedded import EmbeddedChain, open_embedded
from tests.chain_access.tinycontract import ABI, BYTECODE


@pytest.fixture
def chain_dir(tmp_path: Path) -> Path:
    return tmp_path / "chain"


@pytest.fixture
def chain(chain_dir: Path) -> Iterator[EmbeddedChain]:
    c = open_embedded(chain_dir)
    yield c
    c.close()


@pytest.fixture
def sender(chain: EmbeddedChain) -> LocalAccount:
    acct: LocalAccount = Account.create()
    chain.fund(acct.address, 10**18)
    return acct


@pytest.fixture
def contract(chain: EmbeddedChain, sender: LocalAccount) -> str:
    address, ref = chain.deploy(ABI, BYTECODE, [], sender)
    assert ref.status == 1
    return address
