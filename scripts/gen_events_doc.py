"""Generate docs/events.md (the event catalogue reference) from the pydantic models.

Role: a build script. It renders, for every event type, its Chinese name (the portal's,
from ``ledger.events.labels``), who emits it, each payload field with its type,
constraints and description, the nested structures, the pseudonymised fields and a valid
example. ``--check`` exits 1 when the committed doc is stale.
Usage: ``python scripts/gen_events_doc.py [--check] [--output PATH]``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ledger.events import (  # noqa: E402
    EVENT_TYPES,
    PHASES,
    PSEUDONYMISED_FIELDS,
    PSEUDONYMISED_KINDS,
    Actor,
    EventContext,
    example_event,
)
from ledger.events.envelope import MAX_EVENT_BYTES, EventIn  # noqa: E402
from ledger.events.labels import event_label  # noqa: E402
from ledger.events.pseudonymize import CONTEXT_FIELDS  # noqa: E402

DOC_PATH = ROOT / "docs" / "events.md"

COMMON_TYPES: tuple[tuple[str, str], ...] = (
    (
        "Timestamp",
        "RFC 3339 date-time string **with an explicit offset** (`Z` or `±hh:mm`, "
        "not `-00:00`), at most 6 fractional digits, e.g. `2025-03-03T09:30:00+08:00`. "
        "Naive times are rejected, and so is any instant outside "
        "`2000-01-01T00:00:00Z` ≤ t ≤ `2100-01-01T00:00:00Z` (a year 0001 or 9999 is a typo, "
        "not a business time). Kept as a string (`t`/`z` upper-cased) so bytes are stable.",
    ),
    (
        "Money",
        "Amount in yuan as a decimal **string** matching `^[0-9]{1,15}(\\.[0-9]{1,4})?$`: "
        "never negative, and no sign at all (so no `-0`). JSON numbers are rejected.",
    ),
    (
        "Decimal",
        "Non-money decimal string (score, distance, ratio) `^-?[0-9]{1,12}(\\.[0-9]{1,6})?$`.",
    ),
    ("Sha256", "SHA-256 digest, 64 lowercase hex characters."),
    (
        "Ident",
        "Identifier, 1–128 characters of `A-Z a-z 0-9 . _ : -` (credit codes, person ids, "
        "event ids).",
    ),
    ("Name", "Single-line text, 1–200 characters, no control characters and no invisible ones "
             "(see below). Chinese as people write it."),
    ("Text", "Free text, 1–2000 characters; tab and line breaks allowed; no invisible "
             "characters."),
    ("ClassName", "A classification entry as the platform writes it: a code (`A02010104`) or "
                  "the national name (评标专家专业分类 `房屋建筑工程/施工`), 1–100 characters, "
                  "single line, no invisible characters. Compared as written."),
    ("DocRef", "A document or case number as issued (文号 / 案号, e.g. `沈发改审批〔2026〕12号`) "
               "or a platform reference: 1–128 characters, single line, no invisible "
               "characters."),
    ("Url", "`http(s)://` URL, at most 2048 characters."),
    ("Signature", "Detached signature, base64 or base64url, at most 8192 characters."),
    ("IpOrHash", "IPv4/IPv6 address, or its `hk1:` pseudonym (see below)."),
    (
        "MacOrHash",
        "48-bit MAC (`aa:bb:cc:dd:ee:ff`, `AA-BB-…`, `aabb.ccdd.eeff`, 12 hex), or `hk1:`.",
    ),
    ("OpaqueOrHash", "Device fingerprint / machine code, 1–256 characters, or `hk1:`."),
    ("PhoneOrHash", "Telephone number (digits, spaces, `+ ( ) -`), or `hk1:`."),
    ("EmailOrHash", "E-mail address, or `hk1:`."),
    ("AccountOrHash", "Bank account number (4–64 alphanumerics, spaces, hyphens), or `hk1:`."),
)

GLOSSARY: dict[str, str] = {
    "project_id": "Project (招标项目/采购项目) id.",
    "id": "Person or system account id.",
    "org_id": "Organisation id (统一社会信用代码 or platform id).",
    "role": "Role of the person.",
    "bidder_org": "Bidder (投标人/供应商) org id.",
    "bidder_name": "Bidder name as registered.",
    "winner_org": "Winning bidder org id.",
    "filer_org": "Org filing the objection / inquiry / challenge.",
    "complainant_org": "Org filing the complaint.",
    "downloader_org": "Org obtaining the document.",
    "user_id": "Platform user account.",
    "person_id": "Person id (expert, representative, staff).",
    "expert_id": "Expert id from the expert pool.",
    "ip": "Network address of the act.",
    "client_ip": "Network address of the client.",
    "mac": "MAC address of the client.",
    "client_mac": "MAC address of the client.",
    "device_fp": "Device fingerprint.",
    "tool_machine_code": "Machine code of the bid-drafting tool (投标工具机器码).",
    "ca_cert_serial": "Serial of the digital certificate (CA锁) used.",
    "ca_subject_id": "Subject id in the certificate.",
    "reader_id": "Badge / card reader id.",
    "doc_hash": "SHA-256 of the document file.",
    "file_hash": "SHA-256 of the bid file.",
    "content_hash": "SHA-256 of the published content.",
    "record_hash": "SHA-256 of the record.",
    "report_hash": "SHA-256 of the report.",
    "amount": "Amount in CNY.",
    "form": "Form of the bond / guarantee.",
    "reason": "Reason as stated.",
    "note": "Free-text note.",
    "approval_ref": "Approval document reference.",
    "media": "Designated medium (指定媒介) id.",
    "url": "Public URL of the notice.",
    "room": "Room id.",
    "zone": "Zone kind of the reader.",
    "session_id": "Evaluation session id.",
    "members_present": "Committee members present.",
    "recipients": "Org ids of the recipients.",
    "contract_id": "Contract number.",
    "case_id": "Case number of the filing.",
    "subject": "What is objected to.",
    "received_at": "Time of receipt.",
    "outcome": "Outcome of the handling.",
    "severity": "Finding severity: info, warning (early warning) or violation.",
    "lead_id": "Lead (违规线索) id.",
    "rule_ids": "Rule ids (docs/rules.md) behind the lead.",
    "finding_ids": "Finding ids behind the lead.",
    "evidence_event_ids": "event_ids of the evidence events.",
    "badge_id": "Smart badge (智能胸卡) id.",
    "success": "Whether the step succeeded.",
    "failure_cause": "Whose side caused the failure (TBR / EB: bidder or not).",
    "device_type": "Kind of device.",
    "duration_s": "Duration in seconds.",
}

NORMALISATION: dict[str, str] = {
    "ip": "`ipaddress.ip_address` text form; IPv4-mapped IPv6 becomes the IPv4 address",
    "mac": "lower-case hex with colons, `aa:bb:cc:dd:ee:ff`",
    "opaque": "stripped, lower-cased",
    "account": "spaces and hyphens removed, upper-cased",
    "phone": "digits only, `+86`/`0086` prefix dropped",
    "email": "stripped, lower-cased",
}


def _md(text: str) -> str:
    """Escape a table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _kind_of(schema: dict[str, Any]) -> str:
    """The short type name of a JSON-schema node."""
    if "x-kind" in schema:
        return str(schema["x-kind"])
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#struct-{name.lower()})"
    if "enum" in schema:
        return "enum"
    if "const" in schema:
        return f"`{schema['const']}`"
    if schema.get("type") == "array":
        return f"list[{_kind_of(schema.get('items', {}))}]"
    return str(schema.get("type", "any"))


