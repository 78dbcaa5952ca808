"""Test helper: the classes of wording defect a finding's messages must not show.

``defects(finding)`` reads ``message_zh`` / ``message_en`` and returns one line per defect:
an English word in the Chinese message (ids and codes — tokens with a digit, or upper case
— are allowed), a UTC time, a raw ISO timestamp, a long count of seconds, an amount or
ratio with more than two decimals, a Python list / dict / Decimal repr, a payload field
name, Chinese punctuation in the English message, and a ``computed`` value that still
reads as a raw seconds count or a float string of an amount.
"""

from __future__ import annotations

import re

from ledger.rules.model import Finding

_ASCII_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_\-./:@]*")
_CHECKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("UTC time", re.compile(r"\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z\b|\+00:00)|\bUTC\b")),
    ("raw ISO timestamp", re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:")),
    ("long seconds count", re.compile(
        r"(?<![\d.,])(?:\d{4,}|\d{1,3}(?:,\d{3})+)(?:\.\d+)?\s*(?:s\b|秒|sec|seconds?\b)")),
    ("more than two decimals", re.compile(r"(?<![\d.])\d+\.\d{3,}(?![\d.])")),
    ("Python repr", re.compile(r"\[\s*'|'\s*\]|\{\s*'|Decimal\(|datetime\(|\bNone\b"
                               r"|\bTrue\b|\bFalse\b")),
    ("field name", re.compile(r"`|\b[a-z]+(?:_[a-z]+)+\b")),
)


def _english_words(text: str) -> list[str]:
    """ASCII words in a Chinese message that are neither ids nor codes."""
    words = []
    for token in _ASCII_WORD.findall(text):
        core = token.strip("-./:@")
        if any(c.isdigit() for c in core) or core.upper() == core or re.fullmatch(
                r"[0-9a-f]{8,}", core):  # ids, codes and digests
            continue
        words.append(core)
    return words


def message_defects(zh: str, en: str) -> list[str]:
    out = [f"{name}: {m.group(0)!r}" for text in (zh, en) for name, rx in _CHECKS
           for m in [rx.search(text)] if m]
    words = _english_words(re.sub(r"“[^”]*”", "", zh))  # recorded data is quoted
    if words:
        out.append(f"English in message_zh: {words}")
    punct = re.search(r"[，。：；（）、]", re.sub(r"“[^”]*”", "", en))  # quoted data aside
    if punct:
        out.append(f"Chinese punctuation in message_en: {punct.group(0)!r}")
    return out


def defects(f: Finding) -> list[str]:
    return [f"{f.rule_id}: {d}" for d in message_defects(f.message_zh, f.message_en)]
