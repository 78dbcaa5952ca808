"""A real SoftHSM2 token for the session, and the ``WITNESS_HSM_*`` settings naming it.

SoftHSM reads ``SOFTHSM2_CONF`` once, when the process first loads the module: the session
sets it (a temporary token directory) before any test touches PKCS#11. Each test gets its
own key labels, so tests share the token without seeing each other's keys. Missing SoftHSM2
skips these tests with the reason (fails them under ``CI=true``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import unavailable

MODULE = Path(os.environ.get("WITNESS_TEST_SOFTHSM", "/usr/lib/softhsm/libsofthsm2.so"))
TOKEN = "witness-test"
PIN = "246813"


@dataclass(frozen=True)
class SoftHsm:
    module: Path
    token: str
    pin_file: Path


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftHsm]:
    tool = shutil.which("softhsm2-util")
    if tool is None or not MODULE.is_file():
        unavailable(f"SoftHSM2 is not installed (softhsm2-util, {MODULE}): apt-get install "
                    "softhsm2")
    where = tmp_path_factory.mktemp("softhsm")
    (where / "tokens").mkdir()
    conf = where / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {where / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n", encoding="utf-8")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run([str(tool), "--init-token", "--free", "--label", TOKEN, "--so-pin",
                    "135790", "--pin", PIN], check=True, capture_output=True, timeout=60)
    pin_file = where / "pin"
    pin_file.write_text(PIN + "\n", encoding="utf-8")
    pin_file.chmod(0o600)
    yield SoftHsm(MODULE, TOKEN, pin_file)
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture
def hsm_env(softhsm: SoftHsm, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """All three keys configured to live in the token, under labels of this test's own."""
    tag = uuid.uuid4().hex[:8]
    env = {"WITNESS_HSM_MODULE": str(softhsm.module), "WITNESS_HSM_TOKEN": softhsm.token,
           "WITNESS_HSM_PIN_FILE": str(softhsm.pin_file),
           "WITNESS_HSM_LOG_KEY": f"log-{tag}", "WITNESS_HSM_CHECKPOINT_KEY": f"cp-{tag}",
           "WITNESS_HSM_ANCHORER_KEY": f"anchor-{tag}"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("WITNESS_HSM_PIN", raising=False)
    return env
