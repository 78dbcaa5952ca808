"""A tiny hand-assembled contract for the chain_access tests (no compiler needed).

Runtime behaviour (calldata selector is ignored; the argument is the word at offset 4):
- calldata shorter than 36 bytes (e.g. ``get()``): return storage slot 0 as one word;
- otherwise, word w = calldata[4:36]:
  - w == 0: revert with ``Refused(uint256 current)``: selector ‖ slot 0 (a custom error);
  - w != 0: slot 0 := w, emit ``LOG1(topic=keccak("Stored(uint256)"), data=w)``, stop.

The init code copies the runtime after itself into memory and returns it.
Labels are resolved by the two-pass assembler below; every jump target is a PUSH1.
"""

from __future__ import annotations

from typing import Any

from eth_utils import function_signature_to_4byte_selector, keccak

REFUSED_SELECTOR = function_signature_to_4byte_selector("Refused(uint256)")
STORED_TOPIC = keccak(text="Stored(uint256)")

ABI: list[dict[str, Any]] = [
    {"type": "function", "name": "set", "stateMutability": "nonpayable",
     "inputs": [{"name": "v", "type": "uint256"}], "outputs": []},
    {"type": "function", "name": "get", "stateMutability": "view",
     "inputs": [], "outputs": [{"name": "", "type": "uint256"}]},
    {"type": "error", "name": "Refused", "inputs": [{"name": "current", "type": "uint256"}]},
    {"type": "event", "name": "Stored", "anonymous": False,
     "inputs": [{"name": "v", "type": "uint256", "indexed": False}]},
]

# (opcode bytes | ("label", name) | ("push", name)) -- mnemonic in the comment
RUNTIME: list[Any] = [
    bytes.fromhex("6024"),        # PUSH1 36
    bytes.fromhex("36"),          # CALLDATASIZE
    bytes.fromhex("10"),          # LT              -> calldatasize < 36
    ("push", "get"),              # PUSH1 get
    bytes.fromhex("57"),          # JUMPI
    bytes.fromhex("6004"),        # PUSH1 4
    bytes.fromhex("35"),          # CALLDATALOAD    [w]
    bytes.fromhex("80"),          # DUP1            [w w]
    bytes.fromhex("15"),          # ISZERO          [w w==0]
    ("push", "refuse"),           # PUSH1 refuse
    bytes.fromhex("57"),          # JUMPI           [w]
    bytes.fromhex("80"),          # DUP1            [w w]
    bytes.fromhex("6000"),        # PUSH1 0
    bytes.fromhex("55"),          # SSTORE          slot0 := w      [w]
    bytes.fromhex("6000"),        # PUSH1 0
    bytes.fromhex("52"),          # MSTORE          mem[0:32] := w  []
    b"\x7f" + STORED_TOPIC,       # PUSH32 topic
    bytes.fromhex("6020"),        # PUSH1 32
    bytes.fromhex("6000"),        # PUSH1 0
    bytes.fromhex("a1"),          # LOG1(offset 0, size 32, topic)
    bytes.fromhex("00"),          # STOP
    ("label", "get"),
    bytes.fromhex("5b"),          # JUMPDEST
    bytes.fromhex("6000"),        # PUSH1 0
    bytes.fromhex("54"),          # SLOAD
    bytes.fromhex("6000"),        # PUSH1 0
    bytes.fromhex("52"),          # MSTORE          mem[0:32] := slot0
    bytes.fromhex("6020"),        # PUSH1 32
    bytes.fromhex("6000"),        # PUSH1 0
    bytes.fromhex("f3"),          # RETURN(0, 32)
    ("label", "refuse"),
    bytes.fromhex("5b"),          # JUMPDEST        [w]
    b"\x63" + REFUSED_SELECTOR,   # PUSH4 selector
    bytes.fromhex("60e0"),        # PUSH1 224
    bytes.fromhex("1b"),          # SHL             selector << 224
    bytes.fromhex("6000"),        # PUSH1 0
    bytes.fromhex("52"),          # MSTORE          mem[0:4] := selector
    bytes.fromhex("6000"),        # PUSH1 0
    bytes.fromhex("54"),          # SLOAD
    bytes.fromhex("6004"),        # PUSH1 4
    bytes.fromhex("52"),          # MSTORE          mem[4:36] := slot0
    bytes.fromhex("6024"),        # PUSH1 36
    bytes.fromhex("6000"),        # PUSH1 0
    bytes.fromhex("fd"),          # REVERT(0, 36)
]


def assemble(items: list[Any]) -> bytes:
    """Two passes: label offsets, then bytes (a label push is PUSH1 <offset>)."""
    labels: dict[str, int] = {}
    pos = 0
    for it in items:
        if isinstance(it, tuple) and it[0] == "label":
            labels[it[1]] = pos
        else:
            pos += 2 if isinstance(it, tuple) else len(it)
    out = b""
    for it in items:
        if isinstance(it, tuple):
            out += b"" if it[0] == "label" else bytes([0x60, labels[it[1]]])
        else:
            out += it
    return out


def init_code(runtime: bytes) -> bytes:
    """PUSH1 len DUP1 PUSH1 11 PUSH1 0 CODECOPY PUSH1 0 RETURN, then the runtime."""
    assert len(runtime) < 256
    prefix = bytes([0x60, len(runtime), 0x80, 0x60, 0x0B, 0x60, 0x00, 0x39, 0x60, 0x00, 0xF3])
    assert len(prefix) == 0x0B
    return prefix + runtime


RUNTIME_CODE = assemble(RUNTIME)
BYTECODE = init_code(RUNTIME_CODE)
