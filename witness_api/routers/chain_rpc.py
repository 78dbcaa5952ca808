"""``POST /v1/chain/rpc``: a public, read-only JSON-RPC proxy to the chain the log is bound to.

For browsers (the portal's 回执核验 and project audit) when the trust policy names no
public chain endpoint they can reach: the page then says that the chain is read through the
center's own server. What passes is ``witness_api.chain_rpc``'s allowlist; anything else is
a 422 problem naming the field (``params.0.to``, ``3.method`` in a batch), a batch of more
than 16 calls or a body over 16 KiB is 413, and nothing refused ever reaches the chain.
The chain is opened read-only once per worker (checked against the recorded binding, as
``witness chain`` does) and reopened after it failed.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from chain_access import ChainError
from chain_access.web3_backend import Web3Backend
from ledger.anchoring import read_binding
from ledger.anchoring.chains import bound_chains, open_bound
from ledger.core.json_text import JsonInputError, loads_strict
from ledger.errors import NotFoundError
from witness_api.chain_rpc import MAX_BODY, UNAVAILABLE, Refused, execute, parse_calls
from witness_api.deps import Services, get_services
from witness_api.problems import ProblemError, json_input_problem, responses

router = APIRouter(prefix="/v1/chain", tags=["public"])

_BODY_DOC: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"oneOf": [{"type": "object"}, {"type": "array", "maxItems": 16}]},
    "example": {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}}}}}


class ChainReader:
    """One read-only handle on the primary chain, opened on first use."""

    def __init__(self) -> None:
        self._chain: Web3Backend | None = None
        self._lock = threading.Lock()

    def get(self, app: FastAPI, services: Services) -> Web3Backend:
        with self._lock:
            if self._chain is None:
                chains = bound_chains(services.log)
                if not chains:
                    raise NotFoundError("the log is not bound to a chain")
                chain = open_bound(app.state.settings, chains[0], readonly=True)
                if not isinstance(chain, Web3Backend):
                    chain.close()
                    raise ChainError("this chain backend cannot serve JSON-RPC")
                self._chain = chain
            return self._chain

    def reset(self) -> None:
        with self._lock:
            if self._chain is not None:
                self._chain.close()
            self._chain = None


def chain_reader(app: FastAPI) -> ChainReader:
    reader: ChainReader | None = getattr(app.state, "chain_reader", None)
    if reader is None:
        reader = app.state.chain_reader = ChainReader()
    return reader


@router.post("/rpc", summary="Read the anchoring chain (JSON-RPC, read-only allowlist)",
             responses=responses(400, 404, 413, 422, 503), openapi_extra=_BODY_DOC)
async def rpc(request: Request,
              services: Services = Depends(get_services)) -> Response:  # noqa: B008
    """``eth_chainId``, ``eth_blockNumber``, ``eth_getBlockByNumber`` (``[block, false]``),
    ``eth_getTransactionByHash``, ``eth_getTransactionReceipt`` and ``eth_call`` to the log's
    registry; one call or a batch of at most 16. Answers are JSON-RPC 2.0."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise ProblemError(413, "body-too-large", f"request body larger than {MAX_BODY} bytes")
    try:
        data = loads_strict(body, what="request body")
    except JsonInputError as exc:
        return json_input_problem(exc)
    binding = await run_in_threadpool(read_binding, services.log)
    if binding is None:
        raise NotFoundError("the log is not bound to a chain")
    try:
        calls, batch = parse_calls(data, binding.registry)
    except Refused as exc:
        raise ProblemError(exc.status, "rpc-refused", exc.msg,
                           errors=[{"loc": exc.loc, "msg": exc.msg}]) from None
    reader = chain_reader(request.app)
    try:
        chain = await run_in_threadpool(reader.get, request.app, services)
    except ChainError as exc:
        raise ProblemError(503, "chain-unavailable", f"the chain is unreachable: "
                           f"{type(exc).__name__}") from None
    answers = await run_in_threadpool(lambda: [execute(chain, call) for call in calls])
    if any(a.get("error", {}).get("code") == UNAVAILABLE for a in answers):
        reader.reset()  # reopen on the next request: the endpoint may have moved or restarted
    return JSONResponse(answers if batch else answers[0])
