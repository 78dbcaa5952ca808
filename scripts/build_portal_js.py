"""Build the portal's browser verifier bundle and copy the portal's vendor assets.

``portal-js/src/browser.mjs`` → ``witness_api/portal/static/js/witness-verify.js``: an IIFE
(global ``WitnessVerify``), minified, with no legal comments, timestamps or paths in it, so
the same sources and the same pinned esbuild give the same bytes (the bundle is committed).
The licences of the libraries bundled into it (MIT, Apache-2.0: both require their notice
to travel with copies) are written next to it as ``witness-verify.js.LICENSE.txt``. Then
the vendor assets the portal serves from ``static/vendor/`` (gitignored): Swagger UI and
ReDoc for ``/docs`` and ``/redoc`` with their licences (axe-core, for the browser tests,
stays in node_modules: see ``AXE``).

Runs ``npm ci`` in ``portal-js/`` first when its node_modules is missing or older than
``package-lock.json``.

Usage::

    python scripts/build_portal_js.py           # build, write the bundle, copy vendor assets
    python scripts/build_portal_js.py --check   # rebuild in a temporary directory; exit 1 if
                                                # the committed bundle differs
    python scripts/build_portal_js.py --vendor-only   # only copy the vendor assets
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "portal-js"
NODE_MODULES = PACKAGE / "node_modules"
STAMP = NODE_MODULES / ".installed"
STATIC = ROOT / "witness_api" / "portal" / "static"
BUNDLE = STATIC / "js" / "witness-verify.js"
LICENSES = STATIC / "js" / "witness-verify.js.LICENSE.txt"
VENDOR = STATIC / "vendor"
#: (package file, destination under static/vendor/)
VENDOR_FILES = (
    ("swagger-ui-dist/swagger-ui-bundle.js", "swagger-ui/swagger-ui-bundle.js"),
    ("swagger-ui-dist/swagger-ui.css", "swagger-ui/swagger-ui.css"),
    ("swagger-ui-dist/LICENSE", "swagger-ui/LICENSE"),
    ("swagger-ui-dist/NOTICE", "swagger-ui/NOTICE"),
    ("swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt",
     "swagger-ui/swagger-ui-bundle.js.LICENSE.txt"),
    ("redoc/bundles/redoc.standalone.js", "redoc/redoc.standalone.js"),
    ("redoc/LICENSE", "redoc/LICENSE"),
)
#: The accessibility checker the browser tests inject: a test tool, so it is read from
#: node_modules and never copied into the package (the wheel ships what it serves).
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
BANNER = "/*! witness-verify: third-party licences in witness-verify.js.LICENSE.txt */"
ESBUILD_ARGS = ("--bundle", "--format=iife", "--global-name=WitnessVerify", "--minify",
                "--legal-comments=none", "--target=es2020", "--charset=utf8",
                "--platform=browser", f"--banner:js={BANNER}")


class BuildError(RuntimeError):
    """The toolchain is missing or a step failed."""


def _run(cmd: list[str], what: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"SCARF_ANALYTICS": "false"}  # swagger-ui-dist's install telemetry
    try:
        done = subprocess.run(cmd, cwd=PACKAGE, env=env, capture_output=True, text=True,
                              check=False)
    except FileNotFoundError as exc:
        raise BuildError(f"{what}: {cmd[0]} not found (install Node.js 20 and npm)") from exc
    if done.returncode != 0:
        raise BuildError(f"{what} failed: {(done.stderr or done.stdout).strip()[-2000:]}")
    return done


def ensure_node_modules() -> None:
    """``npm ci`` when node_modules is missing or older than the lock file (the stamp is the
    one ``make`` uses, so either installs for both)."""
    lock = PACKAGE / "package-lock.json"
    if STAMP.is_file() and STAMP.stat().st_mtime >= lock.stat().st_mtime:
        return
    _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], "npm ci in portal-js")
    STAMP.touch()


def build_bundle(out_dir: Path) -> tuple[Path, Path]:
    """Bundle into ``out_dir``; the bundle and its licence file."""
    esbuild = NODE_MODULES / ".bin" / "esbuild"
    if not esbuild.exists():
        raise BuildError(f"{esbuild} is missing: run `npm ci` in {PACKAGE}")
    bundle, meta = out_dir / BUNDLE.name, out_dir / "meta.json"
    _run([str(esbuild), "src/browser.mjs", *ESBUILD_ARGS, f"--outfile={bundle}",
          f"--metafile={meta}", "--log-level=warning"], "esbuild")
    licenses = out_dir / LICENSES.name
    licenses.write_text(license_text(json.loads(meta.read_text())), encoding="utf-8")
    return bundle, licenses


def _package_of(path: str) -> str | None:
    """The npm package an esbuild input belongs to (``node_modules/@scope/name/…``)."""
    parts = path.split("/")
    if "node_modules" not in parts:
        return None
    at = parts.index("node_modules") + 1
    return "/".join(parts[at:at + 2]) if parts[at].startswith("@") else parts[at]


def license_text(meta: dict[str, object]) -> str:
    """The licence notice of every package whose code is in the bundle, in name order."""
    inputs = meta.get("inputs")
    names = sorted({p for p in map(_package_of, inputs if isinstance(inputs, dict) else {}) if p})
    out = ["Third-party software bundled into witness-verify.js, with its licence.", ""]
    for name in names:
        info = json.loads((NODE_MODULES / name / "package.json").read_text(encoding="utf-8"))
        texts = sorted(p for p in (NODE_MODULES / name).iterdir()
                       if p.name.upper().startswith(("LICENSE", "LICENCE", "COPYING")))
        out += [f"== {name} {info['version']} ({info.get('license', 'see below')})", ""]
        out += [t.read_text(encoding="utf-8").strip() + "\n" for t in texts]
    return "\n".join(out).rstrip() + "\n"


#: ReDoc's sidebar shows a logo fetched from its vendor's CDN; the intranet has none, so
#: the copy points it at a plain local mark (ours) instead of leaving a request outside.
REDOC_OUTSIDE_LOGO = b"https://cdn.redoc.ly/redoc/logo-mini.svg"
REDOC_LOCAL_LOGO = b"/static/vendor/redoc/logo-mini.svg"
LOCAL_LOGO_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="16" '
                  'height="16"><rect width="16" height="16" rx="3" fill="#8a1c1c"/></svg>\n')


def copy_vendor() -> list[Path]:
    written = []
    for source, dest in VENDOR_FILES:
        target = VENDOR / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        data = (NODE_MODULES / source).read_bytes()
        if dest == "redoc/redoc.standalone.js":
            data = data.replace(REDOC_OUTSIDE_LOGO, REDOC_LOCAL_LOGO)
        target.write_bytes(data)
        written.append(target)
    logo = VENDOR / "redoc" / "logo-mini.svg"
    logo.write_text(LOCAL_LOGO_SVG, encoding="utf-8")
    return [*written, logo]


def check() -> list[str]:
    """Rebuild in a temporary directory; one message per committed file that differs."""
    problems = []
    with tempfile.TemporaryDirectory(prefix="witness-verify-") as tmp:
        for fresh, committed in zip(build_bundle(Path(tmp)), (BUNDLE, LICENSES), strict=True):
            if not committed.is_file():
                problems.append(f"{committed.relative_to(ROOT)} is missing")
            elif committed.read_bytes() != fresh.read_bytes():
                problems.append(f"{committed.relative_to(ROOT)} differs from a fresh build of "
                                "portal-js/src")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="rebuild in a temporary directory and exit 1 if the committed "
                           "bundle differs")
    mode.add_argument("--vendor-only", action="store_true",
                      help="only copy the vendor assets (the committed bundle is left as is)")
    args = parser.parse_args(argv)
    try:
        ensure_node_modules()
        if args.vendor_only:
            for path in copy_vendor():
                print(f"copied {path.relative_to(ROOT)}")
            return 0
        if args.check:
            problems = check()
            for problem in problems:
                print(f"error: {problem}", file=sys.stderr)
            if problems:
                print("run `python scripts/build_portal_js.py` and commit the bundle",
                      file=sys.stderr)
                return 1
            print("the portal's verifier bundle is up to date")
            return 0
        BUNDLE.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="witness-verify-") as tmp:
            for built, dest in zip(build_bundle(Path(tmp)), (BUNDLE, LICENSES), strict=True):
                shutil.copyfile(built, dest)
                print(f"wrote {dest.relative_to(ROOT)}")
        for path in copy_vendor():
            print(f"copied {path.relative_to(ROOT)}")
        return 0
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
