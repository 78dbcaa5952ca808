"""``POST /v1/chain/rpc``: the public read-only proxy the browser verifier reads the chain
through. Allowed calls answer in the JSON-RPC encoding from the embedded chain; anything
outside the allowlist is a problem naming the field, and never reaches the chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from ledger.anchoring import read_binding
from ledger.home import init_home
from ledger.settings import Settings
from ledger.store.schema import anchors
from tests.portal.conftest import World
from witness_api import create_app
from witness_api.chain_rpc import METHODS
from witness_api.config import ApiSettings

RPC = "/v1/chain/rpc"


def _call(method: str, params: list[Any], ident: Any = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": ident, "method": method, "params": params}


def _registry(world: World) -> tuple[str, str]:
    binding = read_binding(world.app.state.services.log)
    assert binding is not None
    return binding.registry, binding.log_id


def _count_call(world: World) -> dict[str, Any]:
    registry, log_id = _registry(world)
    data = "0x" + keccak(text="checkpointCount(bytes32)")[:4].hex() + log_id.removeprefix("0x")
    return _call("eth_call", [{"to": registry.lower(), "data": data}, "latest"])


def test_the_allowed_calls_answer_as_json_rpc(portal_world: World,
                                              portal_client: TestClient) -> None:
    log = portal_world.app.state.services.log
    with log.db.read() as conn:
        tx, block = conn.execute(select(anchors.c.tx_hash, anchors.c.block_number)
                                 .order_by(anchors.c.checkpoint_size).limit(1)).one()
    batch = [_call("eth_chainId", [], "a"), _call("eth_blockNumber", [], 2),
             _call("eth_getBlockByNumber", [hex(block), False], 3),
             _call("eth_getTransactionReceipt", [tx], 4),
             _call("eth_getTransactionByHash", [tx], 5), _count_call(portal_world) | {"id": 6},
             _call("eth_getTransactionReceipt", ["0x" + "00" * 32], 7)]
    answer = portal_client.post(RPC, json=batch)
    assert answer.status_code == 200, answer.text
    got = {a["id"]: a for a in answer.json()}
    assert got["a"] == {"jsonrpc": "2.0", "id": "a", "result": hex(1337)}
    assert int(got[2]["result"], 16) >= block
    assert got[3]["result"]["number"] == hex(block) and tx in got[3]["result"]["transactions"]
    receipt = got[4]["result"]
    assert receipt["status"] == "0x1" and receipt["blockNumber"] == hex(block)
    assert receipt["to"].lower() == _registry(portal_world)[0].lower() and receipt["logs"]
    assert got[5]["result"]["hash"] == tx
    assert int(got[6]["result"], 16) == 2  # two checkpoints anchored
    assert got[7]["result"] is None
    single = portal_client.post(RPC, json=_call("eth_chainId", [], None))
    assert single.json() == {"jsonrpc": "2.0", "id": None, "result": hex(1337)}


def test_a_call_at_a_future_block_is_a_json_rpc_error(portal_world: World,
                                                      portal_client: TestClient) -> None:
    call = _count_call(portal_world)
    call["params"][1] = "0xffffffffffffffff"
    answer = portal_client.post(RPC, json=call)
    assert answer.status_code == 200 and answer.json()["error"]["code"] == -32001
    call["params"][1] = "earliest"
    assert portal_client.post(RPC, json=call).json()["result"] == "0x"


def test_a_registry_revert_is_json_rpc_error_3(portal_world: World,
                                               portal_client: TestClient) -> None:
    registry, log_id = _registry(portal_world)
    data = ("0x" + keccak(text="checkpointAt(bytes32,uint256)")[:4].hex()
            + log_id.removeprefix("0x") + f"{99:064x}")
    answer = portal_client.post(RPC, json=_call("eth_call", [{"to": registry, "data": data},
                                                             "latest"]))
    assert answer.status_code == 200
    assert answer.json()["error"]["code"] == 3


@pytest.mark.parametrize("body,loc", [
    (_call("eth_sendRawTransaction", ["0x00"]), "method"),
    (_call("eth_getLogs", [{}]), "method"),
    (_call("debug_traceTransaction", ["0x" + "00" * 32]), "method"),
    (_call("eth_call", [{"to": "0x" + "11" * 20, "data": "0x"}, "latest"]), "params.0.to"),
    (_call("eth_getBlockByNumber", ["latest", True]), "params"),
    (_call("eth_getBlockByNumber", ["pending", False]), "params.0"),
    (_call("eth_getTransactionReceipt", ["0x1234"]), "params.0"),
    (_call("eth_chainId", ["extra"]), "params"),
    ({"jsonrpc": "1.0", "id": 1, "method": "eth_chainId"}, "jsonrpc"),
    ({"jsonrpc": "2.0", "id": {"x": 1}, "method": "eth_chainId"}, "id"),
    ([_call("eth_chainId", [])] * 3 + [_call("eth_mining", [])], "3.method"),
    ([], ""),
])
def test_calls_outside_the_allowlist_are_refused_with_the_field(
        portal_client: TestClient, body: Any, loc: str) -> None:
    answer = portal_client.post(RPC, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "urn:witness:problem:rpc-refused"
    assert problem["errors"][0]["loc"] == loc


def test_an_eth_call_may_carry_only_to_and_data(portal_world: World,
                                                portal_client: TestClient) -> None:
    call = _count_call(portal_world)
    call["params"][0]["from"] = "0x" + "22" * 20
    answer = portal_client.post(RPC, json=call)
    assert answer.status_code == 422 and answer.json()["errors"][0]["loc"] == "params.0.from"


def test_big_batches_and_bodies_are_413(portal_client: TestClient) -> None:
    batch = [_call("eth_chainId", [], n) for n in range(17)]
    assert portal_client.post(RPC, json=batch).status_code == 413
    assert portal_client.post(RPC, json=batch[:16]).status_code == 200
    padding = _call("eth_chainId", [], "x" * 10) | {"pad": "y" * 20_000}
    assert portal_client.post(RPC, json=padding).status_code == 413


def test_malformed_json_is_400(portal_client: TestClient) -> None:
    answer = portal_client.post(RPC, content=b'{"jsonrpc": "2.0", "id": 1, "id": 2}',
                                headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    answer = portal_client.post(RPC, content=b"{not json", headers={"Content-Type": "text/plain"})
    assert answer.status_code == 400


def test_an_unbound_log_has_no_chain_to_read(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    init_home(settings)
    app = create_app(settings, api=ApiSettings(access_log=False, anchor=False))
    try:
        answer = TestClient(app).post(RPC, json=_call("eth_chainId", []))
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
    finally:
        app.state.services.db.dispose()


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner,
                                                                  max_size=5), max_leaves=20)
_CALLS = st.fixed_dictionaries({"jsonrpc": st.just("2.0"), "id": st.integers(0, 9),
                                "method": st.sampled_from(METHODS), "params": _JSON})


@given(body=_JSON | _CALLS | st.lists(_CALLS, max_size=4))
@settings(max_examples=120, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_body_makes_the_proxy_fail(portal_world: World, body: Any) -> None:
    answer = TestClient(portal_world.app).post(RPC, json=body)
    assert answer.status_code in (200, 400, 413, 422), answer.text