def _constraints(schema: dict[str, Any]) -> str:
    """Human-readable constraints of a JSON-schema node (enum values, bounds, sizes)."""
    parts: list[str] = []
    if "enum" in schema:
        parts.append("one of " + ", ".join(f"`{v}`" for v in schema["enum"]))
    if "minimum" in schema or "maximum" in schema:
        parts.append(f"{schema.get('minimum', '…')} ≤ n ≤ {schema.get('maximum', '…')}")
    if schema.get("type") == "array":
        lo, hi = schema.get("minItems", 0), schema.get("maxItems", "∞")
        parts.append(f"{lo}–{hi} items")
        inner = _constraints(schema.get("items", {}))
        if inner:
            parts.append(f"items: {inner}")
    if schema.get("type") == "string" and "x-kind" not in schema:
        if "maxLength" in schema:
            parts.append(f"{schema.get('minLength', 0)}–{schema['maxLength']} chars")
        if "pattern" in schema:
            parts.append(f"pattern `{schema['pattern']}`")
    return "; ".join(parts)


def _unwrap(schema: dict[str, Any]) -> dict[str, Any]:
    """Drop the ``null`` branch of an optional field."""
    branches = [b for b in schema.get("anyOf", []) if b.get("type") != "null"]
    if len(branches) == 1:
        merged = {k: v for k, v in schema.items() if k != "anyOf"}
        return {**branches[0], **merged}
    return schema


