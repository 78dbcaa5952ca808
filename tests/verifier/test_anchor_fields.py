"""Every field of an anchor reference against a real chain (embedded py-evm, and Hardhat):
the transaction, its recipient, block and CheckpointAnchored event, the block's number, hash
and time; values no chain can hold are bad input (exit 2, one line); an on-chain checkpoint
the log did not sign is an integrity failure (``fork``, or ``sequence`` beyond the log)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from chain_access import ChainBackend, open_chain
from chain_access.embedded import dev_accounts
from ledger.core.note import open_checkpoint
from ledger.core.receipt import AnchoredProof
from ledger.export import export_project
from tests.verifier.conftest import PROJECTS, Built, build_ledger
from tests.verifier.planted import Planted, plant_registry
from verifier.cli import main
from verifier.policy import TrustPolicy

SIZES = (6, 16, 22)  # the fixture ledger's checkpoints
RECEIPT_INDEX = 9  # covered first by the checkpoint of size 16
# Hardhat's first well-known development account (public test key, never for real funds).
HARDHAT_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


@dataclass
class World:
    built: Built
    chain: ChainBackend
    planted: Planted
    policy: TrustPolicy
    refs: dict[int, dict[str, Any]]

    def root(self, size: int) -> bytes:
        note = self.built.log.checkpoint_at(size).note
        return open_checkpoint(note, [self.policy.verifier], self.policy.origin).root


def _world(home: Path, chain: ChainBackend, spec: str, sender: Any) -> World:
    built = build_ledger(home)
    planted = plant_registry(chain, built.log.origin, sender)
    policy = replace(built.policy, chain_id=chain.chain_id(), registry=planted.registry,
                     chain=spec)
    world = World(built, chain, planted, policy, {})
    last = None
    for size in SIZES:
        proof = [] if last is None else built.log.consistency_proof(last, size)
        world.refs[size] = planted.anchor(size, world.root(size), proof)
        last = size
    return world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("fields")
    spec = f"embedded:{base / 'chain'}"
    chain = open_chain(spec)
    w = _world(base / "home", chain, spec, dev_accounts()[0])
    yield w
    w.built.log.db.dispose()
    chain.close()


def _receipt(w: World, ref: dict[str, Any] | None = None) -> dict[str, Any]:
    log = w.built.log
    anchored = AnchoredProof(log.checkpoint_at(16).note,
                             tuple(log.inclusion_proof(RECEIPT_INDEX, 16)),
                             dict(ref if ref is not None else w.refs[16]))
    return replace(log.receipt(RECEIPT_INDEX), anchored=anchored).to_json()


def _bundle(w: World) -> dict[str, Any]:
    bundle = export_project(w.built.log, PROJECTS[0])
    for cp in bundle["checkpoints"]:
        cp["anchor"] = dict(w.refs[int(cp["note"].split("\n")[1])])
    return bundle


def _flags(policy: TrustPolicy) -> list[str]:
    return ["--key", policy.verifier.vkey(), "--chain", str(policy.chain),
            "--chain-id", str(policy.chain_id), "--registry", str(policy.registry)]


def verify(capsys: pytest.CaptureFixture[str], policy: TrustPolicy, tmp: Path, kind: str,
           doc: dict[str, Any] | None = None) -> tuple[int, dict[str, Any] | None, str]:
    """Run ``witness-verify --json KIND``; (exit code, report or None, stderr)."""
    args = ["ledger", "--db", str(tmp), "--no-progress"] if doc is None else [kind, str(tmp)]
    if doc is not None:
        tmp.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main([*_flags(policy), "--json", *args])
    out = capsys.readouterr()
    return int(exc.value.code or 0), json.loads(out.out) if out.out else None, out.err


def test_clean_material_is_intact(world: World, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    for kind, doc in (("receipt", _receipt(world)), ("bundle", _bundle(world))):
        code, report, err = verify(capsys, world.policy, tmp_path / "doc.json", kind, doc)
        assert (code, report and report["outcome"]) == (0, "intact"), (kind, err, report)
    code, report, err = verify(capsys, world.policy, world.built.db_path, "ledger")
    assert code == 0 and report is not None and report["counts"]["anchors"] == 3, err


def _flip(hex_text: str) -> str:
    last = hex_text[-1]
    return hex_text[:-1] + ("0" if last != "0" else "1")


@pytest.mark.parametrize("field", ["tx_hash", "block_timestamp", "block_number",
                                   "block_hash", "other_contract", "other_checkpoint"])
def test_changed_field_is_an_integrity_failure(world: World, tmp_path: Path, field: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    ref = dict(world.refs[16])
    name, claimed = _tamper(world, ref, field)
    for kind, doc in (("receipt", _receipt(world, ref)), ("bundle", _bundle(world))):
        if kind == "bundle":
            for cp in doc["checkpoints"]:
                if cp["anchor"]["tree_size"] == 16:
                    cp["anchor"] = ref
        code, report, err = verify(capsys, world.policy, tmp_path / "doc.json", kind, doc)
        assert code == 1 and report is not None, (kind, err)
        first = report["first_divergence"]
        assert (first["code"], first["index"]) == ("anchor", 16), report
        wrong = {m["field"]: m for m in first["evidence"]["mismatches"]}
        assert name in wrong and str(claimed) in first["detail"], first
        assert wrong[name]["anchor"] == claimed and wrong[name]["actual"]


def _tamper(world: World, ref: dict[str, Any], field: str) -> tuple[str, Any]:
    """Change ``ref`` as ``field`` says; (field named in the problem, value claimed)."""
    if field in ("tx_hash", "block_hash"):
        ref[field] = _flip(ref[field])
    elif field in ("block_timestamp", "block_number"):
        ref[field] += 1
    elif field == "other_contract":
        ref["tx_hash"] = "0x" + world.planted.other_tx().tx_hash.hex()
    else:  # the transaction that anchored another checkpoint of the log
        ref["tx_hash"] = world.refs[6]["tx_hash"]
    field = "tx_hash" if field.startswith("other") else field
    return field, ref[field]


@pytest.mark.parametrize(("field", "value"), [
    ("chain_index", 2**256), ("chain_index", -1), ("chain_index", True), ("chain_index", "0"),
    ("tree_size", 2**64), ("block_number", 2**64), ("block_timestamp", 2**64),
    ("block_timestamp", 1.5), ("chain_id", 2**64), ("tx_hash", "0x12"),
    ("block_hash", "0x" + "zz" * 32), ("root", "ab" * 31), ("log_id", None),
    ("registry", "0x1234")])
def test_out_of_range_field_is_bad_input(world: World, tmp_path: Path, field: str, value: Any,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    ref = dict(world.refs[16], **{field: value})
    bundle = _bundle(world)
    bundle["checkpoints"][-1]["anchor"] = ref
    for kind, doc in (("receipt", _receipt(world, ref)), ("bundle", bundle)):
        code, report, err = verify(capsys, world.policy, tmp_path / "doc.json", kind, doc)
        assert (code, report) == (2, None), (kind, err)
        assert err.count("\n") == 1 and f".{field} " in err and "internal" not in err, err


def test_missing_field_is_bad_input(world: World, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    ref = {k: v for k, v in world.refs[16].items() if k != "block_timestamp"}
    code, report, err = verify(capsys, world.policy, tmp_path / "r.json", "receipt",
                               _receipt(world, ref))
    assert (code, report) == (2, None) and "lacks block_timestamp" in err


# -- on-chain checkpoints the log did not sign ---------------------------------------------------

def _planted_policy(world: World, plants: list[tuple[int, bytes]]) -> TrustPolicy:
    """A registry of its own holding ``plants`` for this log; the policy pinning it."""
    planted = plant_registry(world.chain, world.built.log.origin, world.planted.sender)
    for size, root in plants:
        planted.anchor(size, root)
    return replace(world.policy, registry=planted.registry)


def test_fsck_chain_checkpoint_beyond_the_log(world: World, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    log_size = world.built.log.size()
    policy = _planted_policy(world, [(log_size + 5, b"\x07" * 32)])
    code, report, err = verify(capsys, policy, world.built.db_path, "ledger")
    assert code == 1 and report is not None, err
    first = report["first_divergence"]
    assert (first["code"], first["index"]) == ("sequence", log_size + 5), report
    assert first["evidence"]["log_size"] == log_size and "07" * 32 in first["detail"]
    assert report["outcome"] == "failed"


def test_fsck_chain_checkpoint_of_an_unsigned_size(world: World, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The chain holds size 10 (the log signed 6, 16, 22 only) with another root: a fork
    against the recomputed tree; the same root as the tree is fine."""
    policy = _planted_policy(world, [(10, b"\x08" * 32)])
    code, report, _ = verify(capsys, policy, world.built.db_path, "ledger")
    assert code == 1 and report is not None
    first = report["first_divergence"]
    assert (first["code"], first["index"]) == ("fork", 10), report
    assert first["evidence"]["tree_root"] == world.built.log.tree_hash(10).hex()
    policy = _planted_policy(world, [(10, world.built.log.tree_hash(10))])
    code, report, _ = verify(capsys, policy, world.built.db_path, "ledger")
    assert code == 0 and report is not None and not report["problems"], report


