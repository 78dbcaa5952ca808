"""ABI encoding of calls and constructor data, decoding of outputs and revert data.

Role: the small codec shared by both backends, so that calls and reverts are decoded the same
way whatever the node. Revert data is decoded against the contract's ABI custom errors, and
the standard ``Error(string)`` and ``Panic(uint256)``.

Must not import: ``ledger.*``, ``verifier.*``, FastAPI, py-evm, eth-tester.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from eth_abi.abi import decode, encode
from eth_utils.abi import (
    abi_to_signature,
    function_signature_to_4byte_selector,
    get_abi_input_types,
    get_abi_output_types,
)
from eth_utils.conversions import to_bytes

from chain_access.errors import ChainError, ChainRevert

Abi = Sequence[dict[str, Any]]

ERROR_STRING_SELECTOR = function_signature_to_4byte_selector("Error(string)")
PANIC_SELECTOR = function_signature_to_4byte_selector("Panic(uint256)")


def as_bytes(value: bytes | str) -> bytes:
    """Bytes from bytes or a (0x-prefixed or bare) hex string."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return to_bytes(hexstr=value)


def function_abi(abi: Abi, fn_name: str, nargs: int) -> dict[str, Any]:
    """The function entry named ``fn_name`` taking ``nargs`` arguments."""
    for entry in abi:
        if (entry.get("type") == "function" and entry.get("name") == fn_name
                and len(entry.get("inputs", [])) == nargs):
            return entry
    raise ChainError(f"ABI has no function {fn_name} with {nargs} argument(s)")


def selector(entry: dict[str, Any]) -> bytes:
    return function_signature_to_4byte_selector(abi_to_signature(cast(Any, entry)))


def encode_call(abi: Abi, fn_name: str, args: Sequence[Any]) -> bytes:
    entry = function_abi(abi, fn_name, len(args))
    types = get_abi_input_types(cast(Any, entry))
    return selector(entry) + encode(types, list(args))


def encode_deploy(abi: Abi, bytecode: bytes | str, args: Sequence[Any]) -> bytes:
    code = as_bytes(bytecode)
    ctor = next((e for e in abi if e.get("type") == "constructor"), None)
    if ctor is None:
        if args:
            raise ChainError("constructor arguments given but the ABI has no constructor")
        return code
    return code + encode(get_abi_input_types(cast(Any, ctor)), list(args))


def decode_output(abi: Abi, fn_name: str, nargs: int, data: bytes) -> Any:
    """Decode a return value: None for no outputs, bare for one, a tuple for several."""
    entry = function_abi(abi, fn_name, nargs)
    types = get_abi_output_types(cast(Any, entry))
    if not types:
        return None
    values = decode(types, data)
    return values[0] if len(values) == 1 else tuple(values)


def decode_revert(data: bytes, abi: Abi | None = None, *,
                  tx_hash: bytes | None = None) -> ChainRevert:
    """Build a ``ChainRevert`` from raw revert data, naming the error when known."""
    sel = data[:4]
    name: str | None = None
    args: tuple[Any, ...] | None = None
    candidates: list[tuple[bytes, str, list[str]]] = [
        (ERROR_STRING_SELECTOR, "Error", ["string"]),
        (PANIC_SELECTOR, "Panic", ["uint256"]),
    ]
    for entry in abi or ():
        if entry.get("type") == "error":
            candidates.append((selector(entry), str(entry["name"]),
                               get_abi_input_types(cast(Any, entry))))
    for cand_sel, cand_name, types in candidates:
        if len(data) >= 4 and sel == cand_sel:
            name = cand_name
            try:
                args = tuple(decode(types, data[4:]))
            except Exception:  # malformed arguments: keep the name, raw data stays available
                args = None
            break
    return ChainRevert(data, name=name, args=args, tx_hash=tx_hash)
