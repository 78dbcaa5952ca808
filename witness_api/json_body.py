"""Request bodies parsed as ``loads_strict`` parses them, faster for the common body.

Role: the JSON guard's parser. ``parse_body(body)`` returns exactly what
``ledger.core.json_text.loads_strict`` returns for the same bytes and raises exactly what it
raises: a body is first parsed with orjson, and that value is kept only when it is provably
the one ``loads_strict`` would give; in every other case ``loads_strict`` parses the body
again and decides (the first parse is then wasted, which only happens for unusual bodies).

When orjson's value is ``loads_strict``'s: orjson accepted the body (UTF-8 without a byte
order mark or an escaped lone surrogate, strict RFC 8259 syntax), so both read the same
strings, names, literals and integers of at most 64 bits. What is left to check:

- numbers: orjson reads an integer beyond 64 bits as a float, the standard parser as an
  int. A value holding a float is handed over (event schemas refuse floats anyway).
- depth: orjson allows 1024 levels, ``loads_strict`` ``MAX_JSON_DEPTH``.
- names: orjson keeps the last of a repeated name, ``loads_strict`` refuses it. Every
  ``:`` of a JSON text is either inside a string or ends an object member's name, and orjson
  writes back each kept member and every string without escaping a colon: so when the body
  spells no colon as an escape (``\\u003a``), the body and orjson's text of its value have
  as many colons as each other exactly when no member was dropped.

For a batch of 500 events this costs about half of ``loads_strict`` (whose object hook and
depth scan are Python-level work per object).
"""

from __future__ import annotations

from typing import Any

import orjson

from ledger.core.json_text import MAX_JSON_DEPTH, loads_strict

# \u0030 to \u003f: a colon escaped in either case, or a character next to it (rare).
_ESCAPED_COLON_PREFIX = b"\\u003"


def parse_body(body: bytes, *, what: str = "request body") -> Any:
    """``loads_strict(body, what=what)``, with orjson's parse kept when it is the same."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return loads_strict(body, what=what)
    if _plain(value) and _names_unique(body, value):
        return value
    return loads_strict(body, what=what)


def _plain(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """No float anywhere and nesting within ``limit`` (counted as ``loads_strict`` does)."""
    if type(value) is float:
        return False
    if type(value) is not dict and type(value) is not list:
        return True
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        container, depth = pending.pop()
        if depth > limit:
            return False
        children = container.values() if type(container) is dict else container
        for child in children:
            kind = type(child)
            if kind is dict or kind is list:
                pending.append((child, depth + 1))
            elif kind is float:
                return False
    return True


def _names_unique(body: bytes, value: Any) -> bool:
    """No object of ``body`` repeats a name (see the module docstring for why this holds)."""
    if b"\\" in body and _ESCAPED_COLON_PREFIX in body:  # the first test is a memchr
        return False
    return body.count(b":") == orjson.dumps(value).count(b":")
