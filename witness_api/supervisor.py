"""Worker supervision for ``witness serve``: a worker that dies is logged and replaced.

What uvicorn 0.55 does by itself: with one worker (the default) it serves from its main
process, so when that process dies (a segfault in a C extension, the kernel's OOM killer)
the service is gone and nothing is logged. With ``--workers N`` its supervisor
(``uvicorn.supervisors.Multiprocess``) checks every half second that each worker is alive
and answers a ping (within ``timeout_worker_healthcheck``, 5 s), kills one that does not,
and starts a replacement; it logs only "Child process [pid] died", at info level and
without the cause. A worker that exits with uvicorn's startup-failure status (3) stops the
whole service instead, as restarting it would fail the same way.

``witness serve`` runs that supervisor for any number of workers, one included (one more
process; while a replacement starts, connections wait in the listening socket's backlog),
and logs each death at error level through the service's JSON log: the worker's pid, its
exit status or the signal that killed it, and the replacement's pid.
"""

from __future__ import annotations

import logging
import signal
from socket import socket

from uvicorn import Config
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors.multiprocess import Process

log = logging.getLogger("witness_api.supervisor")


def death_fields(exitcode: int | None) -> dict[str, object]:
    """``exitcode`` and, for a worker killed by a signal, the signal's name (``SIGSEGV``)."""
    fields: dict[str, object] = {"exitcode": exitcode, "signal": None}
    if exitcode is not None and exitcode < 0:
        try:
            fields["signal"] = signal.Signals(-exitcode).name
        except ValueError:
            fields["signal"] = f"signal {-exitcode}"
    return fields


class Supervisor(Multiprocess):
    """uvicorn's process manager, with each worker's start and death in the service log."""

    def __init__(self, config: Config, sockets: list[socket]) -> None:
        super().__init__(config, sockets)
        self.startup_failed = False

    def init_processes(self) -> None:
        super().init_processes()
        for process in self.processes:
            log.info("worker started", extra={"pid": process.pid})

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return  # stopping: workers exit on purpose
        before = list(self.processes)
        alive = {id(p) for p in before if p.exitcode is None}
        super().keep_subprocess_alive()  # kills the unresponsive, replaces the dead
        for index, old in enumerate(before):
            new = self.processes[index] if index < len(self.processes) else None
            if new is not old:
                killed = id(old) in alive and old.exitcode == -signal.SIGKILL
                self._replaced(old, new, unresponsive=killed)
            elif old.exitcode == STARTUP_FAILURE:
                self.startup_failed = True
                log.error("worker failed to start; stopping the service",
                          extra={"pid": old.pid, **death_fields(old.exitcode)})

    def _replaced(self, old: Process, new: Process | None, *, unresponsive: bool) -> None:
        fields = death_fields(old.exitcode)
        cause = "did not answer the health check, killed" if unresponsive else "died"
        log.error(f"worker {cause}", extra={"pid": old.pid, **fields,
                                            "replacement_pid": new and new.pid})
        if new is not None:
            log.info("worker started", extra={"pid": new.pid})


def serve(config: Config) -> int:
    """Run supervised workers until SIGINT/SIGTERM; the exit status for the command."""
    supervisor = Supervisor(config, sockets=[config.bind_socket()])
    supervisor.run()
    return STARTUP_FAILURE if supervisor.startup_failed else 0
