"""What the public chain proxy lets through, and how it asks the chain.

The portal's browser verifier reads the chain with a handful of JSON-RPC calls
(docs/js-verifier.md). When the trust policy names no public endpoint a browser can reach,
it asks this server instead (``POST /v1/chain/rpc``), which answers from the chain the log
is bound to (the embedded py-evm chain, or the configured JSON-RPC URL), read-only and
only for: ``eth_chainId``, ``eth_blockNumber``, ``eth_getBlockByNumber`` (without full
transactions), ``eth_getTransactionByHash``, ``eth_getTransactionReceipt`` and ``eth_call``
to the log's registry. Everything else is refused before the chain is asked, with the
field path of what was refused.

Answers are rebuilt from web3's decoded values in the JSON-RPC encoding (quantities as
``0x`` hex, byte strings as ``0x`` hex), so the embedded chain, whose eth-tester answers are
not JSON-RPC, and a real node read the same to the browser.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address
from web3.exceptions import BlockNotFound, TransactionNotFound

from chain_access import ChainRevert, ChainUnavailable
from chain_access.web3_backend import Web3Backend, chain_errors

MAX_BATCH = 16
MAX_BODY = 16 * 1024
_TAGS = ("latest", "earliest", "safe", "finalized")
_QUANTITY = re.compile(r"^0x(0|[1-9a-f][0-9a-f]{0,15})$")
_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
_DATA = re.compile(r"^0x(?:[0-9a-fA-F]{2}){0,4096}$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_ID = re.compile(r"^[A-Za-z0-9_.:-]{0,64}$")
log = logging.getLogger("witness_api.chain_rpc")
METHODS = ("eth_chainId", "eth_blockNumber", "eth_getBlockByNumber",
           "eth_getTransactionByHash", "eth_getTransactionReceipt", "eth_call")


UNAVAILABLE = -32000
"""The JSON-RPC error code of an answer the chain could not give (the handle is reopened)."""


class NoSuchBlock(Exception):
    """An eth_call at a block the chain does not have yet."""


class Refused(Exception):
    """A call outside the allowlist: ``loc`` is the field path, ``msg`` what is wrong."""

    def __init__(self, loc: str, msg: str, status: int = 422) -> None:
        super().__init__(msg)
        self.loc = loc
        self.msg = msg
        self.status = status


@dataclass(frozen=True)
class Call:
    id: Any
    method: str
    params: tuple[Any, ...]


def _block_tag(value: Any, loc: str) -> str | int:
    if value in _TAGS:
        return str(value)
    if isinstance(value, str) and _QUANTITY.match(value):
        return int(value, 16)
    raise Refused(loc, f"a block number (0x hex) or one of {', '.join(_TAGS)}")


def _hash(value: Any, loc: str) -> bytes:
    if not isinstance(value, str) or not _HASH.match(value):
        raise Refused(loc, "a 32-byte hash, 0x and 64 hex digits")
    return bytes.fromhex(value[2:])


def _call_object(value: Any, loc: str, registry: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Refused(loc, "a call object {to, data}")
    extra = sorted(set(value) - {"to", "data", "input"})
    if extra:
        raise Refused(f"{loc}.{extra[0]}", "only to and data may be given")
    to = value.get("to")
    if not isinstance(to, str) or not _ADDRESS.match(to) or to.lower() != registry.lower():
        raise Refused(f"{loc}.to", "eth_call is allowed only to the log's registry")
    key = "data" if "data" in value else "input"
    data = value.get(key, "0x")
    if not isinstance(data, str) or not _DATA.match(data):
        raise Refused(f"{loc}.{key}", "0x and an even number of hex digits (at most 4096 bytes)")
    return {"to": to_checksum_address(to), "data": bytes.fromhex(data[2:])}


def _params(method: str, params: list[Any], loc: str, registry: str) -> tuple[Any, ...]:
    if method in ("eth_chainId", "eth_blockNumber"):
        if params:
            raise Refused(loc, "no parameters")
        return ()
    if method == "eth_getBlockByNumber":
        if len(params) != 2 or params[1] is not False:
            raise Refused(loc, "[block, false]: full transactions are not served")
        return (_block_tag(params[0], f"{loc}.0"),)
    if method in ("eth_getTransactionByHash", "eth_getTransactionReceipt"):
        if len(params) != 1:
            raise Refused(loc, "[transaction hash]")
        return (_hash(params[0], f"{loc}.0"),)
    if not 1 <= len(params) <= 2:
        raise Refused(loc, "[{to, data}, block]")
    tag = _block_tag(params[1], f"{loc}.1") if len(params) == 2 else "latest"
    return (_call_object(params[0], f"{loc}.0", registry), tag)


def parse_call(item: Any, loc: str, registry: str) -> Call:
    """One JSON-RPC request object, checked against the allowlist."""
    where = f"{loc}." if loc else ""
    if not isinstance(item, dict):
        raise Refused(loc, "a JSON-RPC request object")
    if item.get("jsonrpc") != "2.0":
        raise Refused(f"{where}jsonrpc", 'must be "2.0"')
    ident = item.get("id")
    if not (ident is None or (isinstance(ident, int) and not isinstance(ident, bool)
                              and abs(ident) < 2**53)
            or (isinstance(ident, str) and _ID.match(ident))):
        raise Refused(f"{where}id", "a number, a short string or null")
    method = item.get("method")
    if method not in METHODS:
        raise Refused(f"{where}method", f"not allowed; allowed: {', '.join(METHODS)}")
    params = item.get("params", [])
    if not isinstance(params, list):
        raise Refused(f"{where}params", "a list")
    return Call(ident, str(method), _params(str(method), params, f"{where}params", registry))


def parse_calls(body: Any, registry: str) -> tuple[list[Call], bool]:
    """The calls of a request body and whether it was a batch."""
    if isinstance(body, list):
        if not body:
            raise Refused("", "an empty batch")
        if len(body) > MAX_BATCH:
            raise Refused("", f"at most {MAX_BATCH} calls in a batch", status=413)
        return [parse_call(item, str(n), registry) for n, item in enumerate(body)], True
    return [parse_call(body, "", registry)], False


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def encode(value: Any) -> Any:
    """web3's decoded value in the JSON-RPC encoding."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, dict) or hasattr(value, "items"):
        return {_camel(str(k)): encode(v) for k, v in value.items() if k != "state_root"}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return str(value)


