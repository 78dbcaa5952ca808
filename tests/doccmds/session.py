"""One test session over every page: a shell per page, the pages side by side.

A page's blocks run once, in page order, since its commands build on each other
(``trust.json`` written in one block is read in the next); different pages run in parallel
against the same log and server, as different users would. A block's test waits for its
block. A page's background servers stop after its last block.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from tests.doccmds import table
from tests.doccmds.extract import Block, rel
from tests.doccmds.shell import Outcome, PageRun
from tests.doccmds.world import World

PARALLEL_PAGES = 3
Provider = Callable[[str], str]
"""Gives a component started on demand by name: ``rpc`` (a JSON-RPC chain's URL),
``database`` (the PostgreSQL server's URL); raises pytest's skip (or, under CI, failure)
when it is missing."""


class Databases:
    """Empty PostgreSQL databases made for the pages, dropped at the end."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.names: list[str] = []

    def create(self) -> str:
        import sqlalchemy as sa

        name = f"witness_doc_{uuid.uuid4().hex[:12]}"
        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        self.names.append(name)
        return self.admin_url.rsplit("/", 1)[0] + f"/{name}"

    def drop_all(self) -> None:
        if not self.names:
            return
        import sqlalchemy as sa

        engine = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in self.names:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
        self.names.clear()


def needs(block: Block) -> set[str]:
    text = "\n".join(c.text for c in block.commands)
    return ({"rpc"} if table.needs_rpc(text) else set()) | (
        {"database"} if table.needs_database(text) else set())


class DocSession:
    def __init__(self, world: World, blocks: Iterable[Block], databases: Databases) -> None:
        self.world = world
        self.databases = databases
        self.by_page: dict[Path, list[Block]] = {}
        for block in blocks:
            if block.mode != "skip":
                self.by_page.setdefault(block.page, []).append(block)
        self.results: dict[Block, Future[list[Outcome]]] = {}
        self.components: dict[str, str] = {}
        self.missing: dict[str, BaseException] = {}
        self.pages: dict[Path, PageRun] = {}
        self.pool = ThreadPoolExecutor(max_workers=PARALLEL_PAGES)

    def start(self, pages: Iterable[Path], provide: Provider) -> None:
        """Run these pages in the background; the components they need are got first (here,
        in the test's thread, since pytest's fixtures are not for other threads)."""
        todo = [p for p in dict.fromkeys(pages) if p in self.by_page and p not in self.pages]
        for name in sorted({n for p in todo for b in self.by_page[p] for n in needs(b)}):
            if name not in self.components and name not in self.missing:
                try:
                    self.components[name] = provide(name)
                except BaseException as exc:  # pytest's Skipped/Failed: told to the block
                    self.missing[name] = exc
        for page in todo:
            workdir = self.world.root / "pages" / rel(page).replace("/", "_")
            self.pages[page] = PageRun(page, self.world, workdir)
            for block in self.by_page[page]:
                self.results[block] = Future()
            self.pool.submit(self._run_page, page)

    def outcomes(self, block: Block) -> list[Outcome]:
        """The block's outcomes, once its page has got to it; raises the skip or failure of a
        component the block needs and could not have."""
        return self.results[block].result()

    def _run_page(self, page: Path) -> None:
        run = self.pages[page]
        try:
            for block in self.by_page[page]:
                future = self.results[block]
                lacking = [self.missing[n] for n in sorted(needs(block)) if n in self.missing]
                if lacking:
                    future.set_exception(lacking[0])
                    continue
                try:
                    future.set_result(self._run_block(run, block))
                except BaseException as exc:  # reported by the block's test
                    future.set_exception(exc)
        finally:
            run.close()

    def _run_block(self, run: PageRun, block: Block) -> list[Outcome]:
        wanted = needs(block)
        if "rpc" in wanted:
            run.ctx.rpc = self.components["rpc"]
            # account 0 is the tests' deployer elsewhere: each page its own from 10 up
            run.ctx.chain_key = table.hardhat_key(10 + list(self.by_page).index(run.page) % 10)
        if "database" in wanted and run.ctx.database is None:
            run.ctx.database = self._databases_of_page()
        return run.run_block(block)

    def _databases_of_page(self) -> Callable[[str], str]:
        made: dict[str, str] = {}

        def database(url: str) -> str:
            if url not in made:
                made[url] = self.databases.create()
            return made[url]
        return database

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        for page in self.pages.values():
            page.close()
        self.databases.drop_all()
