"""Chain identity: chain id, genesis hash (reset detection) and contract code checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from chain_access import ChainIdentity, ChainMismatch, check_identity, code_hash
from chain_access.embedded import EmbeddedChain, open_embedded
from tests.chain_access.tinycontract import RUNTIME_CODE


def test_identity_matches(chain: EmbeddedChain, contract: str) -> None:
    ident = ChainIdentity.of(chain)
    check_identity(chain, ident)
    check_identity(chain, ident, contract, code_hash(RUNTIME_CODE))
    check_identity(chain, ident, contract, None)  # code present, hash not pinned
    assert ChainIdentity.from_json(ident.to_json()) == ident


def test_new_data_dir_has_another_genesis(chain: EmbeddedChain, tmp_path: Path) -> None:
    ident = ChainIdentity.of(chain)
    other = open_embedded(tmp_path / "reset-chain")  # same chain id 1337, fresh genesis
    try:
        assert other.chain_id() == ident.chain_id
        with pytest.raises(ChainMismatch, match=r"genesis hash differs.*reset") as info:
            check_identity(other, ident)
        assert info.value.field == "genesis_hash"
    finally:
        other.close()


def test_other_chain_id(chain: EmbeddedChain) -> None:
    ident = ChainIdentity(31337, chain.genesis_hash())
    with pytest.raises(ChainMismatch, match=r"chain id differs.*31337.*1337") as info:
        check_identity(chain, ident)
    assert info.value.field == "chain_id"


def test_wrong_or_missing_code(chain: EmbeddedChain, contract: str,
                               sender: LocalAccount) -> None:
    ident = ChainIdentity.of(chain)
    with pytest.raises(ChainMismatch, match=r"code .* differs"):
        check_identity(chain, ident, contract, code_hash(b"\x00"))
    with pytest.raises(ChainMismatch, match="no contract code"):
        check_identity(chain, ident, sender.address, code_hash(RUNTIME_CODE))
