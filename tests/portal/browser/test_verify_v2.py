"""回执核验 (/verify) of receipt v2 files: one signed promise per batch, the path inside it.

Made here from the demo bidder's anchored receipt, whatever format the service issues: a
batch of the bid and its neighbour in the log (the first hash of its inclusion proof is the
neighbour's leaf), the batch promise signed by the log key in the service's home. Anchored:
完整, with the batch shown in the fields; without the anchor: 待锚定; with one bit of the
batch proof flipped: 不一致, the batch proof named as the failed check.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.core.batch import BatchPromise, batch_tree
from ledger.core.receipt import (
    RECEIPT_FORMAT_V2,
    Receipt,
    sign_promise,
    verify_receipt_offline,
)
from ledger.signers.log_key import load_log_signer
from tests.portal.browser.helpers import check_statuses, wait_verdict
from tests.portal.browser.server import ORIGIN, Portal


def _v2_receipt(portal: Portal) -> dict[str, Any]:
    """The anchored bid receipt as a v2 receipt of the batch [index & ~1, +2)."""
    receipt = json.loads(portal.files["receipt_intact"].read_text("utf-8"))
    index, leaf = receipt["index"], bytes.fromhex(receipt["leaf_hash"])
    neighbour = bytes.fromhex(receipt["anchored"]["inclusion_proof"][0])
    assert index % 2 == 1 or index + 1 < int(receipt["anchored"]["anchor"]["tree_size"])
    pair = [leaf, neighbour] if index % 2 == 0 else [neighbour, leaf]
    root, paths = batch_tree(pair)
    received_at = json.loads(receipt["canonical_event"])["received_at"]
    signer = load_log_signer(portal.home, ORIGIN, None)
    note = sign_promise(signer, BatchPromise(ORIGIN, index & ~1, 2, root, received_at, 86400))
    out = {**receipt, "format": RECEIPT_FORMAT_V2, "promise": note,
           "batch_proof": [h.hex() for h in paths[index % 2]]}
    # the promise and path hold before the browser is asked (the chain is its part)
    verify_receipt_offline(Receipt.loads(json.dumps(out, ensure_ascii=False)), signer.verifier)
    return out


@pytest.fixture(scope="module")
def v2_files(portal: Portal, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    intact = _v2_receipt(portal)
    flipped = bytearray.fromhex(intact["batch_proof"][0])
    flipped[0] ^= 1
    docs = {"intact": intact, "pending": {**intact, "anchored": None},
            "tampered": {**intact, "batch_proof": [flipped.hex()]}}
    out = tmp_path_factory.mktemp("receipt-v2")
    for name, doc in docs.items():
        (out / f"{name}.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    return {name: out / f"{name}.json" for name in docs}


def _check(page: Any, receipt: Path, path: str = "/verify") -> str:
    page.goto(path)
    page.set_input_files("#receipt-file", str(receipt))
    page.click("#verify-button")
    return wait_verdict(page)


def test_an_anchored_v2_receipt_is_intact_and_shows_its_batch(
        portal: Portal, page: Any, v2_files: dict[str, Path]) -> None:
    assert _check(page, v2_files["intact"]) == "intact"
    statuses = check_statuses(page)
    for must in ("promise_signature", "batch_proof", "leaf_hash", "inclusion_proof",
                 "anchor_on_chain"):
        assert statuses.get(must) == "ok", (must, statuses)
    assert "完整" in page.inner_text("section#verdict")
    first = portal.bid_index & ~1
    batch = page.inner_text("#receipt-fields td[data-field=batch]")
    assert batch == f"日志序号 {first}–{first + 1}，共 2 条（一次签名承诺）", batch
    assert "受理批次" in page.inner_text("#receipt-fields")
    assert "批次证明" in page.inner_text("ul#checks > li[data-check=batch_proof]")


def test_the_batch_reads_in_english_too(portal: Portal, page: Any,
                                        v2_files: dict[str, Path]) -> None:
    assert _check(page, v2_files["intact"], "/verify?lang=en") == "intact"
    first = portal.bid_index & ~1
    fields = page.inner_text("#receipt-fields")
    assert "Acceptance batch" in fields, fields
    assert f"log indexes {first}–{first + 1}, 2 events under one signed promise" in fields


def test_a_v2_receipt_not_yet_anchored_is_pending(page: Any,
                                                  v2_files: dict[str, Path]) -> None:
    assert _check(page, v2_files["pending"]) == "pending"
    statuses = check_statuses(page)
    assert statuses.get("batch_proof") == "ok", statuses
    assert "failed" not in statuses.values(), statuses
    assert "待锚定" in page.inner_text("section#verdict")


def test_a_v2_receipt_with_a_tampered_batch_proof_is_inconsistent(
        page: Any, v2_files: dict[str, Path]) -> None:
    assert _check(page, v2_files["tampered"]) == "inconsistent"
    statuses = check_statuses(page)
    assert statuses.get("batch_proof") == "failed", statuses
    assert statuses.get("promise_signature") == "ok", statuses
    assert "不一致" in page.inner_text("section#verdict")
    assert "批次证明不成立" in page.inner_text("ul#checks > li[data-check=batch_proof]")
