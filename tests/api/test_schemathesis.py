"""Property-based fuzzing of every operation in the OpenAPI document: no input gives a 5xx.

Bounded (``MAX_EXAMPLES`` per operation) so it runs in CI; authenticated as admin so the
handlers (not just the auth layer) see the generated inputs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from ledger.events import example_event
from ledger.home import init_home
from ledger.settings import Settings
from witness_api import create_app
from witness_api.config import ApiSettings

MAX_EXAMPLES = 25
_STATE: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> schemathesis.BaseSchema:
    home: Path = tmp_path_factory.mktemp("fuzz") / "home"
    s = Settings(home=home)
    init_home(s)
    app = create_app(s, api=ApiSettings(access_log=False))
    token, _ = app.state.tokens.create("admin")
    _STATE["token"] = token
    ingestor = app.state.services.ingestor
    ingestor.submit([example_event(t) for t in ("PROJECT_REGISTERED", "BID_SUBMITTED")])
    app.state.services.log.checkpoint()
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def _run_operation(operation: schemathesis.APIOperation, token: str) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} → {response.status_code}: "
            f"{response.text[:500]}")

    check()


def test_no_server_errors(api_schema: schemathesis.BaseSchema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        _run_operation(operation, _STATE["token"])
