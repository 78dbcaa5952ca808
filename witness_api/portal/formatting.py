"""How the portal's pages print values: Beijing time, amounts in 元, hashes, pseudonyms.

Times: every instant is shown in Beijing time (UTC+8) as ``2026-03-11 09:00:00``; the column
or label says 北京时间 once. The conversion is ``ledger.rules.wording.bj`` (the findings'
own), and amounts use its ``money``, so a page and a finding never print one value twice
two ways. Payload fields are printed by their catalogue kind (``x-kind`` of the event
schema: Money, Timestamp, Sha256), never guessed from their names; a field's name is shown
as its label (``ledger.events.labels.field_label``). A finding's computed values are shown
under their labels (``ledger.rules.wording.VALUE_LABELS``, else the field label, else the
name as written) and printed by what they are: an RFC 3339 instant as Beijing time like
every other time, a value under a name the catalogue holds as an amount everywhere in 元,
an event type by its label, yes/no, lists and maps as prose — never as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from ledger.events.catalogue import EVENT_TYPES
from ledger.events.labels import EVENT_LABELS, event_label, field_label
from ledger.rules.wording import VALUE_LABELS, bj, is_instant, listing, money
from witness_api.portal.i18n import Lang, Translator

PSEUDONYM_PREFIX = "hk1:"


def beijing(value: str | int | float | datetime | None) -> str:
    """An RFC 3339 string, Unix seconds or datetime as Beijing time; "" for none or junk."""
    if value is None or value == "":
        return ""
    try:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, int | float):
            moment = datetime.fromtimestamp(value, UTC)
        else:
            moment = datetime.fromisoformat(value)
    except (ValueError, OverflowError, OSError):
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return bj(moment).strftime("%Y-%m-%d %H:%M:%S")


def beijing_text(value: str, t: Translator) -> str:
    """An instant as a page prints it beside other text: Beijing time, said so."""
    return f"{beijing(value)} {t('format.beijing_suffix')}"


def yuan(amount: str | int | Decimal, t: Translator) -> str:
    """'572,000.00 元' (en: 'CNY 572,000.00'); a non-number is shown as written."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    return t("format.yuan", amount=money(value))


def short_hash(value: str, keep: int = 12) -> str:
    """A long hex string cut for tables (the full value stays in the title attribute)."""
    text = value.removeprefix("0x")
    return value if len(text) <= keep + 4 else f"{value[:keep + (len(value) - len(text))]}…"


def is_pseudonym(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PSEUDONYM_PREFIX)


@cache
def field_kinds(event_type: str) -> dict[str, str]:
    """Payload field → catalogue kind (``Money``, ``Timestamp``, ``Sha256``…) of a type."""
    model = EVENT_TYPES.get(event_type)
    if model is None:
        return {}
    props = model.model_json_schema().get("properties", {})
    return {name: _kind(spec) for name, spec in props.items() if _kind(spec)}


def _kind(spec: dict[str, Any]) -> str:
    if "x-kind" in spec:
        return str(spec["x-kind"])
    for option in spec.get("anyOf", ()):
        if isinstance(option, dict) and "x-kind" in option:
            return str(option["x-kind"])
    return ""


def field_value(event_type: str, name: str, value: object, t: Translator) -> str:
    """One payload field as a page prints it."""
    kind = field_kinds(event_type).get(name, "")
    if isinstance(value, bool):
        return t("format.yes") if value else t("format.no")
    if kind == "Money" and isinstance(value, str):
        return yuan(value, t)
    if (kind == "Timestamp" and isinstance(value, str)) or is_instant(value):
        return beijing_text(str(value), t)
    if is_pseudonym(value):
        return t("format.pseudonym", value=short_hash(str(value), 16))
    return str(value)


@cache
def money_fields() -> frozenset[str]:
    """Field names that are an amount (``Money``) in every model of the catalogue using
    them, nested models included: the names a computed value may be read as 元 by."""
    kinds: dict[str, set[str]] = {}
    for model in EVENT_TYPES.values():
        schema = model.model_json_schema()
        for obj in (schema, *schema.get("$defs", {}).values()):
            for name, spec in obj.get("properties", {}).items():
                kinds.setdefault(name, set()).add(_kind(spec))
    return frozenset(name for name, found in kinds.items() if found == {"Money"})


def value_label(name: str, lang: Lang) -> str:
    """The label of a finding's computed value: the rules' table, else the event field's
    label of that name, else the name as written."""
    pair = VALUE_LABELS.get(name)
    return field_label(name, lang) if pair is None else pair[0 if lang == "zh" else 1]


def computed_value(name: str, value: object, t: Translator) -> str:
    """One computed value of a finding as the lead page and the letter print it."""
    if value is None:
        return t("col.none")
    if isinstance(value, bool):
        return t("format.yes") if value else t("format.no")
    if isinstance(value, str):
        if name in money_fields():
            return yuan(value, t)
        if is_instant(value):
            return beijing_text(value, t)
        return event_label(value, t.lang) if value in EVENT_LABELS else value
    if isinstance(value, Mapping):
        colon, sep = ("：", "；") if t.lang == "zh" else (": ", "; ")
        return sep.join(f"{value_label(str(k), t.lang)}{colon}{computed_value(str(k), v, t)}"
                        for k, v in value.items()) or t("col.none")
    if isinstance(value, list | tuple):
        return listing((computed_value(name, v, t) for v in value), t.lang)
    return str(value)
