"""Running one page's commands in order, as a reader's shell session would.

Each command runs in ``bash`` in the page's scratch directory; variables it sets (``API=…``,
``export …``) and a ``cd`` carry over to the next command, as in an interactive shell
(``set -a`` exports plain assignments so that they can be carried). After
``witness token create``, ``$TOKEN`` is the token it printed. ``curl`` fails on an HTTP error
(``--fail-with-body`` from a ``.curlrc``), as a script's ``curl -f`` would: a page's curl
that gets a 404 is a failing command. A command that runs until stopped (``witness serve``,
``--follow``) is started in the background with a free port in place of its ``--port``
(what comes before it on its line, ``witness init && …``, runs to the end first); it passes
once it answers there (or is still running after a few seconds) and runs until the page is
done.
"""

from __future__ import annotations

import re
import shlex
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.doccmds import table
from tests.doccmds.extract import Block, Command
from tests.doccmds.world import ROOT, World, free_port, stop, wait_healthy

COMMAND_TIMEOUT_S = 180.0
SERVER_START_S = 90.0
QUIET_START_S = 8.0
OUTPUT_TAIL = 1500
TOKEN = re.compile(r"\bwit_[A-Za-z0-9_-]{20,}")


def _default_port(serve: re.Match[str]) -> int:
    return table.DEFAULT_SERVE_PORTS[f"witness{serve[1] or ''}"]


@dataclass(frozen=True)
class Outcome:
    """One command's result: what the page says, what ran, how it ended."""

    where: str
    command: str
    ran: str
    code: int | None
    output: str
    seconds: float

    @property
    def ok(self) -> bool:
        return self.code == 0

    def report(self) -> str:
        ended = "timed out" if self.code is None else f"exit {self.code}"
        out = "\n".join("    | " + ln for ln in self.output[-OUTPUT_TAIL:].splitlines())
        ran = "" if self.ran == self.command else f"\n  ran: {self.ran}"
        return f"{self.where}: {self.command}{ran}\n  {ended} after {self.seconds:.1f} s\n{out}"


