"""A frozen log and its successor, as the verifier sees them, on the embedded py-evm chain
(and the main case on the Hardhat node).

One real ledger (checkpoints of size 6, 16 and 22) and, per case, a registry the test
deployed and administers: the log's early checkpoints are anchored under its own log id, the
admin freezes it, registers a successor with a new checkpoint signer and the later
checkpoints are anchored under the successor (signed with the successor's checkpoint key).
Receipts, bundles and fsck are then verified against a policy that pins the ORIGINAL log id.
A lying registry (a successor that does not link back, starts elsewhere, or loops) cannot be
made with the real contract: those cases wrap the real reader (unit logic)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from chain_access import ChainBackend, open_chain
from chain_access.embedded import dev_accounts
from ledger.anchoring import registry
from ledger.anchoring.binding import anchorer_account, read_binding
from ledger.anchoring.signer import CheckpointKey
from ledger.core.note import open_checkpoint
from ledger.core.receipt import AnchoredProof, Receipt
from ledger.export import export_project
from ledger.home import init_home, open_log
from tests.ledger.anchoring.conftest import append_events, run_witness
from tests.verifier.conftest import PROJECTS, Built, build_ledger
from tests.verifier.planted import Planted, plant_registry
from verifier import check_receipt
from verifier.cli import main
from verifier.policy import TrustPolicy
from verifier.readers.chain import ChainRegistryReader, open_registry

NO_GOOD = 2**256 - 1
SUCCESSOR_KEY = CheckpointKey(hashlib.sha256(b"verifier test successor key").digest())
SUCCESSOR_ID = hashlib.sha256(b"verify.succession.test/successor").digest()
EARLY, LATE = 9, 18  # events first covered by the checkpoints of size 16 and 22
# Hardhat's first well-known development account (public test key, never for real funds).
HARDHAT_DEV_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"


@dataclass
class World:
    """One registry: the log frozen after ``good``, a successor or not."""

    built: Built
    planted: Planted
    policy: TrustPolicy  # pins the ORIGINAL log id (the default: SHA-256 of the origin)
    refs: dict[int, dict[str, Any]]

    @property
    def pinned(self) -> str:
        return "0x" + self.planted.log_id.hex()

    def root(self, size: int) -> bytes:
        return _root(self.built, self.policy, size)


def _root(built: Built, policy: TrustPolicy, size: int) -> bytes:
    note = built.log.checkpoint_at(size).note
    return open_checkpoint(note, [policy.verifier], policy.origin).root


def _freeze_world(built: Built, chain: ChainBackend, spec: str, sender: Any, *,
                  original: tuple[int, ...], good: int | None,
                  successor: tuple[int, ...] | None) -> World:
    """Anchor ``original`` under the log id, freeze it after index ``good`` (None: no good
    checkpoint), then (if given) register the successor and anchor ``successor`` under it."""
    planted = plant_registry(chain, built.log.origin, sender)
    policy = replace(built.policy, chain_id=chain.chain_id(), registry=planted.registry,
                     chain=spec)
    w = World(built, planted, policy, {})
    last = None
    for size in original:
        proof = [] if last is None else built.log.consistency_proof(last, size)
        w.refs[size] = planted.anchor(size, w.root(size), proof)
        last = size
    abi = registry.abi()
    chain.transact(planted.registry, abi, "freezeLog",
                   [planted.log_id, NO_GOOD if good is None else good], sender)
    if successor is None:
        return w
    chain.transact(planted.registry, abi, "registerSuccessor",
                   [planted.log_id, SUCCESSOR_ID, SUCCESSOR_KEY.address, [sender.address]],
                   sender)
    last = None if good is None else original[good]
    via = Planted(chain, planted.registry, SUCCESSOR_ID, sender)
    for k, size in enumerate(successor):
        proof = [] if last is None else built.log.consistency_proof(last, size)
        sig = SUCCESSOR_KEY.sign_checkpoint(chain.chain_id(), planted.registry, SUCCESSOR_ID,
                                            size, w.root(size))
        tx = chain.transact(planted.registry, abi, "anchor",
                            [SUCCESSOR_ID, size, w.root(size), proof, *sig.args()], sender)
        w.refs[size] = via.reference(k, tx, size, w.root(size))
        last = size
    return w


@dataclass
class Base:
    built: Built
    chain: ChainBackend
    spec: str


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Base]:
    tmp = tmp_path_factory.mktemp("succession")
    spec = f"embedded:{tmp / 'chain'}"
    chain = open_chain(spec)
    built = build_ledger(tmp / "home")
    yield Base(built, chain, spec)
    built.log.db.dispose()
    chain.close()


def _world(base: Base, **how: Any) -> World:
    return _freeze_world(base.built, base.chain, base.spec, dev_accounts()[0], **how)


@pytest.fixture(scope="module")
def linked(base: Base) -> World:
    """6 and 16 under the log id, frozen after #1 (16), 22 under the successor."""
    return _world(base, original=(6, 16), good=1, successor=(22,))


