"""Both command lines end the same way on the same error (ledger.core.exit_codes).

``witness`` and ``witness-verify`` are run through their real entry points with the command
group replaced by one that raises the error, so what is checked is what a user sees: the exit
code and one line on standard error, never a traceback. Every class of the one error
hierarchy (``WitnessError`` and below, the chain's errors included) is found by walking the
subclasses, so a new error class is covered without editing this file.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator

import click
import pytest
import sqlalchemy.exc

from ledger.core.errors import WitnessError
from ledger.core.exit_codes import (
    EXIT_BAD_INPUT,
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_UNREACHABLE,
    classify,
)

# Where the error classes live: imported so that the subclass walk sees them all.
ERROR_MODULES = ("ledger.errors", "ledger.events", "ledger.store.database", "ledger.keys",
                 "ledger.backup", "ledger.cosigning", "ledger.sealing.views",
                 "ledger.rules.calendar", "ledger.rules.regimes", "ledger.anchoring.anchorer",
                 "chain_access.errors", "verifier.readers", "ledger.core.receipt",
                 "ledger.core.sealed", "ledger.core.json_text")


def _subclasses(cls: type[BaseException]) -> Iterator[type[BaseException]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _instance(cls: type[BaseException]) -> BaseException:
    """An instance whatever the constructor's keywords: only the message matters here."""
    exc = cls.__new__(cls)
    BaseException.__init__(exc, f"{cls.__name__} happened")
    return exc


def _hierarchy() -> list[type[BaseException]]:
    for name in ERROR_MODULES:
        importlib.import_module(name)
    return sorted({WitnessError, *_subclasses(WitnessError)}, key=lambda c: c.__qualname__)