def _fields_table(schema: dict[str, Any]) -> list[str]:
    """A markdown table of an object schema's properties."""
    required = set(schema.get("required", []))
    rows = ["| field | type | req. | constraints | description |", "|---|---|---|---|---|"]
    for name, raw in schema.get("properties", {}).items():
        node = _unwrap(raw)
        desc = node.get("description", "") or GLOSSARY.get(name, "")
        if name in PSEUDONYMISED_KINDS:
            desc = (desc + " **Pseudonymised** (`hk1:`).").strip()
        req = "yes" if name in required else ""
        if "default" in raw and raw["default"] is not None:
            req = f"default `{json.dumps(raw['default'])}`"
        cells = (f"`{name}`", _kind_of(node), req, _constraints(node), desc)
        rows.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return rows


def _envelope_section() -> list[str]:
    """The envelope, actor and context tables."""
    out = ["## Envelope (`EventIn`)", ""]
    out += [
        "Every posted event is a JSON object with these fields; `payload` is validated by the "
        "model chosen by `type`. Unknown fields anywhere are rejected with their dotted path "
        f"(`payload.file_meta.colour`). Raw JSON is limited to {MAX_EVENT_BYTES} bytes, "
        "duplicate keys are rejected, and no field accepts a JSON float.",
        "",
    ]
    env = EventIn.model_json_schema()
    env["properties"]["type"] = {"type": "string", "description": "One of the types below."}
    env["properties"]["payload"] = {"type": "object", "description": "Per-type payload."}
    out += [*_fields_table(env), "", '### <a id="struct-actor"></a>Actor', ""]
    out += _fields_table(Actor.model_json_schema())
    out += ["", '### <a id="struct-eventcontext"></a>EventContext (`context`)', ""]
    out += [*_fields_table(EventContext.model_json_schema()), ""]
    return out


def _common_types_section() -> list[str]:
    """The table of named scalar types."""
    out = ["## Common types", "", "| type | meaning |", "|---|---|"]
    out += [f"| {name} | {_md(text)} |" for name, text in COMMON_TYPES]
    return [*out, "", *BOUNDS]


BOUNDS: tuple[str, ...] = (
    "### Bounds, rounds and lots",
    "",
    "- **Invisible characters.** Name, Text, ClassName and DocRef refuse bidirectional "
    "controls (U+202A–U+202E, U+2066–U+2069) and zero-width characters (U+200B–U+200D, "
    "U+2060, U+FEFF): they make a name display differently from its bytes.",
    "- **Rounds.** `round` (1-based) on documents, downloads, bonds, bids and their opening "
    "steps says which tender round an event belongs to; `RETENDER_STARTED.round` is the round "
    "it starts. When given it must agree with the count of `RETENDER_STARTED` before the event "
    "in its section (round 1 before the first). `BOND_REFUNDED.cause` `retender` is the refund "
    "of a failed round's bond.",
    "- **Lots.** `PROJECT_REGISTERED.lots` gives each lot (标段/包) its own estimate, budget "
    "and maximum price; caps the law measures per lot (the bid bond's 2 %) use the lot's "
    "amount when it is given, else the project's.",
    "- **Older events.** These bounds apply when an event is posted. The log verifies the "
    "stored canonical bytes, never the schema, and nothing re-validates stored events on "
    "read: an event stored before a bound existed (a negative amount, say) still verifies "
    "and is still read by the rules.",
    "",
)


