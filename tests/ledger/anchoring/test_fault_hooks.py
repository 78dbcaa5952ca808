"""Fault injection stays in the tests: the product has no switch that kills it, and the
anchorer's step hooks are empty unless a test installs one (crash_launcher.py)."""

from __future__ import annotations

from pathlib import Path

from ledger.anchoring.anchorer import ANCHOR_STEP_HOOKS

ROOT = Path(__file__).resolve().parents[3]
PRODUCT = ("ledger", "witness_api", "chain_access", "verifier", "witness_cosign")


def test_no_kill_switch_in_the_product() -> None:
    found = [f"{path.relative_to(ROOT)}: {word}"
             for package in PRODUCT for path in sorted((ROOT / package).rglob("*.py"))
             for word in ("os._exit", "WITNESS_FAULT") if word in path.read_text("utf-8")]
    assert found == []


def test_no_step_hook_is_installed_by_the_product() -> None:
    import ledger.cli.app  # noqa: F401  (what `witness anchor` loads)

    assert ANCHOR_STEP_HOOKS == []
