"""Helpers of ``scripts/bench.py``, the benchmark of the witness log.

Importing this package puts the repository root on ``sys.path`` so that ``ledger`` is
importable when the benchmark runs as a plain script (``python scripts/bench.py``).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
