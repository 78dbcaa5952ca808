"""The README and docs/ stay a closed, working set of pages.

Every relative Markdown link resolves to a file in the repository, and every `#anchor` to a
heading (or an explicit `<a id>`) of its target page; the README stays a short front door; and
no page points outside the repository (a sibling checkout, a rules or design file that is not
here, an issue number), because a reader of the repository cannot follow such a pointer.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_CHARS = 10_000

FENCE = re.compile(r"^ {0,3}(```|~~~)")
INLINE_CODE = re.compile(r"`+[^`]*`+")
# [text](target) and ![alt](target); the text may hold one level of brackets.
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
EXPLICIT_ID = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
FORBIDDEN = [
    (re.compile(r"\.\./shared"), "a path outside the repository"),
    (re.compile(r"\bRULES\.md\b"), "a rules file that is not in the repository"),
    (re.compile(r"\bDESIGN\.md\b"), "a design file that is not in the repository"),
    (re.compile(r"\bissue\s*#?\d+", re.IGNORECASE), "an issue number"),
    (re.compile(r"\bthe issue\b", re.IGNORECASE), "an issue"),
]


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks, inline code removed: links and
    headings live there, while code may legitimately contain brackets and `#`."""
    lines: list[tuple[int, str]] = []
    fenced = False
    for number, line in enumerate(text.splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, INLINE_CODE.sub("", line)))
    return lines


def slug(heading: str) -> str:
    """The anchor a Markdown renderer (GitHub's rules) gives a heading: markup and
    punctuation dropped, lower case, spaces to hyphens; letters of any script kept."""
    text = EXPLICIT_ID.sub("", heading)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.lower()
    text = "".join(ch for ch in text if ch.isalnum() or ch in " -_")
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every anchor of a page: heading slugs (duplicates numbered as renderers do) and
    explicit `<a id>` targets. Headings are read with inline code kept, since it counts."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        found.update(EXPLICIT_ID.findall(line))
        match = HEADING.match(line)
        if match:
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[tuple[int, str]]:
    text = page.read_text(encoding="utf-8")
    return [(number, m.group(1)) for number, line in _prose_lines(text)
            for m in LINK.finditer(line)]


def broken_links(page: Path, root: Path = ROOT) -> list[str]:
    """Each relative link of ``page`` whose file or anchor does not exist, or that leaves
    ``root``, as 'line: target (why)'."""
    problems = []
    for number, target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / unquote(path_part)).resolve() if path_part else page
        if not dest.exists():
            problems.append(f"{number}: {target} (no such file)")
        elif anchor and dest.suffix == ".md" and unquote(anchor) not in anchors(dest):
            problems.append(f"{number}: {target} (no such heading)")
        elif not dest.is_relative_to(root):
            problems.append(f"{number}: {target} (outside the repository)")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    assert broken_links(page) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_refers_outside_the_repository(page: Path) -> None:
    hits = [f"{number}: {why}: {line.strip()[:120]}"
            for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
            for pattern, why in FORBIDDEN if pattern.search(line)]
    assert hits == []


def test_readme_is_a_short_front_door() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text) <= README_MAX_CHARS, f"README.md has {len(text)} characters"
    for needed in ("make demo", "make test", "docs/design.md", "docs/benchmarks.md"):
        assert needed in text


def test_the_checker_finds_what_it_should(tmp_path: Path) -> None:
    """The checker itself, on a page with good links, two bad ones and links in code that
    must be ignored, so a regex slip cannot make the tests above pass vacuously."""
    (tmp_path / "other.md").write_text("# A title (`v1`)\n## Twice\n## Twice\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n[ok](other.md#a-title-v1) [dup](other.md#twice-1) [self](#page)\n"
        "[gone](missing.md) [bad anchor](other.md#nope)\n"
        "`[in code](nowhere.md)`\n```\n[fenced](nowhere.md)\n```\n"
        "[web](https://example.org/x)\n",
        encoding="utf-8",
    )
    assert slug("9. Witness cosignatures (C2SP tlog-witness, tlog-cosignature)") == (
        "9-witness-cosignatures-c2sp-tlog-witness-tlog-cosignature")
    assert slug("More than one chain (`witness-trust/v2`)") == "more-than-one-chain-witness-trustv2"
    assert broken_links(page, root=tmp_path) == ["3: missing.md (no such file)",
                                                 "3: other.md#nope (no such heading)"]


CODE_FORBIDDEN = re.compile(
    r"(?i:\bissue\s*#?\d+)|\.\./shared|/work/shared|(?<!docs/)\b(?:RULES|DESIGN)\.md\b")


def test_no_code_comment_refers_outside_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files", "*.py", "*.sol", "*.js", "Makefile", "*.toml"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    hits = [f"{name}:{n}" for name in tracked if name != "tests/test_docs_links.py"
            for n, line in enumerate((ROOT / name).read_text(encoding="utf-8").splitlines(), 1)
            if CODE_FORBIDDEN.search(line)]
    assert hits == []
