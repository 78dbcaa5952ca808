"""Errors of the one hierarchy that reach the API become problems with the right status: a
source the service needs that cannot be reached is 503, a chain that answers but not as the
ledger needs is 502 — never 400 (the client did nothing wrong) nor a bare 500."""

from __future__ import annotations

import json

import pytest

from chain_access import ChainMismatch, ChainRevert, ChainUnavailable
from ledger.core.errors import MalformedError, SourceUnavailable, WitnessError
from witness_api.problems import domain_problem


@pytest.mark.parametrize(("exc", "status", "slug"), [
    (ChainUnavailable("connection refused"), 503, "source-unavailable"),
    (SourceUnavailable("witness down"), 503, "source-unavailable"),
    (ChainMismatch("other chain", field="chain_id", expected=1, actual=2), 502, "chain-error"),
    (ChainRevert(b"\x00\x00\x00\x01"), 502, "chain-error"),
    (MalformedError("bad"), 400, "malformed"),
    (WitnessError("other"), 400, "bad-request"),
])
def test_status_and_type(exc: Exception, status: int, slug: str) -> None:
    response = domain_problem(exc)
    body = json.loads(bytes(response.body))
    assert (response.status_code, body["status"]) == (status, status)
    assert body["type"] == f"urn:witness:problem:{slug}" and body["detail"]
