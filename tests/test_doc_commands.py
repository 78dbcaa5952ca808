"""Every shell command in README.md and docs/*.md runs, so the pages stay true.

Each fenced ``sh``/``bash``/``shell``/``console`` block of every page (found, not listed: a
new page is covered the day it is added) is one test. Its commands run in page order in a
shell of their own against a real log: a data directory made with ``witness init`` on the
embedded EVM chain, the demo trail of LN-SY-2025-0317 ingested with its lead raised and
transferred, tokens from ``witness token create`` and one ``witness serve`` shared by every
page. The pages' placeholders (``$API``, ``$TOKEN``, ``L-…``, ``/srv/…``, ``localhost:8080``…)
become this log's values through one table (tests/doccmds/table.py, shown in
docs/development.md). A failure names the page, the line and the command, what ran instead
and its output.

A block that cannot run in a test is marked just before its fence,
``<!-- doc-test: skip (reason) -->``, and shows up as skipped with that reason; text that is
not a command goes in a ``text`` fence. An unmarked block that does not run fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PG_ADMIN_URL
from tests.doccmds import table
from tests.doccmds.extract import ROOT, Block, scan
from tests.doccmds.session import Databases, DocSession
from tests.doccmds.world import build, stop

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SCANS = [scan(page) for page in PAGES]
BLOCKS: list[Block] = [block for found in SCANS for block in found.blocks]


@pytest.fixture(scope="module")
def doc_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocSession]:
    root = tmp_path_factory.mktemp("doc-commands")
    world = build(root)
    session = DocSession(world, BLOCKS, Databases(PG_ADMIN_URL))
    try:
        yield session
    finally:
        session.close()
        stop(world.server)


@pytest.mark.parametrize("block", BLOCKS, ids=[block.where for block in BLOCKS])
def test_page_block_runs(block: Block, request: pytest.FixtureRequest) -> None:
    if block.mode == "skip":
        pytest.skip(f"{block.where}: {block.why}")
    session: DocSession = request.getfixturevalue("doc_session")

    def provide(component: str) -> str:
        fixture = {"rpc": "hardhat_node", "database": "pg_server_url"}[component]
        return str(request.getfixturevalue(fixture))

    session.start(_selected_pages(request), provide)
    failed = [o for o in session.outcomes(block) if not o.ok]
    if failed:
        pytest.fail(f"{len(failed)} of {len(block.commands)} commands of {block.where} "
                    "failed (mark the block if it cannot run in a test):\n\n"
                    + "\n\n".join(o.report() for o in failed), pytrace=False)


def _selected_pages(request: pytest.FixtureRequest) -> list[Path]:
    """The pages of the blocks this run tests (all of them, unless -k picks some)."""
    pages = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        block = callspec.params.get("block") if callspec else None
        if isinstance(block, Block):
            pages.append(block.page)
    return pages


def test_pages_tag_and_mark_their_blocks() -> None:
    """Commands are in shell fences, markers have a known mode and a reason."""
    problems = [problem for found in SCANS for problem in found.problems]
    assert problems == []


def test_the_substitution_table_is_shown_to_readers() -> None:
    """docs/development.md names every rewrite, variable and file of the table."""
    text = (ROOT / "docs" / "development.md").read_text(encoding="utf-8")
    rows = [rule.placeholder for rule in table.SUBSTITUTIONS]
    rows += list(table.VARIABLES) + list(table.FILES)
    names = [name.split(" (")[0].strip() for row in rows for name in row.split(", ")]
    assert [name for name in names if name not in text] == []


SAMPLE_PAGE = """# Sample

<!-- doc-test: skip (needs a printer) -->
```sh
lp report.pdf
```

```sh
# a comment, then a command on two lines
curl -X POST $API/v1/events \\
     -d @bid.json   # → 201
witness status
```

```console
$ witness chain
chain 1337: anchored
```

- in a list:

  ```bash
  witness-verify --policy trust.json bundle bundle.json
  ```

<!-- doc-test: skip -->
```sh
witness status
```

