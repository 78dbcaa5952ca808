"""A wheel built from the project carries what an installed ledger needs at run time: the
registry artifact (to deploy and anchor), the migrations, the calendar and the law texts."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_ships_the_registry_artifact_and_data(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, timeout=600,
                   capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "ledger/anchoring/artifacts/WitnessRegistry.json" in names
    assert "ledger/rules/data/calendar_cn.json" in names
    assert any(n.startswith("ledger/rules/data/laws/招标投标法") for n in names)
    assert any(n.startswith("ledger/store/migrations/versions/0008") for n in names)
    assert not any(n.startswith(("tests/", "scripts/")) for n in names)
