"""`witness --help` lists every command without importing the database layer, the event
schemas, the chain libraries or the API; the listing's table says what the commands say."""

from __future__ import annotations

import importlib

from ledger.cli.app import LAZY_COMMANDS, cli
from tests.import_probe import help_and_modules

HEAVY = ("sqlalchemy", "alembic", "web3", "eth", "fastapi", "uvicorn", "pydantic",
         "ledger.events", "ledger.store", "ledger.log", "chain_access")


def test_the_listing_imports_nothing_heavy() -> None:
    listing, modules = help_and_modules("witness_api.cli")
    loaded = [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert loaded == []
    for name in [*LAZY_COMMANDS, "serve", "token"]:
        assert f"  {name} " in listing


def test_the_table_says_what_each_command_says() -> None:
    import witness_api.cli  # noqa: F401  (serve, token)

    for module in {m for m, _ in LAZY_COMMANDS.values()}:
        importlib.import_module(module)
    assert set(cli.commands) == {*LAZY_COMMANDS, "serve", "token"}
    for name, (module, short) in LAZY_COMMANDS.items():
        command = cli.commands[name]
        assert command.callback is not None and command.callback.__module__ == module
        assert command.get_short_help_str(limit=10_000) == short, name
