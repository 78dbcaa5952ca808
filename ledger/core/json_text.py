"""JSON text from outside: UTF-8, nesting bounded, names unique.

Role: the one place where untrusted JSON bytes (posted bodies, receipts, bundles, trust
policies) become Python values. Three rules, checked before or while parsing:

- depth: at most ``MAX_JSON_DEPTH`` nested arrays and objects, counted without recursion.
  Some libraries raise the interpreter's recursion limit (py_ecc, loaded with web3, sets
  100000); the standard parser then recurses until the C stack overflows, and the process
  dies instead of raising ``RecursionError``.
- encoding: UTF-8 only (RFC 8259 §8.1). ``json.loads`` on bytes also guesses UTF-16 and
  UTF-32 from NUL bytes, a reading in which the byte-level depth count would not hold.
- names: a name repeated in one object is refused. RFC 8785 canonical form requires unique
  names, and "the last one wins" lets two readers see two different documents.

Must not import anything outside the standard library.
"""

from __future__ import annotations

import json
import re
from array import array
from dataclasses import dataclass
from itertools import accumulate, islice
from typing import Any

from ledger.core.errors import MalformedError

MAX_JSON_DEPTH = 64
_CHUNK = 1 << 16  # largest step of the depth walk, in brackets (it may stop after each)
_LOCATE_TOKENS = 200_000  # tokens read to name where a too-deep value sits (then "")
_SHOWN = 64  # characters of a name shown in a path or message

_MARKS = bytes(range(256)).translate(None, b'"[]{}')  # delete all but quotes and brackets
_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # opener +1, closer -1 (as int8)
_TOKEN = re.compile(rb'"[^"]*"|[\[\]{}:,]')
_BOM = b"\xef\xbb\xbf"


