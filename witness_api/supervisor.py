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

With several workers, each listens on a socket of its own (``SO_REUSEPORT``) and the kernel
spreads new connections over them. On one shared socket the worker whose event loop wakes
first accepts a whole burst of connections: a client keeping a few connections alive (a
trading platform posting batches) got one worker's throughput while the other sat idle
(7,300 instead of 10,000–11,500 events/s in batches with two workers). A worker that dies
takes the connections waiting in its own backlog with it; new ones go to the others.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
from typing import Any

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

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
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


class WorkerOwnSocket(socket.socket):
    """The service's address as the supervisor holds it: bound (the port is taken, and a
    bind error stops ``witness serve`` at once) but never listening, so the kernel gives it
    no connection. Each worker process is handed, in its place, a socket of its own on the
    same address (``worker_socket``), which its event loop then listens on."""

    def __reduce__(self) -> tuple[Any, ...]:
        # multiprocessing pickles the socket list for every worker it starts (at start-up,
        # as a replacement, on SIGHUP or SIGTTIN): each one gets a new socket
        return (worker_socket, (self.family, self.getsockname()))


def worker_socket(family: int, address: tuple[Any, ...],
                  kind: type[socket.socket] = socket.socket) -> socket.socket:
    """A socket bound to ``address`` beside the other workers' (``SO_REUSEPORT``)."""
    sock = kind(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def _address(config: Config) -> socket.socket:
    """One socket for all workers, or (several workers, a TCP address, a kernel that has
    ``SO_REUSEPORT``) the placeholder that gives each worker its own."""
    if config.workers < 2 or config.uds or config.fd is not None or \
            not hasattr(socket, "SO_REUSEPORT"):
        return config.bind_socket()
    family = socket.AF_INET6 if config.host and ":" in config.host else socket.AF_INET
    try:
        sock = worker_socket(family, (config.host, config.port), WorkerOwnSocket)
    except OSError as exc:  # as uvicorn's own bind: one line, the start-up failure status
        log.error(str(exc))
        sys.exit(STARTUP_FAILURE)
    log.info("listening", extra={"host": config.host, "port": sock.getsockname()[1],
                                 "workers": config.workers, "socket_per_worker": True})
    return sock


def serve(config: Config) -> int:
    """Run supervised workers until SIGINT/SIGTERM; the exit status for the command."""
    supervisor = Supervisor(config, sockets=[_address(config)])
    supervisor.run()
    return STARTUP_FAILURE if supervisor.startup_failed else 0
