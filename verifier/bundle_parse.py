"""Parsing a ``witness-bundle/v1`` file into typed parts, refusing anything malformed.

Role: structure only (types, sizes, versions); nothing here is trusted or verified — that is
``bundle_check``'s job. Every defect raises ``MalformedError`` (exit 2, one line).

Must not import: ``ledger.*`` other than ``ledger.core``, FastAPI.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.core.anchor_ref import AnchorRef, parse_anchor, parse_anchors
from ledger.core.errors import MalformedError
from ledger.core.formats import BUNDLE_FORMAT
from ledger.core.hashing import HASH_SIZE
from ledger.core.json_text import loads_strict

MAX_BUNDLE_SIZE = 64 * 1024 * 1024
MAX_EVENTS = 100_000
MAX_CHECKPOINTS = 10_000
MAX_SEALED_SECTIONS = 1000
KINDS = ("project", "lead")


@dataclass(frozen=True)
class BundleEvent:
    index: int
    leaf: bytes | None
    canonical: bytes
    proof: tuple[bytes, ...]


@dataclass(frozen=True)
class Bundle:
    origin: str
    project_id: str
    proof_size: int
    checkpoints: list[tuple[str, AnchorRef | None]]
    consistency: list[tuple[int, int, list[bytes]]]
    head: str
    events: list[BundleEvent]
    kind: str = "project"
    lead: dict[str, Any] | None = None  # kind "lead": the lead section (docs/leads.md)
    signature: str | None = None  # kind "lead": signed note over the package digest
    raw: dict[str, Any] | None = None  # kind "lead": the parsed document, for the digest
    # Sections still sealed until their opening (None: the project as a whole); their
    # bid-phase records are not in the bundle, and no count is given.
    sealed: tuple[str | None, ...] = ()
    # The anchors of each checkpoint (same order as ``checkpoints``) on further chains.
    further: tuple[tuple[AnchorRef, ...], ...] = ()


def _need(cond: bool, what: str) -> None:
    if not cond:
        raise MalformedError(f"bundle: {what}")


def _int(value: Any, what: str) -> int:
    _need(isinstance(value, int) and not isinstance(value, bool) and value >= 0,
          f"{what} must be a non-negative integer")
    return int(value)


def _hashes(value: Any, what: str) -> list[bytes]:
    _need(isinstance(value, list) and len(value) <= 64, f"{what} must be a list of hashes")
    out = []
    for h in value:
        _need(isinstance(h, str) and len(h) == 2 * HASH_SIZE, f"{what} holds a non-hash")
        try:
            out.append(bytes.fromhex(h))
        except ValueError as exc:
            raise MalformedError(f"bundle: {what} holds non-hex") from exc
    return out


def _utf8(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate escaped in the JSON text
        raise MalformedError(f"bundle: {what} is not valid Unicode text") from exc


def _event(obj: Any) -> BundleEvent:
    _need(isinstance(obj, dict) and isinstance(obj.get("canonical"), str), "bad event entry")
    leaf = obj.get("leaf_hash")
    return BundleEvent(_int(obj.get("index"), "event index"),
                       None if leaf is None else _hashes([leaf], "leaf_hash")[0],
                       _utf8(obj["canonical"], "canonical"),
                       tuple(_hashes(obj.get("inclusion_proof"), "inclusion_proof")))


def _checkpoint(obj: Any, k: int) -> tuple[str, AnchorRef | None]:
    _need(isinstance(obj, dict) and isinstance(obj.get("note"), str), "bad checkpoint entry")
    anchor = obj.get("anchor")
    return obj["note"], (None if anchor is None
                         else parse_anchor(anchor, f"bundle: checkpoints.{k}.anchor"))


def _consistency(obj: Any) -> tuple[int, int, list[bytes]]:
    _need(isinstance(obj, dict), "bad consistency entry")
    return (_int(obj.get("from"), "consistency from"), _int(obj.get("to"), "consistency to"),
            _hashes(obj.get("proof"), "consistency proof"))


def _sealed(value: Any) -> tuple[str | None, ...]:
    """The optional ``sealed`` list: ``[{"section_id": str | null, "until": "opening"}]``."""
    _need(isinstance(value, list) and len(value) <= MAX_SEALED_SECTIONS,
          f"sealed must be a list of at most {MAX_SEALED_SECTIONS} sections")
    out: list[str | None] = []
    for item in value:
        _need(isinstance(item, dict) and set(item) == {"section_id", "until"},
              "a sealed entry has exactly section_id and until")
        section = item["section_id"]
        _need(section is None or isinstance(section, str), "sealed section_id must be a "
              "string or null")
        _need(item["until"] == "opening", "sealed until must be \"opening\"")
        _need(section not in out, f"section {section!r} is listed twice under sealed")
        out.append(section)
    return tuple(out)


def parse_bundle(data: bytes) -> Bundle:
    """The bundle in ``data`` (JSON), checked for shape, size and version."""
    _need(len(data) <= MAX_BUNDLE_SIZE, f"larger than {MAX_BUNDLE_SIZE} bytes")
    obj = loads_strict(data, what="bundle")  # UTF-8, nesting, no repeated names
    _need(isinstance(obj, dict), "not a JSON object")
    _need(obj.get("format") == BUNDLE_FORMAT,
          f"format is {obj.get('format')!r}, this verifier reads {BUNDLE_FORMAT}")
    for key in ("origin", "project_id", "head"):
        _need(isinstance(obj.get(key), str), f"{key} must be a string")
    lists = {k: obj.get(k) for k in ("events", "checkpoints", "consistency")}
    _need(all(isinstance(v, list) for v in lists.values()), "events, checkpoints and "
          "consistency must be lists")
    _need(len(obj["events"]) <= MAX_EVENTS, f"more than {MAX_EVENTS} events")
    _need(len(obj["checkpoints"]) <= MAX_CHECKPOINTS, f"more than {MAX_CHECKPOINTS} checkpoints")
    _need(bool(obj["events"]), "no events")
    kind = obj.get("kind", "project")
    _need(kind in KINDS, f"kind is {kind!r}, this verifier reads {' and '.join(KINDS)}")
    lead = obj.get("lead")
    if kind == "lead":
        _need(isinstance(lead, dict), "a lead package needs a lead object")
        _need(isinstance(obj.get("signature"), str), "a lead package needs a signature")
    return Bundle(obj["origin"], obj["project_id"], _int(obj.get("proof_size"), "proof_size"),
                  [_checkpoint(c, k) for k, c in enumerate(obj["checkpoints"])],
                  [_consistency(c) for c in obj["consistency"]], obj["head"],
                  [_event(e) for e in obj["events"]], kind,
                  lead if kind == "lead" else None,
                  obj.get("signature") if kind == "lead" else None,
                  obj if kind == "lead" else None,
                  _sealed(obj["sealed"]) if "sealed" in obj else (),
                  tuple(_further(c, k) for k, c in enumerate(obj["checkpoints"])))


def _further(obj: dict[str, Any], k: int) -> tuple[AnchorRef, ...]:
    return parse_anchors(obj.get("anchors"), f"bundle: checkpoints.{k}.anchors")
