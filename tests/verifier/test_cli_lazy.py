"""`witness-verify --help` loads no check, no database layer and no chain library; the
public names of the package still resolve (on first use)."""

from __future__ import annotations

import verifier
from tests.import_probe import help_and_modules

HEAVY = ("sqlalchemy", "web3", "eth_utils", "eth_abi", "verifier.bundle_check",
         "verifier.ledger_check", "verifier.receipt_check", "verifier.readers.chain")


def test_help_loads_nothing_heavy() -> None:
    text, modules = help_and_modules("verifier.cli")
    assert [m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY] == []
    assert "receipt" in text and "ledger" in text


def test_the_public_names_resolve() -> None:
    for name in verifier.__all__:
        assert getattr(verifier, name).__name__ == name
