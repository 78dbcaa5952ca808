"""The substitution table: what the pages' placeholders become when the test runs them.

A page is written for a reader at the center (``http://127.0.0.1:8080``, ``/srv/…``, a lead
``L-…``); the test runs the same text against its own log and server. Every rewrite the
test makes is one row of ``SUBSTITUTIONS``; the variables and files a page may take as given
are ``VARIABLES`` and ``FILES``. docs/development.md shows the same table to readers
(tests/test_doc_commands.py checks that it names every row).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

LONG_RUNNING = re.compile(r"\bwitness(-cosign)?\s+(--\S+\s+)*serve\b|--follow\b")
"""Commands that run until stopped: started in the background, checked, stopped at the end."""

REFUSED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bpip3?\s+(install|uninstall)\b|-m\s+pip\s+(install|uninstall)\b"),
     "installs into the Python environment the tests themselves run in"),
    (re.compile(r"(^|[;&|(]\s*)make\b"), "runs the Makefile: set-up, the demo or the whole suite"),
    (re.compile(r"(^|[;&|(]\s*)(sudo|apt-get|apt|systemctl|git)\s"),
     "changes the machine or the checkout"),
)
"""Commands never run, whatever the page says: they would damage the machine running the
tests. Such a block needs ``<!-- doc-test: skip (reason) -->``; unmarked, it fails unrun."""

PORT_OPTION = re.compile(r"(--port[ =])(\d+)")
SERVE = re.compile(r"\bwitness(-cosign)?\s+(--\S+\s+)*serve\b")
DEFAULT_SERVE_PORTS = {"witness": 8080, "witness-cosign": 8090}
TOKEN_CREATE = re.compile(r"^\s*witness\s+(--\S+\s+)*token\s+create\b")
SERVICE_PORTS = frozenset({8000, 8080})
RPC_PORT = 8545
HARDHAT_MNEMONIC = "test test test test test test test test test test test junk"
"""The mnemonic of the Hardhat node's funded default accounts (public, for development)."""


@dataclass
class Context:
    """What the placeholders of one page are replaced with."""

    api: str
    scratch: Path
    lead_id: str
    revocable_id: str
    ports: dict[int, int] = field(default_factory=dict)
    rpc: str | None = None
    chain_key: str = ""
    database: Callable[[str], str] | None = None
    """Gives the database that stands for a page's PostgreSQL URL (the same for the same URL)."""


@dataclass(frozen=True)
class Rule:
    placeholder: str
    meaning: str
    pattern: re.Pattern[str]
    replace: Callable[[Context, re.Match[str]], str]


def _local_url(ctx: Context, m: re.Match[str]) -> str:
    port = int(m["port"])
    if port in SERVICE_PORTS:
        return ctx.api
    if port in ctx.ports:
        return f"http://127.0.0.1:{ctx.ports[port]}"
    if port == RPC_PORT and ctx.rpc:
        return ctx.rpc
    return m[0]


def _rpc(ctx: Context, m: re.Match[str]) -> str:
    return ctx.rpc or m[0]


def _database(ctx: Context, m: re.Match[str]) -> str:
    return ctx.database(m[0]) if ctx.database else m[0]


SUBSTITUTIONS: tuple[Rule, ...] = (
    Rule("http://127.0.0.1:8080, http://localhost:8000 (either port)",
         "the test's `witness serve`; another port: the server the page started with that "
         "`--port` (which gets a free port)",
         re.compile(r"https?://(127\.0\.0\.1|localhost):(?P<port>\d+)"), _local_url),
    Rule("http://127.0.0.1:8545, http://consortium.example:8545",
         "the JSON-RPC URL of the Hardhat node the tests start",
         re.compile(r"https?://[\w.-]+:8545\b"), _rpc),
    Rule("WITNESS_CHAIN_PRIVATE_KEY=0x…", "the key of a funded account on the Hardhat node, "
         "one per page (so that pages running side by side do not share nonces)",
         re.compile(r"(?<=WITNESS_CHAIN_PRIVATE_KEY=)0x…"),
         lambda ctx, m: ctx.chain_key or m[0]),
    Rule("L-…", "the lead raised on LN-SY-2025-0317 (short deadline), transferred to "
         "沈阳市发展和改革委员会",
         re.compile(r"L-…"), lambda ctx, m: ctx.lead_id),
    Rule("/srv/…, /backup/…", "the same path under the page's scratch directory",
         re.compile(r"(?<![\w.~-])/(?P<dir>srv|backup)\b"),
         lambda ctx, m: str(ctx.scratch / m["dir"])),
    Rule("postgresql+psycopg://…", "an empty database on the test PostgreSQL server, one per "
         "URL and page",
         re.compile(r"postgresql(\+\w+)?://[^\s'\"]+"), _database),
    Rule("witness token revoke <id>", "the id of a token made to be revoked",
         re.compile(r"(?<=witness token revoke )[0-9a-f]{16}\b"),
         lambda ctx, m: ctx.revocable_id),
)

VARIABLES: dict[str, str] = {
    "API, BASE": "the test's `witness serve` (http://127.0.0.1:<free port>)",
    "TOKEN": "an admin token; after `witness token create` on the page, the token it printed",
    "ADMIN, INGEST, BIDDER, SUPERVISOR, REGULATOR (and *_TOKEN)":
        "a token of that role: bidder 91210202MAN944122Q, supervisor of region 2101, "
        "regulator of 沈阳市发展和改革委员会 and 沈阳市住房和城乡建设局",
    "INDEX": "the log index of the bid BID-0317-07",
    "LOG_VKEY": "the log's verifier key",
    "WITNESS_HOME": "the test's data directory (or the block's own, see the markers)",
}

FILES: dict[str, str] = {
    "trust.json": "the log's trust policy (`witness trust-policy export`)",
    "bid.json, bid_submitted.json": "the event BID-0317-07: 91210202MAN944122Q's bid in "
                                    "LN-SY-2025-0317",
    "投标文件.lntf": "the bid file whose SHA-256 that event records",
    "events.jsonl, batch.json": "the trail of LN-SY-2025-0317 as JSON lines; its first "
                                "events as a `{\"events\": [...]}` batch body",
    "reference.json": "the reference data the rules use for that trail",
    "lead.json, transfer-receipt.json": "the package of the lead `L-…` and the receipt of "
                                        "its LEAD_TRANSFERRED event",
    "witness-data/": "the test's data directory",
    "scripts/, .venv/, portal-js/, …": "the checkout's own (the page runs in a scratch "
                                        "directory that links them)",
}


def hardhat_key(number: int) -> str:
    """The private key of the Hardhat node's default account ``number`` (of 20)."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    path = f"m/44'/60'/0'/0/{number}"
    return "0x" + bytes(Account.from_mnemonic(HARDHAT_MNEMONIC, account_path=path).key).hex()


def substitute(text: str, ctx: Context) -> str:
    for rule in SUBSTITUTIONS:
        text = rule.pattern.sub(lambda m, r=rule: r.replace(ctx, m), text)  # type: ignore[misc]
    return text


def refusal(text: str) -> str | None:
    """Why a command must not run in a test, or None."""
    return next((why for pattern, why in REFUSED if pattern.search(text)), None)


def needs_rpc(text: str) -> bool:
    return bool(re.search(rf":{RPC_PORT}\b", text))


def needs_database(text: str) -> bool:
    return bool(re.search(r"postgresql(\+\w+)?://", text))
