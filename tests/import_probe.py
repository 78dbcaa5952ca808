"""What a console script loads to print its help: run in a fresh interpreter, so earlier
imports of the test session do not hide a heavy import."""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
from {module} import main
try:
    main(["--help"])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def help_and_modules(module: str) -> tuple[str, list[str]]:
    """(the help text, the modules loaded) of ``module.main(["--help"])``."""
    proc = subprocess.run([sys.executable, "-c", PROBE.format(module=module)],
                          capture_output=True, text=True, timeout=120, check=True)
    text, _, last = proc.stdout.rstrip("\n").rpartition("\n")
    modules: list[str] = json.loads(last)
    return text, modules
