"""scripts/portal_shots.py, as `make demo` runs it: every page shot, found through the list
pages by logging in as each role (its own browser, so in a process of its own)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import portal_shots
from scripts.portal_shots import ENGLISH_ONLY, PAGES
from tests.portal.browser.server import ROLES, Portal

ROOT = Path(__file__).resolve().parents[3]
EXTRA = {"verify-en.png", "verify-result-zh.png", "verify-result-en.png", "readme-verify.png",
         "readme-project.png"}


def test_every_page_is_shot_for_the_demo(portal: Portal, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.json"
    tokens.write_text(json.dumps({role: portal.tokens[role] for role in ROLES}), "utf-8")
    out = tmp_path / "shots"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "portal_shots.py"),
                           portal.base, "--token-file", str(tokens), "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    want = {f"{s.name}-{'en' if s.name in ENGLISH_ONLY else 'zh'}.png" for s in PAGES} | EXTRA
    assert {p.name for p in out.glob("*.png")} == want
    assert all(p.stat().st_size > 10_000 for p in out.glob("*.png"))


def test_without_chromium_the_screenshots_say_why(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setattr(portal_shots, "CHROMIUM", tmp_path / "no-chromium")
    with pytest.raises(portal_shots.BrowserMissing, match="no Chromium at"):
        portal_shots.take_screenshots("http://127.0.0.1:9", {}, tmp_path / "shots")
    assert not (tmp_path / "shots").exists()