def _pseudonym_section() -> list[str]:
    """Exactly which fields are pseudonymised and how values are normalised."""
    out = [
        "## Pseudonymised fields",
        "",
        "Before canonicalisation the ledger calls `Pseudonymizer(key).apply(event_json)`, which "
        "replaces each listed value by `hk1:` + the first 32 hex digits of "
        "HMAC-SHA256(key, normalised value). Values already starting with `hk1:` are left "
        "as they are (idempotent). The key lives in the data directory; without it nobody "
        "can test a guessed IP or phone number against the log, yet equal inputs still give "
        "equal tokens, which is all the collusion rules need. Only these fields, at the top "
        "level of `payload` / `context`, are touched:",
        "",
        "| where | fields |",
        "|---|---|",
        f"| `context` (every type) | {', '.join(f'`{f}`' for f in CONTEXT_FIELDS)} |",
    ]
    for event_type, fields in PSEUDONYMISED_FIELDS.items():
        out.append(f"| `{event_type}` payload | {', '.join(f'`{f}`' for f in fields)} |")
    out += ["", "| field name | normalisation before HMAC |", "|---|---|"]
    for name, kind in PSEUDONYMISED_KINDS.items():
        out.append(f"| `{name}` | {NORMALISATION[kind]} |")
    return [*out, ""]


def _description(model: type[Any]) -> list[str]:
    """The model's docstring as markdown paragraphs, each followed by a blank line (the
    paragraphs after the summary line say why a type is shaped as it is)."""
    paragraphs = inspect.cleandoc(model.__doc__ or "").split("\n\n")
    out: list[str] = []
    for paragraph in paragraphs:
        if paragraph.strip():
            out += [" ".join(paragraph.split()).replace("``", "`"), ""]
    return out


def _type_section(event_type: str, nested: dict[str, dict[str, Any]]) -> list[str]:
    """One event type: description, emitter, payload table, example."""
    model = EVENT_TYPES[event_type]
    schema = model.model_json_schema()
    nested.update(schema.get("$defs", {}))
    # The explicit anchor keeps the heading's old slug (`#bid_submitted`) now that the
    # heading also carries the Chinese name the portal shows for the type.
    heading = f'### <a id="{event_type.lower()}"></a>`{event_type}` {event_label(event_type)}'
    out = [heading, "", *_description(model), f"Emitted by: {model.EMITTED_BY}.", ""]
    if schema.get("properties"):
        out += _fields_table(schema)
    example = json.dumps(example_event(event_type), ensure_ascii=False, indent=2)
    return [
        *out,
        "",
        "<details><summary>Example</summary>",
        "",
        "```json",
        example,
        "```",
        "",
        "</details>",
        "",
    ]


def _nested_section(nested: dict[str, dict[str, Any]]) -> list[str]:
    """Tables of every nested structure, once each."""
    out = ["## Nested structures", ""]
    for name in sorted(nested):
        schema = nested[name]
        out += [f'### <a id="struct-{name.lower()}"></a>{name}', ""]
        out += [schema.get("description", ""), ""] if schema.get("description") else []
        out += [*_fields_table(schema), ""]
    return out


def render() -> str:
    """The full markdown text of docs/events.md."""
    out = [
        "# Event catalogue",
        "",
        "<!-- Generated by scripts/gen_events_doc.py from ledger/events; do not edit. -->",
        "",
        f"{len(EVENT_TYPES)} event types: the steps of a trade that the trading systems record, "
        "plus the ledger's own lead events. "
        "Validate with `ledger.events.parse_event(data)`; errors come back as "
        "`EventValidationError.errors = [{loc, msg}]` with dotted paths. Schemas record what "
        "happened: they check shape, not lawfulness (a late deadline is a rule finding, "
        "not a schema error). The time and the actor of an act are the envelope's "
        "`occurred_at` and `actor`, never payload fields.",
        "",
    ]
    out += _common_types_section() + _envelope_section()
    nested: dict[str, dict[str, Any]] = {}
    for phase, title in PHASES:
        out += [f"## {title}", ""]
        for event_type, model in EVENT_TYPES.items():
            if phase == model.PHASE:
                out += _type_section(event_type, nested)
    out += _nested_section(nested) + _pseudonym_section()
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the doc, or with ``--check`` report (exit 1) when it is stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail if the doc is out of date")
    parser.add_argument("--output", type=Path, default=DOC_PATH)
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text("utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is stale: run python scripts/gen_events_doc.py", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, "utf-8")
    print(f"wrote {args.output} ({len(EVENT_TYPES)} event types)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