def _receipt(w: World, index: int, size: int, ref: dict[str, Any] | None) -> dict[str, Any]:
    log = w.built.log
    anchored = AnchoredProof(log.checkpoint_at(size).note,
                             tuple(log.inclusion_proof(index, size)), ref)
    return replace(log.receipt(index), anchored=anchored).to_json()


def _bundle(w: World) -> dict[str, Any]:
    bundle = export_project(w.built.log, PROJECTS[0])
    for cp in bundle["checkpoints"]:
        size = int(cp["note"].split("\n")[1])
        cp["anchor"] = dict(w.refs[size]) if size in w.refs else None
    return bundle


def _flags(policy: TrustPolicy) -> list[str]:
    return ["--key", policy.verifier.vkey(), "--chain", str(policy.chain),
            "--chain-id", str(policy.chain_id), "--registry", str(policy.registry)]


def verify(capsys: pytest.CaptureFixture[str], policy: TrustPolicy, args: list[str],
           doc: dict[str, Any] | None = None, *, as_json: bool = True
           ) -> tuple[int, Any, str]:
    """Run ``witness-verify [--json] ARGS``; (exit code, report or text, stderr)."""
    if doc is not None:
        Path(args[-1]).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main([*_flags(policy), *(["--json"] if as_json else []), *args])
    out = capsys.readouterr()
    report = json.loads(out.out) if as_json and out.out else out.out
    return int(exc.value.code or 0), report, out.err


def _fsck(w: World) -> list[str]:
    return ["ledger", "--db", str(w.built.db_path), "--no-progress"]


