"""`witness token create/list/revoke` as an operator runs them (the console script): scopes
are required for supervisors and regulators, shown by `list`, and never the token itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

WITNESS = Path(sys.executable).parent / "witness"


def witness(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WITNESS_HOME": str(home)}
    return subprocess.run([str(WITNESS), *args], capture_output=True, text=True, env=env,
                          timeout=120)


def created(home: Path, *args: str) -> dict[str, Any]:
    proc = witness(home, "token", "create", "--json", *args)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def test_scoped_tokens_are_created_listed_and_revoked(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert witness(home, "init", "--no-chain").returncode == 0
    sup = created(home, "--role", "supervisor", "--region", "2101",
                  "--department", "沈阳市发展和改革委员会", "--label", "沈阳监督")
    assert sup["scope"] == {"projects": [], "regions": ["2101"],
                            "departments": ["沈阳市发展和改革委员会"]}
    bidder = created(home, "--role", "bidder", "--bidder", "91210100MA0XK3L21C")
    listing = witness(home, "token", "list")
    assert listing.returncode == 0
    lines = {line.split()[0]: line for line in listing.stdout.splitlines()}
    assert "region=2101 department=沈阳市发展和改革委员会" in lines[sup["token_id"]]
    assert "91210100MA0XK3L21C" in lines[bidder["token_id"]]
    assert sup["token"] not in listing.stdout and bidder["token"] not in listing.stdout
    revoked = witness(home, "token", "revoke", sup["token_id"])
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert "REVOKED" in witness(home, "token", "list").stdout


def test_a_supervisor_token_without_scope_is_refused_in_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert witness(home, "init", "--no-chain").returncode == 0
    proc = witness(home, "token", "create", "--role", "supervisor")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "--project" in proc.stderr
    assert "Traceback" not in proc.stderr
