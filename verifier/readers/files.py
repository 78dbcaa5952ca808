"""Reading local files with a size bound, and hashing large files in a stream.

``check_json_depth`` is the core's (``ledger.core.json_text``), re-exported for the checks
that import it from here: one depth rule for the ledger, the service and the verifier.

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ledger.core.errors import MalformedError
from ledger.core.json_text import MAX_JSON_DEPTH, check_json_depth
from verifier.readers import SourceUnavailable

__all__ = ["CHUNK", "MAX_JSON_DEPTH", "check_json_depth", "read_bounded", "sha256_file"]

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
