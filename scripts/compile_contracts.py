"""Compile the Solidity contracts into committed, byte-stable JSON artifacts.

No native ``solc`` can be installed here, so py-solc-x drives the pinned solc-js from
``hardhat-node/node_modules/solc`` through ``hardhat-node/solcjs-wrapper.js``, a small Node
script that answers ``--version`` and ``--standard-json`` like the native binary would.

Usage::

    python scripts/compile_contracts.py           # (re)write ledger/anchoring/artifacts/*.json
    python scripts/compile_contracts.py --check   # exit 1 if a committed artifact is stale

Artifacts are written with sorted keys, indent 2 and a trailing newline, so compiling the same
source with the same compiler and settings yields byte-identical files. Runtime code only reads
the artifacts; it never needs a compiler.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = ROOT / "contracts"
ARTIFACTS_DIR = ROOT / "ledger" / "anchoring" / "artifacts"  # shipped in the package
HARDHAT_DIR = ROOT / "hardhat-node"
NODE_MODULES = HARDHAT_DIR / "node_modules"
WRAPPER = HARDHAT_DIR / "solcjs-wrapper.js"

#: Compiler settings, pinned: they are part of the artifact and of its reproducibility.
EVM_VERSION = "cancun"
SETTINGS: dict[str, Any] = {
    "evmVersion": EVM_VERSION,
    "optimizer": {"enabled": True, "runs": 200},
    "metadata": {"bytecodeHash": "none", "appendCBOR": False},
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
}


@dataclass(frozen=True)
class ContractSpec:
    """A contract to compile: its source file (relative to ``contracts/``) and name."""

    source: str
    name: str


CONTRACTS: tuple[ContractSpec, ...] = (ContractSpec("WitnessRegistry.sol", "WitnessRegistry"),)


class CompileError(RuntimeError):
    """The toolchain is missing or the compiler reported an error."""


def check_toolchain() -> None:
    """Fail with an actionable message if the solc-js wrapper cannot run."""
    if not (NODE_MODULES / "solc").is_dir():
        raise CompileError(
            f"{NODE_MODULES / 'solc'} is missing: run `npm ci` in {HARDHAT_DIR} (or `make node`)"
        )
    if not WRAPPER.is_file():
        raise CompileError(f"compiler wrapper {WRAPPER} is missing")


def compiler_version() -> str:
    """The full solc-js version string, e.g. ``0.8.26+commit.8a97fa7a``."""
    return str(solcx.wrapper.get_version_str_from_solc_binary(WRAPPER))


def _standard_input(sources: dict[str, str]) -> dict[str, Any]:
    return {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": SETTINGS,
    }


def compile_contract(spec: ContractSpec) -> dict[str, Any]:
    """Compile one contract and return its artifact as a JSON-ready dict."""
    check_toolchain()
    source_text = (CONTRACTS_DIR / spec.source).read_text(encoding="utf-8")
    try:
        output = solcx.compile_standard(
            _standard_input({spec.source: source_text}),
            base_path=str(CONTRACTS_DIR),
            allow_paths=[str(NODE_MODULES)],
            solc_binary=str(WRAPPER),
        )
    except solcx.exceptions.SolcError as exc:
        raise CompileError(f"compiling {spec.source} failed:\n{exc}") from exc
    contract = output["contracts"][spec.source][spec.name]
    return {
        "contractName": spec.name,
        "abi": contract["abi"],
        "bytecode": "0x" + contract["evm"]["bytecode"]["object"],
        "deployedBytecode": "0x" + contract["evm"]["deployedBytecode"]["object"],
        "compiler": {"solc": compiler_version(), "settings": SETTINGS},
        "sourceSha256": hashlib.sha256(source_text.encode("utf-8")).hexdigest(),
    }


def render(artifact: dict[str, Any]) -> str:
    """The stable text form of an artifact."""
    return json.dumps(artifact, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def artifact_path(spec: ContractSpec) -> Path:
    """Where the committed artifact of ``spec`` lives."""
    return ARTIFACTS_DIR / f"{spec.name}.json"


def write_all() -> list[Path]:
    """Compile every contract and (re)write its artifact."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in CONTRACTS:
        path = artifact_path(spec)
        path.write_text(render(compile_contract(spec)), encoding="utf-8")
        written.append(path)
    return written


def check_all() -> list[str]:
    """Recompile in memory; return one message per artifact that is missing or differs."""
    problems = []
    for spec in CONTRACTS:
        path = artifact_path(spec)
        fresh = render(compile_contract(spec))
        if not path.is_file():
            problems.append(f"{path.relative_to(ROOT)} is missing")
        elif path.read_text(encoding="utf-8") != fresh:
            problems.append(
                f"{path.relative_to(ROOT)} differs from a fresh compile of contracts/{spec.source}"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="recompile in memory and exit 1 if a committed artifact differs",
    )
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = check_all()
            for problem in problems:
                print(f"error: {problem}", file=sys.stderr)
            if problems:
                print(
                    "run `python scripts/compile_contracts.py` and commit "
                    "ledger/anchoring/artifacts/",
                    file=sys.stderr,
                )
                return 1
            print("contract artifacts are up to date")
            return 0
        for path in write_all():
            print(f"wrote {path.relative_to(ROOT)}")
        return 0
    except CompileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
