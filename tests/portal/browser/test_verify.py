"""回执核验 (/verify) in the browser: the verdicts, and that nothing of the files is uploaded.

The receipts are the demo bidder's own: as first promised at ingest (pending), as served once
anchored (intact), and anchored but with the recorded file hash edited (inconsistent: the
leaf no longer matches). The bid files are random bytes whose SHA-256 the trail recorded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.portal.browser.helpers import RequestLog, check_statuses, wait_verdict
from tests.portal.browser.server import Portal

#: what the page may fetch while checking (contract: static assets, the trust policy,
#: checkpoints, proofs, the chain's JSON-RPC)
ALLOWED_GET_PREFIXES = ("/static/", "/v1/trust-policy", "/v1/checkpoints", "/v1/proofs",
                        "/v1/chain", "/verify", "/favicon")
RPC_METHODS = {"eth_chainId", "eth_getBlockByNumber", "eth_call", "eth_getTransactionReceipt"}


def check(page: Any, receipt: Path, bid_file: Path | None = None) -> str:
    page.goto("/verify")
    page.set_input_files("#receipt-file", str(receipt))
    if bid_file is not None:
        page.set_input_files("#bid-file", str(bid_file))
    page.click("#verify-button")
    return wait_verdict(page)


def test_an_anchored_receipt_with_its_bid_file_is_intact(portal: Portal, page: Any) -> None:
    assert check(page, portal.files["receipt_intact"], portal.files["bid_small"]) == "intact"
    statuses = check_statuses(page)
    assert {s for s in statuses.values()} <= {"ok", "skipped"}, statuses
    for must in ("promise_signature", "jcs", "leaf_hash", "inclusion_proof",
                 "checkpoint_signature", "bid_file_sha256", "anchor_on_chain"):
        assert statuses.get(must) == "ok", (must, statuses)
    assert "完整" in page.inner_text("section#verdict")
    fields = page.inner_text("#receipt-fields")
    for label in ("受理时间", "事件", "项目", "区块高度", "交易哈希", "区块时间"):
        assert label in fields, (label, fields)
    assert portal.project_id in fields
    anchor = json.loads(portal.files["receipt_intact"].read_text("utf-8"))["anchored"]["anchor"]
    assert anchor["tx_hash"].lower() in fields.lower()


def test_a_receipt_not_yet_anchored_is_pending(portal: Portal, page: Any) -> None:
    assert check(page, portal.files["receipt_pending"]) == "pending"
    statuses = check_statuses(page)
    assert "failed" not in statuses.values(), statuses
    assert statuses.get("promise_signature") == "ok", statuses
    assert page.is_visible("button#upgrade-button")


def test_a_tampered_receipt_is_inconsistent_and_names_the_check(portal: Portal,
                                                                page: Any) -> None:
    assert check(page, portal.files["receipt_tampered"]) == "inconsistent"
    assert check_statuses(page).get("leaf_hash") == "failed", check_statuses(page)
    assert "不一致" in page.inner_text("section#verdict")
    failed = page.inner_text("ul#checks > li[data-check=leaf_hash]")
    assert failed.strip(), "the failed check says nothing"


def test_the_wrong_bid_file_is_inconsistent(portal: Portal, page: Any) -> None:
    assert check(page, portal.files["receipt_intact"], portal.files["bid_wrong"]) == \
        "inconsistent"
    statuses = check_statuses(page)
    assert statuses.get("bid_file_sha256") == "failed", statuses
    assert statuses.get("leaf_hash") == "ok", statuses


def test_a_pasted_receipt_is_checked_too(portal: Portal, page: Any) -> None:
    page.goto("/verify")
    page.fill("textarea#receipt-text", portal.files["receipt_intact"].read_text("utf-8"))
    page.click("#verify-button")
    assert wait_verdict(page) == "intact"


def _chunks(data: bytes, size: int, step: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, max(len(data) - size, 0) + 1, step)]


def private_parts(receipt: bytes) -> list[bytes]:
    """The receipt without its public chain facts (chain id, registry, log id, transaction
    hash, root): those the page must ask the chain about; every other byte is the holder's."""
    anchor = json.loads(receipt)["anchored"]["anchor"]
    public = {str(v) for v in anchor.values() if len(str(v)) >= 8}
    public |= {v.removeprefix("0x").lower() for v in public}
    pattern = re.compile("|".join(re.escape(v) for v in sorted(public, key=len, reverse=True)))
    return [part.encode() for part in pattern.split(receipt.decode("utf-8"))]


def test_nothing_of_the_receipt_or_the_bid_file_leaves_the_browser(portal: Portal,
                                                                   page: Any) -> None:
    receipt = portal.files["receipt_intact"].read_bytes()
    bid = portal.files["bid_small"].read_bytes()
    page.goto("/verify")
    log = RequestLog(page)
    page.set_input_files("#receipt-file", str(portal.files["receipt_intact"]))
    page.set_input_files("#bid-file", str(portal.files["bid_small"]))
    page.click("#verify-button")
    assert wait_verdict(page) == "intact"
    # any 48 bytes of the receipt's own parts, any 32 bytes of the bid file at 4 KiB steps
    # (random bytes: a slice of them is nowhere else), and some of those in hex
    probes = [c for part in private_parts(receipt) for c in _chunks(part, 48, 1)]
    probes += _chunks(bid, 32, 4096)
    probes += [c.hex().encode() for c in _chunks(bid, 32, 65536)]
    sent_bytes = sum(len(s.body) for s in log.sent)
    assert sent_bytes < len(bid), f"{sent_bytes} bytes sent while checking"
    for sent in log.sent:
        leaked = [p for p in probes if p in sent.body]
        assert not leaked, f"{sent.method} {sent.url} carries {leaked[0][:40]!r}"
        assert urlsplit(sent.url).hostname == "127.0.0.1", sent.url
    for sent in log.posts():
        body = json.loads(sent.body)
        calls = body if isinstance(body, list) else [body]
        assert {c.get("method") for c in calls} <= RPC_METHODS, (sent.url, body)
    for sent in log.sent:
        if sent.method == "GET":
            assert urlsplit(sent.url).path.startswith(ALLOWED_GET_PREFIXES), sent.url


def test_a_64_mb_bid_file_hashes_with_progress(portal: Portal, page: Any) -> None:
    page.goto("/verify")
    page.evaluate("""() => {
        window.__progress = [];
        setInterval(() => {
            const bar = document.querySelector('progress#hash-progress');
            if (bar) window.__progress.push([bar.value, bar.max]);
        }, 5);
    }""")
    page.set_input_files("#receipt-file", str(portal.files["receipt_large"]))
    page.set_input_files("#bid-file", str(portal.files["bid_large"]))
    page.click("#verify-button")
    assert wait_verdict(page, timeout=120_000) == "intact"
    assert check_statuses(page).get("bid_file_sha256") == "ok"
    seen = page.evaluate("window.__progress")
    between = [v for v, m in seen if m and 0 < v < m]
    assert between, f"the progress bar never showed partial progress: {seen[:5]}…{seen[-5:]}"
    value, top = page.evaluate(
        "() => { const b = document.querySelector('progress#hash-progress');"
        " return [b.value, b.max]; }")
    assert value == top
    heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : 0")
    # the page holds 4 MiB slices, never the 64 MiB file (its bytes would all be on the heap)
    assert heap < 64 * 1024 * 1024, f"JS heap {heap} bytes after hashing"
