"""The portal's static files (``/static``): CSS, page scripts, images, the verifier bundle
and, once built, the vendor assets of ``/docs`` and ``/redoc``. Served from the package
directory, so an installed wheel serves the same files."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).with_name("static")


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")
