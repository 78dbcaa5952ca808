"""Running the Python verifier on a vector case: mutations applied, the chain replayed.

A case of tests/vectors/receipts.json or bundles.json names a base document (policy, the
receipt or bundle, the recorded chain answers ``rpc``, the bid file) and a list of mutations
(``{"path": [...], "value": ...}`` sets — a list index one past the end appends —,
``{"path": [...], "delete": true}`` removes). The
chain is a :class:`ReplayReader`: the verifier's registry reads answered from the recorded
JSON-RPC exchanges, exactly those the browser verifier replays, so both read one chain.
Outcomes map to the browser's verdicts: intact, pending, and inconsistent for ``failed`` or
input the verifier refuses (``malformed``). A policy whose log key rotations do not hand over
from its pinned key is refused before anything is checked (``failed``, ``key_rotation``).
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.abi import function_signature_to_4byte_selector

from chain_access import LogEntry
from chain_access.registry_events import anchored_in
from ledger.core.errors import MalformedError
from ledger.core.key_rotation import KeyRotationError
from ledger.core.receipt import Receipt
from verifier.bundle_check import check_bundle
from verifier.policy import TrustPolicy, build, parse_policy
from verifier.readers import SourceUnavailable
from verifier.readers.chain import (
    ChainBlock,
    ChainTx,
    OnChainCheckpoint,
)
from verifier.receipt_check import check_receipt

VERDICTS = {"intact": "intact", "pending": "pending", "failed": "inconsistent",
            "unreachable": "pending", "malformed": "inconsistent"}


def request_key(method: str, params: Any) -> str:
    """How a request is looked up: method and params, every string in lower case."""
    return json.dumps([method, params], sort_keys=True).lower()


def apply_mutations(doc: dict[str, Any], mutations: list[dict[str, Any]]) -> dict[str, Any]:
    """A deep copy of ``doc`` with each mutation applied in order."""
    out = copy.deepcopy(doc)
    for m in mutations:
        *parents, last = m["path"]
        target: Any = out
        for step in parents:
            target = target[step]
        if m.get("delete"):
            del target[last]
        elif isinstance(target, list) and last == len(target):
            target.append(copy.deepcopy(m["value"]))  # a list index one past the end appends
        else:
            target[last] = copy.deepcopy(m["value"])
    return out


class ReplayReader:
    """A ``RegistryReader`` over recorded JSON-RPC answers (``rpc``: name → exchange)."""

    def __init__(self, rpc: dict[str, dict[str, Any]], registry: str) -> None:
        self.answers = {request_key(e["method"], e["params"]): e for e in rpc.values()}
        self.registry = registry

    def _ask(self, method: str, params: list[Any]) -> Any:
        found = self.answers.get(request_key(method, params))
        if found is None:
            raise SourceUnavailable(f"no recorded answer to {method}")
        return found  # {"result": …} or {"error": …}

    def _call(self, signature: str, types: list[str], args: list[Any]) -> bytes | None:
        data = function_signature_to_4byte_selector(signature) + encode(types, args)
        answer = self._ask("eth_call", [{"to": self.registry, "data": "0x" + data.hex()},
                                        "latest"])
        return None if "error" in answer else bytes.fromhex(answer["result"][2:])

    def check_identity(self, chain_id: int, genesis_hash: str | None) -> None:
        """What ``open_registry`` refuses: another chain id or genesis than the policy pins."""
        if self.chain_id() != chain_id:
            raise MalformedError("the chain has another chain id than the policy pins")
        genesis = self.block(0)
        if genesis_hash is not None and (genesis is None or
                                         "0x" + genesis.hash.hex() != genesis_hash.lower()):
            raise MalformedError("the chain has another genesis than the policy pins")

    def chain_id(self) -> int:
        return int(self._ask("eth_chainId", [])["result"], 16)

    def checkpoint_count(self, log_id: bytes) -> int:
        out = self._call("checkpointCount(bytes32)", ["bytes32"], [log_id])
        return 0 if out is None else int(decode(["uint256"], out)[0])

    def checkpoint_at(self, log_id: bytes, index: int) -> OnChainCheckpoint | None:
        out = self._call("checkpointAt(bytes32,uint256)", ["bytes32", "uint256"], [log_id, index])
        if out is None:
            return None
        size, root, timestamp, block = decode(["uint64", "bytes32", "uint64", "uint64"], out)
        return OnChainCheckpoint(index, size, root, timestamp, block)

    def block(self, number: int) -> ChainBlock | None:
        b = self._ask("eth_getBlockByNumber", [hex(number), False])["result"]
        if b is None:
            return None
        return ChainBlock(int(b["number"], 16), bytes.fromhex(b["hash"][2:]),
                          int(b["timestamp"], 16))

    def transaction(self, tx_hash: bytes) -> ChainTx | None:
        r = self._ask("eth_getTransactionReceipt", ["0x" + tx_hash.hex()])["result"]
        return None if r is None else _chain_tx(r, self.registry)

    def anchoring_tx(self, log_id: bytes, index: int, block_number: int) -> bytes | None:
        for e in self.answers.values():
            r = e.get("result")
            if e["method"] != "eth_getTransactionReceipt" or not r:
                continue
            tx = _chain_tx(r, self.registry)
            if tx.block_number == block_number and any(
                    a.log_id == log_id and a.index == index for a in tx.anchored):
                return tx.tx_hash
        return None

    def frozen_state(self, log_id: bytes) -> tuple[bool, int] | None:
        out = self._call("frozenState(bytes32)", ["bytes32"], [log_id])
        if out is None:
            return None
        frozen, last_good = decode(["bool", "uint256"], out)
        return bool(frozen), int(last_good)

    def predecessor_of(self, log_id: bytes) -> tuple[bytes, int, bytes] | None:
        return None

    def successor_of(self, log_id: bytes) -> bytes | None:
        return None


def _chain_tx(r: dict[str, Any], registry: str) -> ChainTx:
    block, tx = int(r["blockNumber"], 16), bytes.fromhex(r["transactionHash"][2:])
    logs = [LogEntry(entry["address"], tuple(bytes.fromhex(t[2:]) for t in entry["topics"]),
                     bytes.fromhex(entry["data"][2:]), block, b"", tx, k)
            for k, entry in enumerate(r["logs"])]
    return ChainTx(tx, r.get("to"), int(r["status"], 16), block,
                   bytes.fromhex(r["blockHash"][2:]), anchored_in(logs, registry))


def _policy(doc: dict[str, Any]) -> TrustPolicy:
    return build(key=None, base=parse_policy(doc["policy"]))


def _chain(doc: dict[str, Any], policy: TrustPolicy) -> ReplayReader:
    reader = ReplayReader(doc["rpc"], str(policy.registry))
    reader.check_identity(int(policy.chain_id or 0), policy.genesis_hash)
    return reader


def python_outcome(doc: dict[str, Any], kind: str) -> tuple[str, str | None]:
    """(outcome, first problem code) of the Python verifier on a mutated case document."""
    try:
        policy = _policy(doc)
    except KeyRotationError as exc:  # witness-verify refuses such a policy whole (exit 1)
        return "failed", exc.code
    except MalformedError:  # a statement of the policy's that is not one (exit 2)
        return "malformed", None
    try:
        chain = _chain(doc, policy)
        if kind == "bundle":
            text = json.dumps(doc["bundle"], ensure_ascii=False).encode()
            report = check_bundle(text, policy, chain)
        else:
            bid = doc.get("bid_file")
            receipt = Receipt.loads(json.dumps(doc["receipt"], ensure_ascii=False))
            report = check_receipt(receipt, policy, chain,
                                   bid_file=None if bid is None else base64.b64decode(bid))
    except MalformedError:
        return "malformed", None
    first = report.first_divergence
    return report.outcome, None if first is None else first.code