def execute(chain: Web3Backend, call: Call) -> dict[str, Any]:
    """The JSON-RPC answer to one allowed call."""
    answer: dict[str, Any] = {"jsonrpc": "2.0", "id": call.id}
    try:
        with chain_errors(f"portal proxy {call.method}"):
            answer["result"] = _result(chain, call)
    except ChainRevert as exc:
        answer["error"] = {"code": 3, "message": "execution reverted",
                           "data": "0x" + exc.data.hex()}
    except NoSuchBlock as exc:
        answer["error"] = {"code": -32001, "message": f"header not found: {exc}"}
    except ChainUnavailable as exc:
        answer["error"] = {"code": UNAVAILABLE, "message": f"chain unavailable: "
                                                          f"{type(exc).__name__}"}
    except Exception as exc:  # a chain library's own error must not fail the whole batch
        log.warning("chain proxy call failed", extra={"method": call.method,
                                                      "error": type(exc).__name__})
        answer["error"] = {"code": -32603, "message": f"internal error: {type(exc).__name__}"}
    return answer


def _result(chain: Web3Backend, call: Call) -> Any:
    eth = chain.web3.eth
    try:
        if call.method == "eth_chainId":
            return hex(chain.chain_id())
        if call.method == "eth_blockNumber":
            return hex(chain.block_number())
        if call.method == "eth_getBlockByNumber":
            return encode(eth.get_block(call.params[0], False))
        if call.method == "eth_getTransactionByHash":
            return encode(eth.get_transaction(call.params[0]))
        if call.method == "eth_getTransactionReceipt":
            return encode(eth.get_transaction_receipt(call.params[0]))
    except (BlockNotFound, TransactionNotFound):
        return None
    block = call.params[1]
    if isinstance(block, int) and block > chain.block_number():
        raise NoSuchBlock(f"no block {block} yet")
    # The backend's own eth_call: the embedded chain simulates on py-evm directly (eth-tester
    # would lose the revert data), a node is asked as usual; a revert raises ChainRevert.
    return "0x" + chain._eth_call(call.params[0], block, None).hex()
