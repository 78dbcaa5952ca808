"""The compiled WitnessRegistry artifact (ABI + bytecode), committed under contracts/.

The runtime never compiles: it loads the artifact that `scripts/compile_contracts.py`
wrote and CI checks. Must not import the API or the verifier.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

ARTIFACT = Path(__file__).with_name("artifacts") / "WitnessRegistry.json"
"""The compiled registry (ABI and bytecode), shipped inside the package: an installed wheel
anchors without the source tree (scripts/compile_contracts.py writes it)."""


@lru_cache(maxsize=1)
def artifact() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ARTIFACT.read_text(encoding="utf-8"))
    return data


def abi() -> list[dict[str, Any]]:
    return list(artifact()["abi"])


def bytecode() -> str:
    return str(artifact()["bytecode"])

