"""`witness serve` with the log key in the token: receipts signed there under concurrent
submissions (the service signs outside its commit lock, from several threads) verify with
the unchanged verifier."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi.testclient import TestClient

from ledger.core.receipt import Receipt
from ledger.events import example_event
from ledger.home import init_home
from ledger.settings import Settings
from verifier import check_receipt
from verifier.policy import build
from witness_api import create_app
from witness_api.config import ApiSettings


def test_receipts_signed_in_the_token_verify(hsm_env: dict[str, str], tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", origin="hsm-service.test/log")
    info = init_home(settings)
    assert not (settings.home / "log.key").exists()
    app = create_app(settings, api=ApiSettings(access_log=False))
    with TestClient(app) as client:
        token, _ = client.app.state.tokens.create("ingest")  # type: ignore[attr-defined]
        headers = {"Authorization": f"Bearer {token}"}

        def post(n: int) -> dict[str, object]:
            event = example_event("ANNOUNCEMENT_PUBLISHED")
            event["event_id"] = f"HSM-{n:03d}"
            r = client.post("/v1/events", json=event, headers=headers)
            assert r.status_code == 201, r.text
            return dict(r.json())

        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(post, range(40)))
    policy = build(key=info["vkey"], origin=info["origin"])
    for answer in answers:
        receipt = Receipt.from_json(answer["receipt"])
        report = check_receipt(receipt, policy)
        assert report.ok, report.to_json()
    assert len({Receipt.from_json(a["receipt"]).index for a in answers}) == 40