```
witness-verify --policy trust.json ledger
```

<!-- doc-test: own-home (a reason) -->
```json
{}
```
"""


def test_the_scanner_reads_blocks_markers_and_mistakes(tmp_path: Path) -> None:
    page = tmp_path / "sample.md"
    page.write_text(SAMPLE_PAGE, encoding="utf-8")
    found = scan(page)
    assert [(b.line, b.mode, b.why) for b in found.blocks] == [
        (4, "skip", "needs a printer"), (8, "shared", ""), (15, "shared", ""),
        (22, "shared", ""), (27, "skip", "")]
    assert [(c.line, c.text) for c in found.blocks[1].commands] == [
        (10, "curl -X POST $API/v1/events \\\n     -d @bid.json   # → 201"), (12, "witness status")]
    assert [c.text for c in found.blocks[2].commands] == ["witness chain"]
    assert found.blocks[3].commands[0].text.startswith("witness-verify --policy")
    assert found.problems == [
        "sample.md:27: doc-test: skip needs a reason in parentheses",
        "sample.md:31: a fence without a language holds a command (tag it sh to have it run, "
        "or text if it is not a command)",
        "sample.md:36: doc-test marker on a json block"]


def test_the_table_rewrites_placeholders(tmp_path: Path) -> None:
    made: list[str] = []

    def database(url: str) -> str:
        made.append(url)
        return "postgresql+psycopg://postgres@127.0.0.1:5432/witness_doc_x"

    ctx = table.Context("http://127.0.0.1:4321", tmp_path, "L-abc", "0123456789abcdef",
                        {8090: 5555}, "http://127.0.0.1:7777", table.hardhat_key(0), database)
    text = ("curl http://localhost:8000/v1/leads/L-…/package http://127.0.0.1:8090/x; "
            "witness-verify ledger --db sqlite:////srv/w/witness.db -o /backup/b.tgz; "
            "WITNESS_DB_URL=postgresql+psycopg://witness@db/witness witness token revoke "
            "34ebcd536f862bf9; WITNESS_CHAIN_PRIVATE_KEY=0x… --chain http://consortium.example:8545")
    assert table.substitute(text, ctx) == (
        "curl http://127.0.0.1:4321/v1/leads/L-abc/package http://127.0.0.1:5555/x; "
        f"witness-verify ledger --db sqlite:///{tmp_path}/srv/w/witness.db -o "
        f"{tmp_path}/backup/b.tgz; WITNESS_DB_URL=postgresql+psycopg://postgres@127.0.0.1:5432/"
        "witness_doc_x witness token revoke 0123456789abcdef; WITNESS_CHAIN_PRIVATE_KEY="
        "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 --chain "
        "http://127.0.0.1:7777")
    assert made == ["postgresql+psycopg://witness@db/witness"]


def test_commands_that_would_harm_the_machine_are_refused() -> None:
    for command in ("make demo", "pip install dist/x.whl", "python -m pip uninstall -y x",
                    "witness init && make test", "sudo apt-get install softhsm2", "git pull"):
        assert table.refusal(command), command
    for command in ("witness token create --role ingest --label 'make it'",
                    ".venv/bin/python scripts/build_wheels.py -o dist", "curl -sS $API/readyz"):
        assert table.refusal(command) is None, command


@pytest.mark.skipif(os.environ.get("DOC_COMMANDS_TIMING") != "1",
                    reason="set DOC_COMMANDS_TIMING=1 to print each command's time")
def test_print_the_slowest_commands(request: pytest.FixtureRequest) -> None:
    session: DocSession = request.getfixturevalue("doc_session")
    done = [f.result() for f in session.results.values() if f.done() and not f.exception()]
    timed = sorted((o for outs in done for o in outs), key=lambda o: -o.seconds)
    print(f"\nsetting up the log: {session.world.setup_seconds:.1f} s; commands: "
          f"{sum(o.seconds for o in timed):.1f} s in all")
    print("\n".join(f"{o.seconds:6.1f} s  {o.where}  {o.command[:70]}" for o in timed[:15]))