@dataclass
class PageRun:
    """The shell session of one page: its scratch directory, state and background servers."""

    page: Path
    world: World
    workdir: Path
    ctx: table.Context = field(init=False)
    background: list[subprocess.Popen[bytes]] = field(default_factory=list)
    ports: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True)
        own = {p.name for p in self.world.fixtures.iterdir()} | {
            "witness-data", "demo-output", ".git", "srv", "backup", ".curlrc"}
        for entry in ROOT.iterdir():
            if entry.name not in own:  # a copied fixture must not write through a link
                (self.workdir / entry.name).symlink_to(entry)
        (self.workdir / "witness-data").symlink_to(self.world.home)
        for fixture in self.world.fixtures.iterdir():
            shutil.copy(fixture, self.workdir / fixture.name)
        for data_dir in ("srv", "backup"):  # where table.py puts the pages' /srv and /backup
            (self.workdir / data_dir).mkdir()
        (self.workdir / ".curlrc").write_text("fail-with-body\nshow-error\n", encoding="utf-8")
        self.state = self.workdir / ".doc-shell-state"
        self.cwd_file = self.workdir / ".doc-shell-cwd"
        self.cwd_file.write_text(str(self.workdir), encoding="utf-8")
        self.state.write_text("", encoding="utf-8")
        self.ctx = table.Context(self.world.api, self.workdir, self.world.lead_id,
                                 self.world.revocable_id, self.ports)

    def run_block(self, block: Block) -> list[Outcome]:
        self._set("WITNESS_HOME", str(self._home_for(block)))
        outcomes = [self.run(block, command) for command in block.commands]
        self._set("WITNESS_HOME", str(self.world.home))
        return outcomes

    def _home_for(self, block: Block) -> Path:
        home = self.world.home
        if block.mode == "own-home":
            home = self.workdir / f"own-home-{block.line}"
            shutil.copytree(self.world.template, home)
        elif block.mode == "fresh-home":
            home = self.workdir / f"fresh-home-{block.line}"
        return home

    def run(self, block: Block, command: Command) -> Outcome:
        text = command.text
        long_running = bool(table.LONG_RUNNING.search(text))
        if long_running:
            if table.SERVE.search(text) and not table.PORT_OPTION.search(text):
                # its default port may be taken on this machine: as if it named that port
                text = table.SERVE.sub(lambda m: f"{m[0]} --port {_default_port(m)}", text,
                                       count=1)
            text = table.PORT_OPTION.sub(self._free_port_for, text)
        ran = table.substitute(text, self.ctx)
        where = f"{block.where.rsplit(':', 1)[0]}:{command.line}"
        started = time.monotonic()
        refused = table.refusal(ran)
        if refused:
            return Outcome(where, command.text, ran, 126, f"not run: it {refused}", 0.0)
        if long_running:
            code, output = self._start_after(ran)
        else:
            code, output = self._run(ran)
            token = TOKEN.search(output)
            if code == 0 and token and table.TOKEN_CREATE.match(ran):
                self._set("TOKEN", token[0])
        return Outcome(where, command.text, ran, code, output, time.monotonic() - started)

    def _start_after(self, command: str) -> tuple[int | None, str]:
        """``a && b && serve``: a and b run to the end first (and must succeed), so that a
        failing set-up step is not mistaken for a server still starting."""
        before, _, last = command.rpartition(" && ")
        if not before or table.LONG_RUNNING.search(before):
            return self._start(command)
        code, output = self._run(before)
        if code != 0:
            return code, output
        started_code, started_output = self._start(last)
        return started_code, output + started_output

    def _free_port_for(self, m: re.Match[str]) -> str:
        port = self.ports.setdefault(int(m[2]), free_port())
        return f"{m[1]}{port}"

    def _script(self, command: str, keep_state: bool) -> str:
        head = (f"set -a\n. {shlex.quote(str(self.state))}\n"
                f"cd \"$(cat {shlex.quote(str(self.cwd_file))})\"\n")
        if not keep_state:
            return head + command + "\n"
        return (head + command + "\n__doc_rc=$?\nset +a\n"
                f"export -p > {shlex.quote(str(self.state))}\n"
                f"pwd > {shlex.quote(str(self.cwd_file))}\nexit $__doc_rc\n")

    def _env(self) -> dict[str, str]:
        return {**self.world.env(), "CURL_HOME": str(self.workdir)}

    def _run(self, command: str) -> tuple[int | None, str]:
        proc = subprocess.Popen(["bash", "-c", self._script(command, keep_state=True)],
                                env=self._env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=COMMAND_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            stop(proc)
            out, err = proc.communicate()
            return None, (out + err).decode(errors="replace")
        text = out.decode(errors="replace")
        if err:
            text += ("\n" if text and not text.endswith("\n") else "") + err.decode(
                errors="replace")
        return proc.returncode, text

    def _start(self, command: str) -> tuple[int | None, str]:
        log_path = self.workdir / f".background-{len(self.background)}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(["bash", "-c", self._script(command, keep_state=False)],
                                    env=self._env(), stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.background.append(proc)
        ports = [int(p) for _, p in table.PORT_OPTION.findall(command)]
        ready = self._ready(proc, ports, http="witness-cosign" not in command)
        output = log_path.read_text(errors="replace")
        if ready:
            where = f" on port {ports[0]}" if ports else ""
            return 0, f"{output}\n(started in the background{where}; stopped after the page)"
        stop(proc)
        return proc.returncode if proc.returncode else 1, output + "\n(did not come up)"

    def _ready(self, proc: subprocess.Popen[bytes], ports: list[int], http: bool) -> bool:
        """A server answers on its port (``/healthz`` for the witness API); anything else is
        still running after a few seconds."""
        if not ports:
            time.sleep(QUIET_START_S)
            return proc.poll() is None
        if http:
            return wait_healthy(f"http://127.0.0.1:{ports[0]}", proc, SERVER_START_S)
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline and proc.poll() is None:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", ports[0])) == 0:
                    return True
            time.sleep(0.3)
        return False

    def _set(self, name: str, value: str) -> None:
        with self.state.open("a", encoding="utf-8") as fh:
            fh.write(f"export {name}={shlex.quote(value)}\n")

    def close(self) -> None:
        for proc in self.background:
            stop(proc)
        self.background.clear()
