"""The worker supervisor's bookkeeping without starting processes (the real death is in
test_server_resilience)."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import pytest

from witness_api.supervisor import Supervisor, death_fields


@pytest.mark.parametrize("code, expected", [
    (-signal.SIGSEGV, {"exitcode": -11, "signal": "SIGSEGV"}),
    (-signal.SIGKILL, {"exitcode": -9, "signal": "SIGKILL"}),
    (1, {"exitcode": 1, "signal": None}),
    (-200, {"exitcode": -200, "signal": "signal 200"}),
])
def test_death_fields_name_the_signal(code: int, expected: dict[str, Any]) -> None:
    assert death_fields(code) == expected


class _Exited:
    """A worker that already exited with ``exitcode``."""

    def __init__(self, pid: int, exitcode: int) -> None:
        self.pid, self.exitcode = pid, exitcode

    def is_alive(self, timeout: float = 5) -> bool:
        return False

    def kill(self) -> None:
        pass

    def join(self) -> None:
        pass


def _bare_supervisor(processes: list[Any]) -> Supervisor:
    # Built without __init__: uvicorn's would install signal handlers in the test process.
    sup = Supervisor.__new__(Supervisor)
    sup.processes, sup.should_exit, sup.startup_failed = processes, threading.Event(), False
    sup.config = type("C", (), {"timeout_worker_healthcheck": 5})()
    return sup


def test_a_worker_that_cannot_start_stops_the_service(caplog: pytest.LogCaptureFixture) -> None:
    sup = _bare_supervisor([_Exited(4242, 3)])
    with caplog.at_level(logging.ERROR, logger="witness_api.supervisor"):
        sup.keep_subprocess_alive()
    assert sup.should_exit.is_set() and sup.startup_failed
    [record] = [r for r in caplog.records if r.name == "witness_api.supervisor"]
    assert record.getMessage() == "worker failed to start; stopping the service"
    assert (record.pid, record.exitcode) == (4242, 3)  # type: ignore[attr-defined]


def test_nothing_is_checked_while_stopping() -> None:
    sup = _bare_supervisor([_Exited(4242, -signal.SIGTERM)])
    sup.should_exit.set()
    sup.keep_subprocess_alive()
    assert sup.processes[0].pid == 4242 and not sup.startup_failed
