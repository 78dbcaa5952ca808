"""Figures for the design notes: transact latency, reopen time, disk use after ~100 blocks.

Run with ``-s`` to see them; the asserts are generous bounds, not benchmarks.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from chain_access.embedded import dev_accounts, open_embedded
from tests.chain_access.tinycontract import ABI, BYTECODE


def test_measure_embedded(tmp_path: Path) -> None:
    directory = tmp_path / "chain"
    chain = open_embedded(directory)
    acct = dev_accounts()[1]
    address, _ = chain.deploy(ABI, BYTECODE, [], acct)
    durations = []
    for i in range(1, 101):
        t0 = time.perf_counter()
        chain.transact(address, ABI, "set", [i], acct)
        durations.append(time.perf_counter() - t0)
    blocks = chain.block_number()
    chain.close()
    size = (directory / "evm.sqlite").stat().st_size
    t0 = time.perf_counter()
    chain = open_embedded(directory)
    head = chain.get_block()
    reopen = time.perf_counter() - t0
    chain.close()
    ms = sorted(d * 1000 for d in durations)
    print(f"\n[chain_access] transact median {statistics.median(ms):.1f} ms, "
          f"p95 {ms[94]:.1f} ms; reopen {reopen * 1000:.1f} ms; "
          f"{blocks} blocks -> {size / 1024:.0f} KiB ({size / blocks:.0f} B/block)")
    assert head.number == blocks == 101
    assert statistics.median(ms) < 1000 and reopen < 5 and size < 50 * 2**20
