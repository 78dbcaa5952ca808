"""Tamper catalogue against the REAL embedded chain: a ledger bound to the
embedded chain and anchored twice; the verifier opens that chain read-only
(``embedded:<home>/chain``) through ``chain_access`` and checks receipts, bundles and fsck."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from chain_access import open_chain
from chain_access.embedded import dev_accounts
from ledger.anchoring import registry as registry_contract
from ledger.core.note import Checkpoint, open_checkpoint, sign_checkpoint
from ledger.export import dumps_bundle, export_project
from ledger.keys import load_signer
from tests.verifier.anchored import Anchored, anchor_refs, build_anchored, copy_home
from tests.verifier.conftest import PROJECTS, tamper
from verifier import check_bundle, check_ledger, check_receipt
from verifier.cli import main
from verifier.policy import TrustPolicy
from verifier.readers.chain import ChainRegistryReader, open_registry
from verifier.report import Report


@pytest.fixture(scope="module")
def ledger_a(tmp_path_factory: pytest.TempPathFactory) -> Anchored:
    return build_anchored(tmp_path_factory.mktemp("a") / "home")


@pytest.fixture(scope="module")
def ledger_b(tmp_path_factory: pytest.TempPathFactory, ledger_a: Anchored) -> Anchored:
    """Another ledger with the SAME log key and anchorer key (so the same registry address)
    on ANOTHER embedded chain, with other events: the center's rewritten twin."""
    return build_anchored(tmp_path_factory.mktemp("b") / "home", keys_from=ledger_a.home,
                          tag="-B")


@pytest.fixture
def copy_a(ledger_a: Anchored, tmp_path: Path) -> Anchored:
    return copy_home(ledger_a, tmp_path / "home")


@pytest.fixture
def reader(ledger_a: Anchored) -> Iterator[ChainRegistryReader]:
    r = _reader(ledger_a.policy)
    yield r
    r.close()


def _reader(policy: TrustPolicy, chain: str | None = None) -> ChainRegistryReader:
    assert policy.chain_id is not None and policy.registry is not None
    return open_registry(chain or str(policy.chain), policy.chain_id, policy.registry,
                         policy.genesis_hash)


def _bundle(a: Anchored, project: str = PROJECTS[0]) -> dict[str, Any]:
    log = a.open()
    try:
        return export_project(log, project)
    finally:
        log.db.dispose()


def _receipt_text(a: Anchored, index: int) -> str:
    log = a.open()
    try:
        return log.receipt(index).dumps()
    finally:
        log.db.dispose()


def _check_bundle(bundle: dict[str, Any], policy: TrustPolicy,
                  reader: ChainRegistryReader) -> Report:
    return check_bundle(dumps_bundle(bundle).encode(), policy, reader)


def _codes(report: Report) -> set[str]:
    return {p.code for p in report.problems}


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def _flags(policy: TrustPolicy, chain: str | None = None) -> list[str]:
    return ["--key", policy.verifier.vkey(), "--chain", chain or str(policy.chain),
            "--chain-id", str(policy.chain_id), "--registry", str(policy.registry)]


# -- the negative: untouched material verifies clean against the chain ------------------------

def test_clean_receipts_bundles_and_fsck(ledger_a: Anchored, reader: ChainRegistryReader
                                         ) -> None:
    from ledger.core.receipt import Receipt

    for index, size in ((3, 9), (10, 19)):  # 1 binding event first
        report = check_receipt(Receipt.loads(_receipt_text(ledger_a, index).encode()),
                               ledger_a.policy, reader)
        assert report.outcome == "intact", report.to_text()
        assert report.subject["checkpoint_size"] == size
        assert report.counts["anchors"] == 1 and "anchored_at_block_time" in report.subject
    for project in PROJECTS:
        report = _check_bundle(_bundle(ledger_a, project), ledger_a.policy, reader)
        assert report.outcome == "intact", report.to_text()
        assert report.counts["anchors"] == 2 and report.counts["events"] == 9  # 2 sealed
        assert all(t["result"] == "ok" and "anchored_at" in t for t in report.timeline)
    report = check_ledger(str(ledger_a.db_path), ledger_a.policy, reader)
    assert report.outcome == "intact", report.to_text()
    assert report.counts["anchors"] == 2 and report.counts["events"] == 19


