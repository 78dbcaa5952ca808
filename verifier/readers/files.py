"""Reading local files with a size bound, and hashing large files in a stream.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ledger.core.errors import MalformedError
from verifier.readers import SourceUnavailable

CHUNK = 1 << 20


def read_bounded(path: Path, limit: int, what: str) -> bytes:
    """The whole file, refusing one larger than ``limit`` bytes before reading it."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise MalformedError(f"{what} {path} is {size} bytes, more than the {limit} allowed")
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except FileNotFoundError as exc:
        raise MalformedError(f"{what} {path} does not exist") from exc
    except IsADirectoryError as exc:
        raise MalformedError(f"{what} {path} is a directory") from exc
    except OSError as exc:
        raise SourceUnavailable(f"cannot read {what} {path}: {exc.strerror or exc}") from exc
    if len(data) > limit:
        raise MalformedError(f"{what} {path} is larger than the {limit} bytes allowed")
    return data


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file of any size (bid documents can be large), read in chunks."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            while block := fh.read(CHUNK):
                digest.update(block)
    except FileNotFoundError as exc:
        raise MalformedError(f"file {path} does not exist") from exc
    except OSError as exc:
        raise SourceUnavailable(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()


MAX_JSON_DEPTH = 100
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def check_json_depth(data: bytes, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse JSON nested deeper than ``limit`` before a parser sees it.

    CPython's C JSON scanner can overflow the C stack (a crash, not an exception) on deeply
    nested input; a hostile receipt or bundle must give exit 2, not a segfault.
    """
    depth = 0
    for m in _BRACKET.finditer(_STRING.sub(b'""', data)):
        depth += 1 if m.group() in (b"[", b"{") else -1
        if depth > limit:
            raise MalformedError(f"JSON nested deeper than {limit} levels")