class JsonInputError(MalformedError):
    """JSON refused. ``reason``: ``encoding``, ``syntax``, ``depth`` or ``duplicate``.

    ``loc`` is the dotted path of the offending value (``payload.file_meta.author``,
    ``events.3.payload``; "" for the whole text or when unknown) and ``key`` the repeated
    name. Both are printable and shortened, fit for a one-line message or an API answer.
    """

    def __init__(self, message: str, *, reason: str, loc: str = "", key: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.loc = loc
        self.key = key


def check_json_depth(data: bytes | str, limit: int = MAX_JSON_DEPTH, *,
                     what: str = "JSON") -> None:
    """Refuse JSON text nested deeper than ``limit`` before a parser sees it.

    Exact for UTF-8 text (parse the text decoded as UTF-8, as :func:`loads_strict` does).
    Inputs with at most ``limit`` brackets, such as a typical event, cost one pass (C speed).
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= limit:  # counting a byte is a fast C scan
        return
    text = _blank_escapes(raw)
    marks = text.translate(None, _MARKS)  # one pass over the text; the rest is on marks
    if _max_depth_exceeds(_bracket_steps(marks), limit):
        loc = _locate_depth(text, raw, limit)
        where = f" at {_shorten(loc)}" if loc else ""
        raise JsonInputError(f"{what} nested deeper than {limit} levels{where}",
                             reason="depth", loc=loc)


def _blank_escapes(raw: bytes) -> bytes:
    # An escaped backslash or quote never opens or closes a string. Overwriting the pairs
    # (left to right, as a parser reads them) keeps every offset where it was.
    if b"\\\\" in raw:
        raw = raw.replace(b"\\\\", b"__")
    if b'\\"' in raw:
        raw = raw.replace(b'\\"', b"__")
    return raw


def _bracket_steps(marks: bytes) -> bytes:
    """+1/-1 (as int8 bytes) for each bracket outside strings, from quotes and brackets."""
    # Dropping two adjacent quotes leaves every bracket inside or outside a string as it
    # was; what remains of the quotes surrounds brackets that sit inside strings.
    marks = marks.replace(b'""', b"")
    if b'"' in marks:
        marks = b"".join(marks.split(b'"')[::2])
    return marks.translate(_STEP)


def _max_depth_exceeds(steps: bytes, limit: int) -> bool:
    # Once the count is back at zero or below, a parser has stopped (its one value is
    # complete, or a closer came first): whatever follows is never parsed. Chunks grow
    # from small, so that a hostile run of openers is refused after a few hundred.
    depth, start, size = 0, 0, 256
    while start < len(steps):
        sums = list(accumulate(array("b", steps[start:start + size]), initial=depth))
        if max(sums) > limit:
            return True
        depth, start, size = sums[-1], start + size, min(size * 2, _CHUNK)
    return False


@dataclass
class _Frame:
    is_object: bool
    name: str | int
    want_name: bool


def _locate_depth(text: bytes, raw: bytes, limit: int) -> str:
    """The path of the first value nested deeper than ``limit`` ("" if not found cheaply)."""
    frames: list[_Frame] = []
    for match in islice(_TOKEN.finditer(text), _LOCATE_TOKENS):
        token = text[match.start()]
        top = frames[-1] if frames else None
        if token in b"[{":
            if len(frames) == limit:
                return ".".join(_component(f.name) for f in frames)
            frames.append(_Frame(token == ord("{"), "" if token == ord("{") else 0,
                                 token == ord("{")))
        elif token in b"]}":
            if frames:
                frames.pop()
        elif top is None:
            continue
        elif token == ord('"'):
            if top.is_object and top.want_name:
                top.name = _name(raw[match.start():match.end()])
        elif token == ord(":"):
            top.want_name = False
        elif top.is_object:  # a comma
            top.want_name = True
        elif isinstance(top.name, int):
            top.name += 1
    return ""


def _name(token: bytes) -> str:
    try:
        name = json.loads(token.decode("utf-8"))
    except ValueError:
        return token[1:-1].decode("utf-8", "replace")
    return name if isinstance(name, str) else ""


def _component(name: str | int) -> str:
    """A path component that is printable and short (names come from the input)."""
    text = str(name)[:_SHOWN]
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


class _RepeatedName(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


class _Marked:
    """Stands in for an object with a repeated name, so a walk can find where it sits."""

    def __init__(self, name: str) -> None:
        self.name = name


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _RepeatedName(_first_repeat(pairs))
    return obj


def _marking(pairs: list[tuple[str, Any]]) -> dict[str, Any] | _Marked:
    obj = dict(pairs)
    return obj if len(obj) == len(pairs) else _Marked(_first_repeat(pairs))


def _first_repeat(pairs: list[tuple[str, Any]]) -> str:
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            return name
        seen.add(name)
    return ""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


# Shared decoders: building one per call would cost more than parsing a typical event.
_STRICT = json.JSONDecoder(object_pairs_hook=_unique, parse_constant=_no_constant)
_LOCATING = json.JSONDecoder(object_pairs_hook=_marking, parse_constant=_no_constant)


def loads_strict(data: bytes | str, *, what: str = "JSON", limit: int = MAX_JSON_DEPTH) -> Any:
    """Parse UTF-8 JSON text: nesting at most ``limit``, names unique, no NaN or Infinity.

    One leading UTF-8 byte order mark is ignored (RFC 8259 allows it). Every refusal is a
    :class:`JsonInputError` whose message starts with ``what`` and fits on one line.
    """
    if isinstance(data, str):
        text = data
    else:
        skip = len(_BOM) if data.startswith(_BOM) else 0  # faster than the utf-8-sig codec
        try:
            text = data[skip:].decode()
        except UnicodeDecodeError as exc:
            raise JsonInputError(f"{what} is not UTF-8 text (byte {exc.start + skip})",
                                 reason="encoding") from None
    check_json_depth(data, limit, what=what)
    try:
        return _STRICT.decode(text)
    except _RepeatedName as exc:
        loc = _locate_repeat(text, exc.name)
        key = _component(exc.name)
        raise JsonInputError(f"{what} has a duplicate key '{key}' at {_shorten(loc)}",
                             reason="duplicate", loc=loc, key=key) from None
    except (ValueError, RecursionError) as exc:  # syntax, integer digits, NaN
        raise JsonInputError(f"{what} is not JSON: {_shorten(str(exc), 200)}",
                             reason="syntax") from None


def _locate_repeat(text: str, name: str) -> str:
    """The path of a repeated name, found by parsing again with objects marked."""
    try:
        value = _LOCATING.decode(text)
    except ValueError:  # broken after the repeat: the name alone says enough
        return _component(name)
    stack: list[tuple[tuple[str, ...], Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, _Marked):
            return ".".join((*path, _component(item.name)))
        if isinstance(item, dict):
            stack.extend(((*path, _component(k)), v) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend(((*path, str(i)), v) for i, v in reversed(list(enumerate(item))))
    return _component(name)