def _run(entry: str, exc: BaseException, monkeypatch: pytest.MonkeyPatch,
         capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run one CLI whose command group raises ``exc``: (exit code, standard error)."""
    def _raise(*_args: object, **_kwargs: object) -> None:
        raise exc

    module, group = {"witness": ("witness_api.cli", "ledger.cli.app"),
                     "witness-verify": ("verifier.cli", "verifier.cli"),
                     "witness-cosign": ("witness_cosign.cli", "witness_cosign.cli")}[entry]
    monkeypatch.setattr(importlib.import_module(group).cli, "main", _raise)
    monkeypatch.delenv("WITNESS_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exited:
        importlib.import_module(module).main([])
    err = capsys.readouterr().err
    return int(exited.value.code or 0), err


def _both(exc: BaseException, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> tuple[tuple[int, str], tuple[int, str]]:
    return (_run("witness", exc, monkeypatch, capsys),
            _run("witness-verify", exc, monkeypatch, capsys))


@pytest.mark.parametrize("cls", _hierarchy(), ids=lambda c: c.__name__)
def test_every_error_class_exits_the_same_in_both_clis(
        cls: type[BaseException], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    (code, err), (vcode, verr) = _both(_instance(cls), monkeypatch, capsys)
    assert code == vcode == classify(_instance(cls)).code
    assert code in (EXIT_FAILURE, EXIT_BAD_INPUT, EXIT_UNREACHABLE)  # never "internal"
    assert err.startswith("witness: ") and verr.startswith("witness-verify: ")
    assert err.removeprefix("witness: ") == verr.removeprefix("witness-verify: ")
    assert err.count("\n") == 1 and "Traceback" not in err + verr


def _chain(name: str, *args: object, **kwargs: object) -> BaseException:
    errors = importlib.import_module("chain_access.errors")
    exc: BaseException = getattr(errors, name)(*args, **kwargs)
    return exc


def _documented() -> list[tuple[str, BaseException, int]]:
    """The documented codes (docs/cli.md, docs/verifier.md), one example of each kind."""
    from ledger.core.errors import MalformedError, SignatureError, SourceUnavailable
    from ledger.errors import NotInitialisedError

    return [
        ("usage", click.UsageError("no such option: --x"), EXIT_BAD_INPUT),
        ("interrupted", click.exceptions.Abort(), EXIT_INTERRUPTED),
        ("malformed", MalformedError("receipt is not JSON"), EXIT_BAD_INPUT),
        ("value", ValueError("bad number"), EXIT_BAD_INPUT),
        ("too deep", RecursionError("maximum recursion depth exceeded"), EXIT_BAD_INPUT),
        ("missing path", FileNotFoundError(2, "No such file or directory", "x.json"),
         EXIT_BAD_INPUT),
        ("missing extra", ModuleNotFoundError("No module named 'web3'", name="web3"),
         EXIT_BAD_INPUT),
        ("signature", SignatureError("no valid signature"), EXIT_FAILURE),
        ("uninitialised", NotInitialisedError("run `witness init`"), EXIT_FAILURE),
        ("chain mismatch", _chain("ChainMismatch", "other chain", field="chain_id",
                                  expected=1, actual=2), EXIT_FAILURE),
        ("chain revert", _chain("ChainRevert", b"\x08\xc3\x79\xa0"), EXIT_FAILURE),
        ("source", SourceUnavailable("cannot read http://127.0.0.1:9"), EXIT_UNREACHABLE),
        ("chain down", _chain("ChainUnavailable", "connection refused"), EXIT_UNREACHABLE),
        ("database down", sqlalchemy.exc.OperationalError("SELECT 1", {}, OSError("refused")),
         EXIT_UNREACHABLE),
        ("unreadable", PermissionError(13, "Permission denied", "trust.json"), EXIT_UNREACHABLE),
        ("network", ConnectionRefusedError(111, "Connection refused"), EXIT_UNREACHABLE),
        ("internal", RuntimeError("a bug"), EXIT_FAILURE),
    ]


@pytest.mark.parametrize(("kind", "exc", "expected"), _documented(),
                         ids=[k for k, _, _ in _documented()])
def test_documented_codes_in_both_clis(kind: str, exc: BaseException, expected: int,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    (code, err), (vcode, verr) = _both(exc, monkeypatch, capsys)
    assert (code, vcode) == (expected, expected), (kind, err, verr)
    assert err.count("\n") == 1 and verr.count("\n") == 1
    assert "Traceback" not in err + verr


@pytest.mark.parametrize(("kind", "exc", "expected"),
                         [(c.__name__, _instance(c), classify(_instance(c)).code)
                          for c in _hierarchy()] + _documented(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_the_cosigner_ends_as_the_other_command_lines(
        kind: str, exc: BaseException, expected: int, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run("witness-cosign", exc, monkeypatch, capsys)
    assert code == expected, (kind, err)
    assert err.startswith("witness-cosign: ") and err.count("\n") == 1
    assert "Traceback" not in err


def test_unreachable_sources_are_named() -> None:
    chain = classify(_chain("ChainUnavailable", "connection refused\nmore detail"))
    assert chain.message == "cannot reach the chain: connection refused"
    db = classify(sqlalchemy.exc.OperationalError("SELECT 1", {}, OSError("refused")))
    assert db.message.startswith("cannot reach the database: ")


def test_an_internal_error_is_shown_with_witness_debug(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ledger.cli.app import cli, main

    def _raise(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "main", _raise)
    monkeypatch.setenv("WITNESS_DEBUG", "1")
    with pytest.raises(RuntimeError, match="a bug"):
        main([])


def test_every_public_error_of_the_cli_packages_is_in_the_one_hierarchy() -> None:
    """An error class outside ``WitnessError`` would escape the walk above and reach a user
    through the generic branch of ``classify``. Private classes are control flow inside one
    module; the HTTP service's own (problem answers, pages) never reach a command line."""
    import inspect
    import pkgutil

    outside = []
    for package in ("ledger", "verifier", "chain_access", "witness_cosign"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if info.name.endswith("__main__"):
                continue  # running it is the command line itself
            module = importlib.import_module(info.name)
            outside += [f"{info.name}.{name}" for name, cls in vars(module).items()
                        if inspect.isclass(cls) and issubclass(cls, BaseException)
                        and cls.__module__ == info.name and not name.startswith("_")
                        and not issubclass(cls, WitnessError)]
    assert outside == []
