"""Reading the shell commands out of Markdown pages.

A fenced block tagged ``sh``, ``bash``, ``shell`` or ``console`` holds commands; in a
``console`` block only the lines after a ``$ `` prompt are commands (the rest is output).
Comment lines and blank lines are not commands; a line ending in a backslash continues on
the next. An HTML comment just before the fence says how the test treats the block:

    <!-- doc-test: skip (why it cannot run in a test) -->
    <!-- doc-test: own-home (why) -->    a private copy of the prepared log, no server
    <!-- doc-test: fresh-home (why) -->  an empty data directory

Anything else that is not a command goes in a ``text`` (or ``json``, ``js``…) fence. A fence
without a language whose first line starts like a command is a mistake the test reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHELL_LANGS = frozenset({"sh", "bash", "shell", "console"})
MODES = frozenset({"skip", "own-home", "fresh-home"})
FENCE = re.compile(r"^(?P<indent> {0,3}|  {1,4})(?P<fence>```+|~~~+)\s*(?P<lang>[\w+-]*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*doc-test:\s*(?P<mode>[\w-]+)\s*(?:\((?P<why>.*)\))?\s*-->\s*$")
LOOKS_LIKE_COMMAND = re.compile(
    r"^\s*(\$ )?(witness(-verify|-cosign)?|curl|make|pip|python3?|node|npm|npx|cd|export|"
    r"\.venv/bin/\S+|[A-Z_]+=\S*\s+witness\S*)(\s|$)")


@dataclass(frozen=True)
class Command:
    """One command as a reader would type it, at the page line where it starts."""

    line: int
    text: str


@dataclass(frozen=True)
class Block:
    """A fenced block of shell commands on a page."""

    page: Path
    line: int
    lang: str
    commands: tuple[Command, ...]
    mode: str = "shared"
    why: str = ""

    @property
    def where(self) -> str:
        return f"{rel(self.page)}:{self.line}"


def rel(page: Path) -> str:
    """The page as the repository names it (docs/api.md), else its file name."""
    return str(page.relative_to(ROOT)) if page.is_relative_to(ROOT) else page.name


@dataclass
class PageScan:
    """What a page holds: its shell blocks and the mistakes in its markers and fences."""

    page: Path
    blocks: list[Block] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def scan(page: Path) -> PageScan:
    lines = page.read_text(encoding="utf-8").splitlines()
    out = PageScan(page)
    marker: tuple[int, str, str] | None = None
    i = 0
    while i < len(lines):
        found = MARKER.match(lines[i])
        if found:
            if marker is not None:
                out.problems.append(f"{rel(page)}:{marker[0]}: doc-test marker without a block")
            marker = (i + 1, found["mode"], (found["why"] or "").strip())
            i += 1
            continue
        fence = FENCE.match(lines[i])
        if not fence:
            if marker is not None and lines[i].strip():
                out.problems.append(f"{rel(page)}:{marker[0]}: doc-test marker without a block")
                marker = None
            i += 1
            continue
        end = _closing(lines, i, fence["fence"])
        body = [ln[len(fence["indent"]):] for ln in lines[i + 1:end]]
        _take_block(out, i + 1, fence["lang"].lower(), body, marker)
        marker = None
        i = end + 1
    return out


def _closing(lines: list[str], start: int, fence: str) -> int:
    for j in range(start + 1, len(lines)):
        if lines[j].strip().startswith(fence) and not lines[j].strip()[len(fence):].strip():
            return j
    return len(lines)


def _take_block(out: PageScan, line: int, lang: str, body: list[str],
                marker: tuple[int, str, str] | None) -> None:
    where = f"{rel(out.page)}:{line}"
    if lang not in SHELL_LANGS:
        if marker is not None:
            out.problems.append(f"{where}: doc-test marker on a {lang or 'bare'} block")
        if not lang and body and LOOKS_LIKE_COMMAND.match(body[0]):
            out.problems.append(f"{where}: a fence without a language holds a command "
                                "(tag it sh to have it run, or text if it is not a command)")
        return
    mode, why = ("shared", "") if marker is None else (marker[1], marker[2])
    if marker is None:
        pass
    elif mode not in MODES:
        out.problems.append(f"{where}: unknown doc-test mode {mode!r} (one of {sorted(MODES)})")
    elif not why:
        out.problems.append(f"{where}: doc-test: {mode} needs a reason in parentheses")
    commands = tuple(commands_of(body, line + 1, console=lang == "console"))
    out.blocks.append(Block(out.page, line, lang, commands, mode, why))


def commands_of(body: list[str], first_line: int, console: bool = False) -> list[Command]:
    """The commands of a block's lines (``first_line`` is the page line of ``body[0]``)."""
    commands: list[Command] = []
    pending: list[str] = []
    start = 0
    for offset, raw in enumerate(body):
        text = raw
        if not pending:
            if console:
                if not text.startswith("$ "):
                    continue
                text = text[2:]
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            start = first_line + offset
        pending.append(text)
        if not text.rstrip().endswith("\\"):
            commands.append(Command(start, "\n".join(pending)))
            pending = []
    if pending:
        commands.append(Command(start, "\n".join(pending)))
    return commands
