"""One mapping from an error to an exit code and a one-line message, for every command line.

``witness`` (ledger.cli.app) and ``witness-verify`` (verifier.cli) end the same way: 0 done
(intact or pending), 1 a failure (an integrity problem, a state that refuses the request,
an internal error), 2 bad input or usage, 3 a source (file, server, chain, database) that
could not be reached, 130 interrupted — as docs/cli.md and docs/verifier.md say. Both call
:func:`classify`, so the same error never ends with two different codes.

The core imports no third-party library, yet the command lines meet exceptions of two: Click
(usage errors) and SQLAlchemy (a database that is down). They are recognised through
``sys.modules``: an exception of a library can only exist once its module is loaded, so a
lookup sees every one that can occur without importing anything here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from ledger.core.errors import (
    InvalidRequestError,
    MalformedError,
    SourceUnavailable,
    WitnessError,
)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_UNREACHABLE = 3
EXIT_INTERRUPTED = 130

# A path that names nothing readable is the user's input; any other OS error is the source.
_BAD_PATH = (FileNotFoundError, IsADirectoryError, NotADirectoryError)


@dataclass(frozen=True)
class ExitOutcome:
    """How a command line ends on an error: its exit code and the line it prints."""

    code: int
    message: str
    internal: bool = False  # unexpected: WITNESS_DEBUG=1 shows the traceback instead


def classify(exc: BaseException) -> ExitOutcome:
    """The exit code and one-line message for ``exc`` (first matching rule wins)."""
    foreign = _foreign(exc)
    if foreign is not None:
        return foreign
    if isinstance(exc, KeyboardInterrupt):
        return ExitOutcome(EXIT_INTERRUPTED, "aborted")
    if isinstance(exc, SourceUnavailable):
        text = _text(exc)
        return ExitOutcome(EXIT_UNREACHABLE,
                           f"cannot reach {exc.source}: {_first_line(exc)}" if exc.source else text)
    # before WitnessError: an invalid event is both a WitnessError and a ValueError
    if isinstance(exc, (MalformedError, InvalidRequestError, ValueError, RecursionError)):
        return ExitOutcome(EXIT_BAD_INPUT, _text(exc))
    if isinstance(exc, WitnessError):
        return ExitOutcome(EXIT_FAILURE, _text(exc))
    if isinstance(exc, ModuleNotFoundError):  # an optional extra that is not installed
        return ExitOutcome(EXIT_BAD_INPUT, f"the module {exc.name or exc} is not installed")
    if isinstance(exc, OSError):
        code = EXIT_BAD_INPUT if isinstance(exc, _BAD_PATH) else EXIT_UNREACHABLE
        where = f": {exc.filename}" if exc.filename else ""
        return ExitOutcome(code, f"{exc.strerror or _text(exc)}{where}")
    return ExitOutcome(EXIT_FAILURE, f"internal error ({type(exc).__name__}): {exc}; "
                       "set WITNESS_DEBUG=1 for details", internal=True)


def _foreign(exc: BaseException) -> ExitOutcome | None:
    """Click's abort and usage errors; SQLAlchemy's "cannot connect" (see the docstring)."""
    click_exc = sys.modules.get("click.exceptions")
    if click_exc is not None:
        if isinstance(exc, click_exc.Abort):
            return ExitOutcome(EXIT_INTERRUPTED, "aborted")
        if isinstance(exc, click_exc.ClickException):
            return ExitOutcome(EXIT_BAD_INPUT, exc.format_message())
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return ExitOutcome(EXIT_UNREACHABLE, f"cannot reach the database: {_first_line(exc)}")
    return None


def _text(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _first_line(exc: BaseException) -> str:
    """The first line of a driver's message (they run over several, with SQL and hints)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
