"""Real failures for the background-loop and operations tests: a small tmpfs that fills up.

``small_tmpfs`` mounts a tmpfs of a few MiB (root or CAP_SYS_ADMIN needed; without it the
test is skipped with the reason, except under ``CI=true`` where it fails), ``fill`` takes
every free byte of it with a file whose removal frees the space again.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import unavailable


@contextmanager
def small_tmpfs(where: Path, size_mb: int = 16) -> Iterator[Path]:
    """A tmpfs of ``size_mb`` MiB mounted at ``where`` for the block; unmounted after."""
    where.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0755", "tmpfs",
                        str(where)], check=True, capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        unavailable("no mount command: the full-disk tests mount a real tmpfs")
    except subprocess.CalledProcessError as exc:
        unavailable(f"cannot mount a tmpfs (needs root or CAP_SYS_ADMIN): "
                    f"{exc.stderr.strip() or exc.returncode}")
    try:
        yield where
    finally:
        done = subprocess.run(["umount", str(where)], capture_output=True, timeout=30)
        if done.returncode != 0:  # a file still open (a daemon thread): detach it anyway
            subprocess.run(["umount", "-l", str(where)], capture_output=True, timeout=30)


def fill(where: Path) -> Path:
    """Take all the free space of ``where``'s file system; the file to delete to free it."""
    filler = where / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for size in (64 * 1024, 4096, 512, 1):  # down to the last byte
            block = b"\0" * size
            try:
                while True:
                    os.write(fd, block)
            except OSError:  # ENOSPC
                continue
    finally:
        os.close(fd)
    return filler


def wait_for(what: str, check: Callable[[], bool], timeout: float = 30.0) -> float:
    """Poll ``check`` until it is true; the seconds it took (fails after ``timeout``)."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        time.sleep(0.1)
    return time.monotonic() - start


def thread_named(name: str) -> threading.Thread | None:
    return next((t for t in threading.enumerate() if t.name == name), None)
