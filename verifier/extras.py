"""Which optional part of the ``witness-verify`` distribution a missing module belongs to.

Role: the base install checks receipts, bundles and checkpoint notes from files with only
``cryptography``, ``rfc8785`` and ``click``; reading a chain needs the ``[chain]`` extra
(web3, py-evm) and the ledger fsck the ``[db]`` extra (SQLAlchemy, psycopg, tqdm). A check
that reaches for a library that is not installed is told, in one line, what to install
(docs/deployment.md), instead of a traceback about a module name.

Must not import: anything but the standard library.
"""

from __future__ import annotations

# Top-level modules of each extra's libraries (and of what they pull in), as Python names.
EXTRA_MODULES: dict[str, frozenset[str]] = {
    "chain": frozenset({"web3", "eth", "eth_tester", "eth_account", "eth_abi", "eth_utils",
                        "eth_typing", "eth_keys", "eth_hash", "hexbytes", "requests"}),
    "db": frozenset({"sqlalchemy", "psycopg", "psycopg_binary", "tqdm"}),
}
WHAT_NEEDS = {"chain": "checking anchors on a chain", "db": "reading a ledger database"}


def missing_module_message(exc: ModuleNotFoundError) -> str:
    """One line for a module that is not installed: the extra that brings it, if any."""
    module = (exc.name or "").partition(".")[0]
    for extra, modules in EXTRA_MODULES.items():
        if module in modules:
            hint = " (or pass --offline)" if extra == "chain" else ""
            return (f"{WHAT_NEEDS[extra]} needs the {extra} extra, which is not installed: "
                    f"pip install 'witness-verify[{extra}]'{hint}")
    return f"the module {module or exc} is missing: reinstall witness-verify"
