"""``witness-verify`` on JSON files with repeated names or hostile nesting: exit 2, one line
naming the key — receipts, bundles, lead packages and trust policies alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger.core.errors import MalformedError
from ledger.export import dumps_bundle, export_project
from tests.verifier.conftest import PROJECTS, Built
from verifier import check_bundle
from verifier.cli import main
from verifier.policy import load_policy_file

MARK = '"__repeat__": 0'


def with_repeat(doc: dict[str, Any], at: list[str | int], name: str, value: Any) -> str:
    """``doc`` as JSON text where the object at path ``at`` has ``name`` twice (``value``
    first, then the original)."""
    target: Any = doc
    for step in at:
        target = target[step]
    assert name in target
    target["__repeat__"] = 0
    text = json.dumps(doc, ensure_ascii=False)
    assert text.count(MARK) == 1
    return text.replace(MARK, f"{json.dumps(name)}: {json.dumps(value)}")


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out = capsys.readouterr()
    return int(exc.value.code or 0), out.out, out.err


def assert_refused(capsys: pytest.CaptureFixture[str], built: Built, *argv: str,
                   expect: str) -> None:
    code, out, err = cli(capsys, "--key", built.policy.verifier.vkey(), "--offline", *argv)
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and err.startswith("witness-verify: "), err
    assert expect in err, err


def _bundle(built: Built) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(dumps_bundle(export_project(built.log, PROJECTS[0])))
    return doc


@pytest.mark.parametrize("at, name, expect", [
    ([], "index", "receipt has a duplicate key 'index' at index"),
    ([], "leaf_hash", "receipt has a duplicate key 'leaf_hash' at leaf_hash"),
])
def test_receipt_with_a_repeated_name(built: Built, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str], at: list[str | int],
                                      name: str, expect: str) -> None:
    receipt = json.loads(built.log.receipt(3, upgrade=False).dumps())
    path = tmp_path / "receipt.json"
    path.write_text(with_repeat(receipt, at, name, receipt[name]), encoding="utf-8")
    assert_refused(capsys, built, "receipt", str(path), expect=expect)


@pytest.mark.parametrize("at, name", [([], "origin"), (["events", 2], "index"),
                                      (["checkpoints", 0], "note")])
def test_bundle_with_a_repeated_name(built: Built, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str], at: list[str | int],
                                     name: str) -> None:
    doc = _bundle(built)
    path = tmp_path / "bundle.json"
    target: Any = doc
    for step in at:
        target = target[step]
    path.write_text(with_repeat(doc, at, name, target[name]), encoding="utf-8")
    loc = ".".join([*map(str, at), name])
    assert_refused(capsys, built, "bundle", str(path),
                   expect=f"bundle has a duplicate key '{name}' at {loc}")
    with pytest.raises(MalformedError, match="duplicate key"):
        check_bundle(path.read_bytes(), built.policy)


def test_lead_package_with_a_repeated_name(built: Built, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    # Refused while parsing, before any lead check: the shape of a package is enough here.
    doc = _bundle(built)
    doc.update(kind="lead", signature="(signed note)",
               lead={"lead_id": "L-1", "rule_ids": ["S07-01"], "severity": "high"})
    path = tmp_path / "lead.json"
    path.write_text(with_repeat(doc, ["lead"], "severity", "low"), encoding="utf-8")
    assert_refused(capsys, built, "bundle", str(path),
                   expect="bundle has a duplicate key 'severity' at lead.severity")


def test_trust_policy_with_a_repeated_name(built: Built, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    policy = built.policy.to_json()
    path = tmp_path / "trust.json"
    path.write_text(with_repeat(policy, ["chain"], "registry", "0x" + "11" * 20),
                    encoding="utf-8")
    with pytest.raises(MalformedError, match=r"duplicate key 'registry' at chain\.registry"):
        load_policy_file(path)
    receipt = tmp_path / "receipt.json"
    receipt.write_text(built.log.receipt(3, upgrade=False).dumps(), encoding="utf-8")
    code, _out, err = cli(capsys, "--policy", str(path), "--offline", "receipt", str(receipt))
    assert code == 2 and err.count("\n") == 1
    assert f"trust policy {path} has a duplicate key 'registry' at chain.registry" in err


@pytest.mark.parametrize("kind, data, expect", [
    ("receipt", b"[" * 200_000, "nested deeper than 64 levels at 0.0.0"),
    ("bundle", b'{"a":' * 200_000, "bundle nested deeper than 64 levels at a.a.a"),
    ("receipt", '{"format": 1}'.encode("utf-16"), "receipt is not UTF-8 text"),
])
def test_hostile_files_exit_2_in_one_line(built: Built, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str], kind: str,
                                          data: bytes, expect: str) -> None:
    path = tmp_path / f"{kind}.json"
    path.write_bytes(data)
    assert_refused(capsys, built, kind, str(path), expect=expect)


def test_trust_policy_depth_is_the_core_limit(tmp_path: Path) -> None:
    path = tmp_path / "trust.json"
    path.write_text('{"format": "witness-trust/v1", "x": ' + "[" * 65 + "]" * 65 + "}")
    with pytest.raises(MalformedError, match="nested deeper than 64 levels"):
        load_policy_file(path)


def test_own_event_file_with_a_repeated_name(built: Built, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    receipt = tmp_path / "receipt.json"
    receipt.write_text(built.log.receipt(3, upgrade=False).dumps(), encoding="utf-8")
    mine = json.loads(built.log.event_bytes(3))
    event = tmp_path / "event.json"
    event.write_text(with_repeat(mine, [], "project_id", "OTHER"), encoding="utf-8")
    assert_refused(capsys, built, "receipt", str(receipt), "--event", str(event),
                   expect="event file has a duplicate key 'project_id'")


def test_a_policy_without_a_log_key_says_so(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "policy.json"
    path.write_text('{"format": "witness-trust/v1", "origin": "ggzy.ln.example/witness"}',
                    encoding="utf-8")
    code, _, err = cli(capsys, "--policy", str(path), "receipt", str(path))
    assert code == 2 and "the trust policy has no log_key" in err and err.count("\n") == 1


def test_a_chain_down_at_start_still_gives_a_json_report(built: Built, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    receipt = tmp_path / "receipt.json"
    receipt.write_text(built.log.receipt(3, upgrade=False).dumps(), encoding="utf-8")
    code, out, err = cli(capsys, "--json", "--key", built.policy.verifier.vkey(), "--chain",
                         "http://127.0.0.1:9", "--chain-id", "1", "--registry", "0x" + "11" * 20,
                         "receipt", str(receipt))
    report = json.loads(out)
    assert code == 3 and err.count("\n") == 1
    assert report["kind"] == "receipt" and report["outcome"] == "unreachable"
    assert report["unchecked"][0]["what"] == "everything"


def test_a_lone_surrogate_in_event_bytes_is_bad_input_not_a_crash(built: Built) -> None:
    doc = _bundle(built)
    doc["events"][0]["canonical"] = doc["events"][0]["canonical"][:-1] + "\ud800}"
    data = json.dumps(doc).encode()  # ensure_ascii: the surrogate travels as \ud800
    with pytest.raises(MalformedError, match="canonical is not valid Unicode text"):
        check_bundle(data, built.policy)


def test_a_project_head_with_a_non_numeric_size_is_bad_input(built: Built) -> None:
    doc = _bundle(built)
    lines = doc["head"].split("\n\n", 1)[0].split("\n")
    lines[6] = "many"
    doc["head"] = built.log.signer.sign("\n".join(lines) + "\n")
    with pytest.raises(MalformedError, match="bundle head note has a bad field"):
        check_bundle(json.dumps(doc).encode(), built.policy)