def test_fsck_chain_root_differs_for_a_signed_size(world: World,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    policy = _planted_policy(world, [(16, b"\x09" * 32)])
    code, report, _ = verify(capsys, policy, world.built.db_path, "ledger")
    assert code == 1 and report is not None
    assert [(p["code"], p["index"]) for p in report["problems"]] == [("fork", 16)]


# -- the same against the Hardhat node ------------------------------------------------------------

@pytest.mark.hardhat
def test_hardhat_fields_and_beyond_the_log(hardhat_node: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    chain = open_chain(hardhat_node)
    try:
        w = _world(tmp_path / "home", chain, hardhat_node, Account.from_key(HARDHAT_DEV_KEY))
        code, report, err = verify(capsys, w.policy, tmp_path / "r.json", "receipt",
                                   _receipt(w))
        assert (code, report and report["outcome"]) == (0, "intact"), err
        ref = dict(w.refs[16], tx_hash=_flip(w.refs[16]["tx_hash"]),
                   block_timestamp=w.refs[16]["block_timestamp"] - 1)
        code, report, err = verify(capsys, w.policy, tmp_path / "r.json", "receipt",
                                   _receipt(w, ref))
        assert code == 1 and report is not None, err
        fields = {m["field"] for m in report["first_divergence"]["evidence"]["mismatches"]}
        assert fields == {"tx_hash", "block_timestamp"}
        code, _, err = verify(capsys, w.policy, tmp_path / "r.json", "receipt",
                              _receipt(w, dict(w.refs[16], chain_index=2**256)))
        assert code == 2 and "chain_index" in err
        policy = _planted_policy(w, [(w.built.log.size() + 1, b"\x07" * 32)])
        code, report, _ = verify(capsys, policy, w.built.db_path, "ledger")
        assert code == 1 and report is not None
        assert report["first_divergence"]["code"] == "sequence"
        w.built.log.db.dispose()
    finally:
        chain.close()
