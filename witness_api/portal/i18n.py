"""The portal's two languages: one message catalogue each (``i18n/zh.json``, ``i18n/en.json``).

Chinese (zh-CN) is the default whatever the browser's Accept-Language says: the portal
serves a Chinese public body. ``?lang=en`` or ``?lang=zh`` on any page switches and sets the
``lang`` cookie, which later requests follow. Both catalogues hold the same keys (a test
compares them); a key missing from one is a bug, shown as the key itself rather than
hiding the gap.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, Literal

from fastapi import Request

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")
LANG_COOKIE = "lang"
HTML_LANG: Mapping[Lang, str] = {"zh": "zh-CN", "en": "en"}
CATALOGUE_DIR = Path(__file__).with_name("i18n")


@cache
def catalogue(lang: Lang) -> Mapping[str, str]:
    """The messages of ``lang``, loaded once per process."""
    data = json.loads((CATALOGUE_DIR / f"{lang}.json").read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"i18n/{lang}.json must map keys to strings")
    return data


def as_lang(value: str | None) -> Lang | None:
    return "en" if value == "en" else "zh" if value == "zh" else None


def request_lang(request: Request) -> Lang:
    """``?lang=`` first, then the cookie, then Chinese."""
    return (as_lang(request.query_params.get("lang"))
            or as_lang(request.cookies.get(LANG_COOKIE)) or "zh")


class Translator:
    """``t("key", name=value)``: the message of one language, formatted."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self.messages = catalogue(lang)

    def __call__(self, key: str, **values: Any) -> str:
        text = self.messages.get(key, key)
        return text.format(**values) if values else text

    def pick(self, zh: str | None, en: str | None) -> str:
        """One of a pair of texts the data carries in both languages (zh as fallback)."""
        return (en or zh or "") if self.lang == "en" else (zh or en or "")
