"""Real ``witness-cosign`` processes on free ports, each with its own home, and a log.

A witness is created with ``witness-cosign init`` and served with ``witness-cosign serve``
as separate processes, exactly as a regulator would run one.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from ledger.home import init_home, open_log
from ledger.log import WitnessLog
from ledger.settings import Settings

BIN = Path(sys.executable).parent / "witness-cosign"
ORIGIN = "test.example/log"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class WitnessProcess:
    """One witness: its home, its verifier key, its port and (while up) its process."""

    home: Path
    name: str
    log_vkey: str
    port: int = field(default_factory=free_port)
    vkey: str = ""
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def init(self) -> WitnessProcess:
        out = subprocess.run([str(BIN), "init", "--home", str(self.home), "--name", self.name],
                             capture_output=True, text=True, check=True)
        self.vkey = out.stdout.strip()
        return self

    def start(self) -> WitnessProcess:
        self.proc = subprocess.Popen(
            [str(BIN), "serve", "--home", str(self.home), "--log", self.log_vkey,
             "--port", str(self.port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/", timeout=1).ok:
                    return self
            except requests.ConnectionError:
                time.sleep(0.1)
            if self.proc.poll() is not None:
                raise RuntimeError(f"witness exited: {self.proc.stdout.read()!r}")  # type: ignore[union-attr]
        raise RuntimeError("witness did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def post(self, body: bytes | str) -> requests.Response:
        data = body.encode() if isinstance(body, str) else body
        return requests.post(self.url + "/add-checkpoint", data=data, timeout=10)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[WitnessLog]:
    settings = Settings(home=tmp_path / "log", origin=ORIGIN)
    init_home(settings)
    log = open_log(settings)
    yield log
    log.db.dispose()


@pytest.fixture
def witnesses(tmp_path: Path, ledger: WitnessLog) -> Iterator[list[WitnessProcess]]:
    """Three witnesses of ``ledger``, up."""
    started = [WitnessProcess(tmp_path / f"w{n}", f"witness-{n}.example",
                              ledger.signer.verifier.vkey()).init().start() for n in (1, 2, 3)]
    yield started
    for w in started:
        w.stop()


def add_body(log: WitnessLog, note: str, size: int, old: int) -> str:
    """An add-checkpoint body for the checkpoint ``note`` of ``size``, from ``old``."""
    import base64

    proof = log.consistency_proof(old, size) if 0 < old < size else []
    return f"old {old}\n" + "".join(base64.b64encode(h).decode() + "\n" for h in proof) + \
        "\n" + note


def grow(log: WitnessLog, start: int, n: int) -> None:
    from tests.ledger.conftest import make_event

    log.append([make_event(i) for i in range(start, start + n)])