def test_clean_cli_exit_0(ledger_a: Anchored, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(dumps_bundle(_bundle(ledger_a)))
    receipt = tmp_path / "r.json"
    receipt.write_text(_receipt_text(ledger_a, 5))
    policy = tmp_path / "trust.json"
    pinned = replace(ledger_a.policy, genesis_hash=ledger_a.binding.genesis_hash)
    policy.write_text(json.dumps(pinned.to_json()))
    for argv in (["bundle", str(path)], ["receipt", str(receipt)],
                 ["ledger", "--db", str(ledger_a.db_path), "--no-progress"]):
        code, out, err = cli(capsys, "--policy", str(policy), "--json", *argv)
        data = json.loads(out)
        assert (code, data["outcome"]) == (0, "intact"), (argv, err, out)
        assert data["counts"]["anchors"] >= 1


# -- registry swapped -----------------------------------------------------------------------

def _deploy_other_registry(a: Anchored) -> str:
    chain = open_chain(a.chain_spec)
    try:
        address, _ = chain.deploy(registry_contract.abi(), registry_contract.bytecode(), [],
                                  dev_accounts()[0])
        return str(address)
    finally:
        chain.close()


def test_registry_swapped(copy_a: Anchored, capsys: pytest.CaptureFixture[str],
                          tmp_path: Path) -> None:
    other = _deploy_other_registry(copy_a)
    assert other.lower() != str(copy_a.policy.registry).lower()
    # 1. the verifier pins the other (real, deployed) registry: the material names another
    swapped = replace(copy_a.policy, registry=other)
    r = _reader(swapped)
    try:
        bundle = _check_bundle(_bundle(copy_a), swapped, r)
        assert _codes(bundle) == {"anchor"} and "registry" in bundle.problems[0].detail
        fsck = check_ledger(str(copy_a.db_path), swapped, r)
        assert _codes(fsck) == {"anchor"} and fsck.first_divergence.index == 9  # type: ignore[union-attr]
    finally:
        r.close()
    path = tmp_path / "r.json"
    path.write_text(_receipt_text(copy_a, 2))
    code, out, _ = cli(capsys, *_flags(swapped), "--json", "receipt", str(path))
    assert code == 1 and json.loads(out)["first_divergence"]["code"] == "anchor"
    # 2. the anchor references are rewritten to name the other registry (policy unchanged)
    b = _bundle(copy_a)
    for cp in b["checkpoints"]:
        if cp["anchor"]:
            cp["anchor"]["registry"] = other
    r = _reader(copy_a.policy)
    try:
        assert _codes(_check_bundle(b, copy_a.policy, r)) == {"anchor"}
        tamper(copy_a.db_path, ("UPDATE anchors SET registry=? WHERE checkpoint_size=19",
                                (other,)))
        fsck = check_ledger(str(copy_a.db_path), copy_a.policy, r)
        first = fsck.first_divergence
        assert first is not None and (first.code, first.index) == ("anchor", 19)
    finally:
        r.close()


def test_registry_without_code_is_exit_2(ledger_a: Anchored, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    nowhere = replace(ledger_a.policy, registry="0x" + "12" * 20)
    code, out, err = cli(capsys, *_flags(nowhere), "ledger", "--db", str(ledger_a.db_path))
    assert code == 2 and out == "" and "no contract at the pinned registry" in err


# -- chain swapped --------------------------------------------------------------------------

def test_twin_has_the_same_registry_address(ledger_a: Anchored, ledger_b: Anchored) -> None:
    assert ledger_b.binding.registry == ledger_a.binding.registry
    assert ledger_b.binding.genesis_hash != ledger_a.binding.genesis_hash
    assert ledger_b.binding.chain_id == ledger_a.binding.chain_id


def test_chain_swapped(ledger_a: Anchored, ledger_b: Anchored, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    """Checking A's material on B's chain (same chain id, same registry address, same log
    id): every anchor reference is contradicted by the chain reached."""
    r = _reader(ledger_a.policy, ledger_b.chain_spec)
    try:
        bundle = _check_bundle(_bundle(ledger_a), ledger_a.policy, r)
        assert bundle.exit_code == 1 and _codes(bundle) <= {"fork", "anchor"}
        assert bundle.counts["anchors"] == 2 and len(bundle.problems) == 2
        fsck = check_ledger(str(ledger_a.db_path), ledger_a.policy, r)
        first = fsck.first_divergence
        assert first is not None and first.code in {"fork", "anchor"} and first.index == 9
    finally:
        r.close()
    path = tmp_path / "r.json"
    path.write_text(_receipt_text(ledger_a, 0))
    code, out, _ = cli(capsys, *_flags(ledger_a.policy, ledger_b.chain_spec), "--json",
                       "receipt", str(path))
    assert code == 1 and json.loads(out)["first_divergence"]["code"] in {"fork", "anchor"}
    # with the genesis hash pinned, the verifier refuses the other chain outright (exit 2)
    code, out, err = cli(capsys, *_flags(ledger_a.policy, ledger_b.chain_spec),
                         "--genesis-hash", ledger_a.binding.genesis_hash, "receipt", str(path))
    assert code == 2 and "genesis" in err and out == ""


def test_chain_directory_missing_is_exit_3(ledger_a: Anchored, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, *_flags(ledger_a.policy, f"embedded:{tmp_path / 'none'}"),
                       "ledger", "--db", str(ledger_a.db_path))
    assert code == 3 and "unreachable" in err


# -- a bundle whose checkpoint is not the one on chain ------------------------------------------

def test_resigned_history_not_on_chain(ledger_a: Anchored, ledger_b: Anchored,
                                       reader: ChainRegistryReader) -> None:
    """B's bundle is signed with the log key, internally consistent, but its checkpoints are
    not the ones anchored on the pinned chain: a fork, with or without anchor references."""
    twin = _bundle(ledger_b)
    assert check_bundle(dumps_bundle(twin).encode(), ledger_a.policy).ok  # offline: fine
    report = _check_bundle(twin, ledger_a.policy, reader)
    assert report.exit_code == 1 and "fork" in _codes(report), report.to_text()
    for cp in twin["checkpoints"]:
        cp["anchor"] = None
    report = _check_bundle(twin, ledger_a.policy, reader)
    assert _codes(report) == {"fork"} and report.exit_code == 1
    from ledger.core.receipt import Receipt

    rec = check_receipt(Receipt.loads(_receipt_text(ledger_b, 4).encode()), ledger_a.policy,
                        reader)
    assert rec.exit_code == 1 and rec.first_divergence.code == "fork"  # type: ignore[union-attr]


@pytest.mark.parametrize(("field", "value"), [
    ("chain_index", 1), ("block_number", 1), ("block_hash", "0x" + "00" * 32),
    ("tree_size", 10), ("log_id", "0x" + "11" * 32), ("chain_id", 31337)])
def test_tampered_anchor_reference(ledger_a: Anchored, reader: ChainRegistryReader,
                                   field: str, value: Any) -> None:
    bundle = _bundle(ledger_a)
    first = next(cp for cp in bundle["checkpoints"] if cp["anchor"]
                 and cp["anchor"]["tree_size"] == 9)
    first["anchor"][field] = value
    report = _check_bundle(bundle, ledger_a.policy, reader)
    assert _codes(report) == {"anchor"}, report.to_text()
    assert report.problems[0].evidence["size"] == 9


def test_bundle_checkpoint_resigned_with_another_root(ledger_a: Anchored,
                                                      reader: ChainRegistryReader) -> None:
    """The proof checkpoint replaced by a note signed with the log key over another root:
    the inclusion proofs fail, and the chain holds another root for that size."""
    bundle = _bundle(ledger_a)
    signer = load_signer(ledger_a.home / "log.key", ledger_a.policy.origin)
    size = bundle["proof_size"]
    for cp in bundle["checkpoints"]:
        if int(cp["note"].split("\n")[1]) == size:
            cp["note"] = sign_checkpoint(Checkpoint(ledger_a.policy.origin, size, b"\x07" * 32),
                                         signer)
    report = _check_bundle(bundle, ledger_a.policy, reader)
    assert {"anchor", "inclusion"} <= _codes(report), report.to_text()  # ref names the root
    for cp in bundle["checkpoints"]:
        cp["anchor"] = None  # no reference: the chain is searched by size
    report = _check_bundle(bundle, ledger_a.policy, reader)
    assert {"fork", "inclusion"} <= _codes(report), report.to_text()
    assert next(p for p in report.problems if p.code == "fork").index == size


# -- fsck: a checkpoint root changed in the database vs the chain ---------------------------------

def test_fsck_checkpoint_root_changed_in_db(copy_a: Anchored) -> None:
    signer = load_signer(copy_a.home / "log.key", copy_a.policy.origin)
    fake = b"\x05" * 32
    note = sign_checkpoint(Checkpoint(copy_a.policy.origin, 9, fake), signer)
    tamper(copy_a.db_path, ("UPDATE checkpoints SET root=?, note=? WHERE size=9", (fake, note)))
    r = _reader(copy_a.policy)
    try:
        report = check_ledger(str(copy_a.db_path), copy_a.policy, r)
    finally:
        r.close()
    first = report.first_divergence
    assert first is not None and (first.code, first.index) == ("root", 9)
    chain = [p for p in report.problems if p.code in ("fork", "anchor")]
    assert chain and chain[0].evidence["size"] == 9 and fake.hex() in chain[0].detail
    assert report.exit_code == 1


def test_fsck_root_column_only_changed(copy_a: Anchored) -> None:
    tamper(copy_a.db_path, ("UPDATE checkpoints SET root=? WHERE size=19", (b"\x06" * 32,)))
    r = _reader(copy_a.policy)
    try:
        report = check_ledger(str(copy_a.db_path), copy_a.policy, r)
    finally:
        r.close()
    first = report.first_divergence
    assert first is not None and (first.code, first.index) == ("root", 19)


def test_fsck_anchor_row_points_elsewhere(copy_a: Anchored) -> None:
    tamper(copy_a.db_path, "UPDATE anchors SET chain_index=1 - chain_index")
    r = _reader(copy_a.policy)
    try:
        report = check_ledger(str(copy_a.db_path), copy_a.policy, r)
    finally:
        r.close()
    assert _codes(report) == {"anchor"} and [p.index for p in report.problems] == [9, 19]


def test_anchor_refs_match_the_chain(ledger_a: Anchored, reader: ChainRegistryReader) -> None:
    log_id = bytes.fromhex(ledger_a.binding.log_id[2:])
    for size, ref in anchor_refs(ledger_a).items():
        on = reader.checkpoint_at(log_id, ref["chain_index"])
        assert on is not None and on.tree_size == size
        cp = open_checkpoint(_note(ledger_a, size), [ledger_a.policy.verifier],
                             ledger_a.policy.origin)
        assert on.root == cp.root


def _note(a: Anchored, size: int) -> str:
    con = sqlite3.connect(a.db_path)
    try:
        return str(con.execute("SELECT note FROM checkpoints WHERE size=?", (size,)).fetchone()[0])
    finally:
        con.close()