def test_successor_anchor_verifies_against_the_original_policy(
        linked: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = tmp_path / "doc.json"
    code, report, err = verify(capsys, linked.policy, ["receipt", str(doc)],
                               _receipt(linked, LATE, 22, linked.refs[22]))
    assert (code, report["outcome"]) == (0, "intact"), (err, report)
    succession = report["subject"]["succession"]
    assert succession["log_ids"] == [linked.pinned, "0x" + SUCCESSOR_ID.hex()]
    assert succession["frozen"] == [{"log_id": linked.pinned, "last_good_index": 1,
                                     "last_good_size": 16}]
    assert succession["followed"] == [{"size": 22, "log_id": "0x" + SUCCESSOR_ID.hex(),
                                       "chain_index": 0}]
    assert report["counts"]["anchors_via_successor"] == 1

    # before the freeze point the original anchor still counts, no link needed
    code, report, err = verify(capsys, linked.policy, ["receipt", str(doc)],
                               _receipt(linked, EARLY, 16, linked.refs[16]))
    assert (code, report["outcome"]) == (0, "intact"), err
    assert report["subject"]["succession"]["followed"] == []

    code, text, err = verify(capsys, linked.policy, ["bundle", str(doc)], _bundle(linked),
                             as_json=False)
    assert code == 0 and "INTACT" in text, (err, text)
    assert (f"log {linked.pinned} frozen by the registry's admin after its checkpoint #1 "
            f"(size 16); successor 0x{SUCCESSOR_ID.hex()}") in text
    assert (f"followed the link: checkpoints are anchored under the successor log "
            f"0x{SUCCESSOR_ID.hex()} of the frozen pinned log {linked.pinned}") in text


def test_fsck_and_unreferenced_checkpoints_follow_the_link(
        linked: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, err = verify(capsys, linked.policy, _fsck(linked))
    assert (code, report["outcome"]) == (0, "intact"), (err, report["problems"])
    assert report["counts"]["anchors"] == 3
    assert report["counts"]["anchors_via_successor"] == 1
    note = tmp_path / "cp22.txt"
    note.write_text(linked.built.log.checkpoint_at(22).note, encoding="utf-8")
    code, report, err = verify(capsys, linked.policy, ["checkpoints", str(note)])
    assert (code, report["outcome"]) == (0, "intact"), err
    # the receipt without an anchor reference: found by size under the successor
    code, report, err = verify(capsys, linked.policy, ["receipt", str(tmp_path / "r.json")],
                               _receipt(linked, LATE, 22, None))
    assert (code, report["outcome"]) == (0, "intact"), err


def test_frozen_without_successor_is_pending(
        base: Base, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = _world(base, original=(6, 16), good=1, successor=None)
    frozen = (f"checkpoint 22 is not anchored: the log {w.pinned} is frozen after its "
              f"checkpoint #1 (size 16) and no successor is registered")
    code, report, err = verify(capsys, w.policy, ["receipt", str(tmp_path / "r.json")],
                               _receipt(w, LATE, 22, None))
    assert (code, report["outcome"]) == (0, "pending"), err
    assert any(p.startswith(frozen) for p in report["pending"]), report["pending"]
    code, report, err = verify(capsys, w.policy, _fsck(w))
    assert (code, report["outcome"]) == (0, "pending"), (err, report["problems"])
    assert any(p.startswith(frozen) for p in report["pending"]), report["pending"]
    # what was anchored before the freeze point still counts
    code, report, err = verify(capsys, w.policy, ["receipt", str(tmp_path / "r.json")],
                               _receipt(w, EARLY, 16, w.refs[16]))
    assert (code, report["outcome"]) == (0, "intact"), err


def test_anchor_after_the_freeze_point_is_an_integrity_problem(
        base: Base, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w = _world(base, original=(6, 16, 22), good=0, successor=None)
    code, report, err = verify(capsys, w.policy, ["receipt", str(tmp_path / "r.json")],
                               _receipt(w, EARLY, 16, w.refs[16]))
    assert (code, report["outcome"]) == (1, "failed"), err
    first = report["first_divergence"]
    assert first["code"] == "frozen" and first["index"] == 16
    assert f"#1 of the log {w.pinned}, which the registry's admin froze after its " \
           f"checkpoint #0 (size 6)" in first["detail"]
    code, report, err = verify(capsys, w.policy, _fsck(w))
    assert code == 1, err
    assert [(p["code"], p["index"]) for p in report["problems"]] == [("frozen", 16),
                                                                     ("frozen", 22)]
    # frozen with no checkpoint trusted at all
    w = _world(base, original=(6,), good=None, successor=None)
    code, report, err = verify(capsys, w.policy, ["receipt", str(tmp_path / "r.json")],
                               _receipt(w, 2, 6, w.refs[6]))
    assert code == 1 and report["first_divergence"]["code"] == "frozen", err
    assert "froze with no checkpoint trusted" in report["first_divergence"]["detail"]


class LyingLinks:
    """The real reader, with the registry's link answers replaced (unit logic only)."""

    def __init__(self, real: ChainRegistryReader, **answers: Any) -> None:
        self.real, self.answers = real, answers

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def predecessor_of(self, log_id: bytes) -> Any:
        return self.answers.get("predecessor_of", self.real.predecessor_of)(log_id)

    def successor_of(self, log_id: bytes) -> Any:
        return self.answers.get("successor_of", self.real.successor_of)(log_id)

    def frozen_state(self, log_id: bytes) -> Any:
        return self.answers.get("frozen_state", self.real.frozen_state)(log_id)


@pytest.mark.parametrize("case", ["no link back", "starts elsewhere", "loop"])
def test_a_successor_that_does_not_link_properly_fails(linked: World, case: str) -> None:
    policy = linked.policy
    assert policy.chain_id is not None and policy.registry is not None
    real = open_registry(str(policy.chain), policy.chain_id, policy.registry)
    pinned = linked.planted.log_id
    lies: dict[str, Any] = {
        "no link back": {"predecessor_of": lambda _: (b"\x05" * 32, 16, linked.root(16))},
        "starts elsewhere": {"predecessor_of": lambda _: (pinned, 6, linked.root(6))},
        "loop": {"frozen_state": lambda lid: (True, 0) if lid == SUCCESSOR_ID
                 else real.frozen_state(lid),
                 "successor_of": lambda lid: pinned if lid == SUCCESSOR_ID else SUCCESSOR_ID},
    }[case]
    try:
        receipt = Receipt.from_json(_receipt(linked, LATE, 22, linked.refs[22]))
        report = check_receipt(receipt, policy, LyingLinks(real, **lies))  # type: ignore[arg-type]
    finally:
        real.close()
    assert report.outcome == "failed"
    first = report.problems[0]
    assert first.code == "succession", report.to_json()
    want = {"no link back": "does not link back: its predecessor is 0x0505",
            "starts elsewhere": "starts at size 6 root", "loop": "already on the path"}[case]
    assert want in first.detail
    if case != "loop":  # the successor's anchor is then a log id the policy does not trust
        assert [p.code for p in report.problems] == ["succession", "anchor"]


def test_witness_anchor_on_a_frozen_log_is_one_line_exit_1(tmp_path: Path) -> None:
    from ledger.anchoring import bind_chain
    from ledger.settings import Settings

    settings = Settings(home=tmp_path / "home", origin="frozen.test/log", chain="embedded")
    init_home(settings)
    log = open_log(settings)
    bind_chain(settings, log)
    binding = read_binding(log)
    log.db.dispose()
    assert binding is not None
    append_events(settings, 0, 4)
    run_witness(settings, "anchor")
    chain = open_chain(settings.chain, settings.home)
    try:  # the binding's deployer is the registry's admin on the embedded chain
        chain.transact(binding.registry, registry.abi(), "freezeLog",
                       [bytes.fromhex(binding.log_id[2:]), 0],
                       anchorer_account(settings, create=False))
    finally:
        chain.close()
    append_events(settings, 4, 3)
    proc = run_witness(settings, "anchor", check=False)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"witness: integrity failure: the registry's admin froze log "
                                  f"{binding.log_id} after its checkpoint #0"), proc.stderr
    follow = run_witness(settings, "anchor", "--follow", check=False)  # stops, not retries
    assert follow.returncode == 1 and "Traceback" not in follow.stderr, follow.stderr
    assert follow.stderr.strip().splitlines()[-1].startswith(
        f"witness: integrity failure: the registry's admin froze log {binding.log_id}")


@pytest.mark.hardhat
def test_hardhat_successor_followed(hardhat_node: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    chain = open_chain(hardhat_node)
    built = build_ledger(tmp_path / "home")
    try:
        w = _freeze_world(built, chain, hardhat_node, Account.from_key(HARDHAT_DEV_KEY),
                          original=(6, 16), good=1, successor=(22,))
        code, report, err = verify(capsys, w.policy, ["receipt", str(tmp_path / "r.json")],
                                   _receipt(w, LATE, 22, w.refs[22]))
        assert (code, report["outcome"]) == (0, "intact"), (err, report)
        assert report["subject"]["succession"]["followed"][0]["size"] == 22
        code, report, err = verify(capsys, w.policy, _fsck(w))
        assert (code, report["outcome"]) == (0, "intact"), (err, report["problems"])
    finally:
        built.log.db.dispose()
        chain.close()
