"""docs/rules.md §6 (part a): electronic collusion indicators on bid files and identifiers —
same machine, CA certificate, file hash, metadata, IP, handler and project manager; the
text-similarity and mixed-document rules (not checkable from structured events).

Every rule compares only bidders of one section in the current round. Must not import the
store, the API or the verifier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import Any

from ledger.rules.applicability import ALL
from ledger.rules.catalogue.s06_common import (
    bids,
    device_ok,
    field,
    ip_ok,
    merge,
    org_of,
    parties,
    per_section,
    random_mac,
    round_of,
    shared,
    short,
    ts,
)
from ledger.rules.context import RuleContext
from ledger.rules.model import Finding, Trail, TrailEvent
from ledger.rules.registry import hit, rule
from ledger.rules.wording import Lang, label, listing

_T40 = "TBR 第40条"


@rule("R-CL-E-SAME-MACHINE", title_zh="不同投标人的投标文件由同一台机器制作",
      title_en="Bid files of different bidders built on the same machine",
      basis=f'{_T40}(一) "不同投标人的投标文件由同一单位或者个人编制"; GP87 第37条(一); '
            'EB 第49条 "每一操作环节的时间、网络地址和工作人员"',
      section="6", reads=("BID_SUBMITTED", "BID_DECRYPTED"), severity="violation", lead=True,
      confidence="V", applies=ALL.where("all (machine-code wording of provinces: M)"))
def same_machine(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, sec in per_section(trail):
        subs = bids(sec)
        dec_by_bidder = [e for e in round_of(sec, "BID_DECRYPTED")
                         if e.actor.get("role") == "bidder"]
        checks = (
            ("tool_machine_code", subs, lambda e: device_ok(ctx, field(e, "tool_machine_code"))),
            ("device_fp", subs + dec_by_bidder, lambda e: device_ok(ctx, field(e, "device_fp"))),
            ("mac", subs + dec_by_bidder, lambda e: _mac(ctx, e)),
        )
        found = merge((kind, v, g) for kind, evs, fn in checks for v, g in shared(evs, fn))
        for group, ids in found:
            orgs, shown, shown_en = parties(group), _show(ids), _show(ids, "en")
            yield hit("R-CL-E-SAME-MACHINE", trail, group, {"identifiers": ids, "bidders": orgs},
                      f"{len(orgs)} 家投标人 {', '.join(orgs)} 的机器标识相同（{shown}）",
                      f"{len(orgs)} bidders {', '.join(orgs)} share {shown_en}",
                      section_id=sid, subjects=orgs)


def _show(fields: dict[str, str], lang: Lang = "zh") -> str:
    """The shared values, each named in words and quoted as recorded."""
    return listing((f"{label(k, lang)}“{short(v)}”" for k, v in fields.items()), lang)


def _mac(ctx: RuleContext, e: TrailEvent) -> str | None:
    mac = device_ok(ctx, field(e, "mac", "client_mac"))
    if mac is None or random_mac(mac):
        return None
    mac = str(mac)
    return mac if mac.startswith("hk1:") else "".join(c for c in mac if c.isalnum()).lower()


@rule("R-CL-E-SAME-CA", title_zh="同一CA证书用于两个投标人",
      title_en="The same CA certificate used for two bidders",
      basis=f'{_T40}(二) "不同投标人委托同一单位或者个人办理投标事宜"; '
            'ES 第13条 "电子签名制作数据用于电子签名时，属于电子签名人专有"',
      section="6", reads=("BID_SUBMITTED", "BID_DECRYPTED", "BID_MODIFIED", "BID_WITHDRAWN"),
      severity="violation", lead=True, confidence="V")
def same_ca(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, sec in per_section(trail):
        evs = [e for e in round_of(sec, "BID_SUBMITTED", "BID_DECRYPTED", "BID_MODIFIED",
                                   "BID_WITHDRAWN")
               if e.type == "BID_SUBMITTED" or e.actor.get("role") == "bidder"]
        for value, group in shared(evs, lambda e: field(e, "ca_cert_serial")):
            orgs = parties(group)
            yield hit("R-CL-E-SAME-CA", trail, group, {"ca_cert_serial": value, "bidders": orgs},
                      f"CA证书 {value} 被 {len(orgs)} 家投标人使用：{', '.join(orgs)}",
                      f"CA certificate {value} used by {len(orgs)} bidders: {', '.join(orgs)}",
                      section_id=sid, subjects=orgs)


@rule("R-CL-E-SAME-FILE-HASH", title_zh="不同投标人的投标文件完全相同",
      title_en="Identical bidder-authored files",
      basis=f'{_T40}(四) "不同投标人的投标文件异常一致"; GP87 第37条(四)',
      section="6", reads=("BID_SUBMITTED", "DOC_ISSUED"), severity="violation", lead=True,
      confidence="V")
def same_file_hash(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    templates = {e.get("doc_hash") for e in trail.of_type("DOC_ISSUED")}
    for sid, sec in per_section(trail):
        def fn(e: TrailEvent) -> str | None:
            return None if e.get("file_hash") in templates else e.get("file_hash")
        for value, group in shared(bids(sec), fn):
            orgs = parties(group)
            yield hit("R-CL-E-SAME-FILE-HASH", trail, group, {"file_hash": value, "bidders": orgs},
                      f"{len(orgs)} 家投标人的投标文件哈希相同（{short(value)}）：{', '.join(orgs)}",
                      f"{len(orgs)} bidders filed identical bid files ({short(value)}): "
                      f"{', '.join(orgs)}", section_id=sid, subjects=orgs)


_META = ("author", "last_modified_by", "company", "app_license_serial")


@rule("R-CL-E-SAME-METADATA", title_zh="投标文件元数据（作者、单位、软件序列号）相同",
      title_en="Same author, company or software licence in document metadata",
      basis=f'{_T40}(一) "不同投标人的投标文件由同一单位或者个人编制"; GP87 第37条(一)',
      section="6", reads=("BID_SUBMITTED", "PROJECT_REGISTERED"), severity="warning", lead=True,
      confidence="D", applies=ALL.where("all (legal item V, metadata heuristic D)"))
def same_metadata(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    generic = {g.casefold() for g in ctx.thresholds.generic_metadata_values}
    agent = trail.flags.get("agent_org") or {}
    for sid, sec in per_section(trail):
        subs = bids(sec)
        names: dict[str, set[str]] = {
            e.payload["bidder_org"]: {e.payload["bidder_org"], e.get("bidder_name") or ""}
            for e in subs}

        def foreign(value: str, group: list[TrailEvent],
                    names: dict[str, set[str]] = names) -> bool:
            """company names the agent, or a bidder other than one of the group's files."""
            return value in {agent.get("org_id"), agent.get("name")} or any(
                value in n and any(x.get("bidder_org") != o for x in group)
                for o, n in names.items())

        def meta(key: str) -> Callable[[TrailEvent], str | None]:
            def get(ev: TrailEvent) -> str | None:
                v = (ev.get("file_meta") or {}).get(key)
                return None if v is None or v.strip().casefold() in generic else v.strip()
            return get

        items = [(k, v, g) for k in _META for v, g in shared(subs, meta(k))]
        in_groups = {e.index for k, _, g in items if k == "company" for e in g}
        items += [("company", v, [e]) for e in subs if (v := meta("company")(e)) is not None
                  and e.index not in in_groups and foreign(v, [e])]
        for group, fields in merge(items):
            orgs = parties(group)
            third = "company" in fields and foreign(fields["company"], group)
            yield hit("R-CL-E-SAME-METADATA", trail, group,
                      {"fields": fields, "bidders": orgs, "company_is_agent_or_other_bidder": third},
                      f"投标人 {', '.join(orgs)} 的文件元数据 {_show(fields)}"
                      + ("（为代理机构或其他投标人）" if third else "（相同）"),
                      f"bidders {', '.join(orgs)} have file metadata {_show(fields, 'en')}"
                      + (" (the agent or another bidder)" if third else " (shared)"),
                      section_id=sid, subjects=orgs, severity="violation" if third else None)


_IP_KINDS = ("DOC_DOWNLOADED", "BID_SUBMITTED", "BID_DECRYPTED")


@rule("R-CL-E-SAME-IP", title_zh="不同投标人使用相同网络地址上传、下载或解密",
      title_en="The same network address for upload, download or decryption",
      basis=f'{_T40}(一)(二); EB 第49条 "每一操作环节的时间、网络地址和工作人员"',
      section="6", reads=_IP_KINDS, severity="warning", lead=True, confidence="D",
      applies=ALL.where("all (IP pseudonymised: the /24 and /64 info tier is not checkable)"))
def same_ip(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    window = ctx.thresholds.same_ip_upload_window_minutes * 60
    for sid, sec in per_section(trail):
        evs = [e for e in round_of(sec, *_IP_KINDS)
               if e.type != "BID_DECRYPTED" or e.actor.get("role") == "bidder"]
        evs = [e for e in evs if e.type != "BID_SUBMITTED" or e in bids(sec)]
        for value, group in shared(evs, lambda e: ip_ok(ctx, field(e, "ip", "client_ip"))):
            kinds = {k: {org_of(e) for e in group if e.type == k} for k in _IP_KINDS}
            multi = [k for k, orgs in kinds.items() if len(orgs) >= 2]
            if not multi:
                continue
            cross = any(len(kinds[a] & kinds[b]) >= 2 for a in _IP_KINDS for b in _IP_KINDS
                        if a < b)
            ups = sorted(ts(e.payload["received_at"]) for e in group
                         if e.type == "BID_SUBMITTED" and e.get("received_at"))
            close = any((b - a).total_seconds() <= window for a, b in pairwise(ups))
            orgs = parties(group)
            corroborated = cross or ("BID_SUBMITTED" in multi and close)
            yield hit("R-CL-E-SAME-IP", trail, group,
                      {"ip": value, "bidders": orgs, "kinds": multi, "cross_kind": cross,
                       "uploads_within_window": close},
                      f"{len(orgs)} 家投标人在 {'/'.join(multi)} 中使用相同IP {short(value)}",
                      f"{len(orgs)} bidders share IP {short(value)} in {'/'.join(multi)}",
                      section_id=sid, subjects=orgs,
                      severity="violation" if corroborated else None)


@rule("R-TBR-40-2-SAME-HANDLER", title_zh="不同投标人委托同一单位或者个人办理投标事宜",
      title_en="The same person or firm handles the bids",
      basis=f'{_T40}(二) "不同投标人委托同一单位或者个人办理投标事宜"; '
            'GP87 第37条(二)(三) "联系人员为同一人"',
      section="6", reads=("BID_SUBMITTED",), severity="violation", lead=True, confidence="V")
def same_handler(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, sec in per_section(trail):
        keys = ("authorized_rep_id", "contact_phone", "contact_email")
        for group, fields in merge((k, v, g) for k in keys
                                   for v, g in shared(bids(sec), _getter(k))):
            orgs = parties(group)
            yield hit("R-TBR-40-2-SAME-HANDLER", trail, group, {"fields": fields, "bidders": orgs},
                      f"{len(orgs)} 家投标人的联系人/授权代表相同（{_show(fields)}）",
                      f"{len(orgs)} bidders share {_show(fields, 'en')}", section_id=sid, subjects=orgs)


@rule("R-TBR-40-3-SAME-PM", title_zh="不同投标人的项目管理成员为同一人",
      title_en="The same project manager or key personnel",
      basis=f'{_T40}(三) "不同投标人的投标文件载明的项目管理成员为同一人"; OP (十一) "人员混用"',
      section="6", reads=("BID_SUBMITTED",), severity="violation", lead=True, confidence="V",
      applies=ALL.where("all (borrowed-staff warning needs the PM's employer: not in the events)"))
def same_pm(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    for sid, sec in per_section(trail):
        keys = ("project_manager_id", "project_manager_cert_no")
        for group, fields in merge((k, v, g) for k in keys
                                   for v, g in shared(bids(sec), _getter(k))):
            orgs = parties(group)
            yield hit("R-TBR-40-3-SAME-PM", trail, group, {"fields": fields, "bidders": orgs},
                      f"{len(orgs)} 家投标人载明的项目经理相同（{_show(fields)}）",
                      f"{len(orgs)} bidders name the same project manager ({_show(fields, 'en')})",

                      section_id=sid, subjects=orgs)


@rule("R-TBR-40-4-TEXT-SIMILARITY", title_zh="投标文件异常一致或错误相同",
      title_en="Documents abnormally alike, or sharing the same errors",
      basis=f'{_T40}(四) "不同投标人的投标文件异常一致"; GP87 第37条(四)',
      section="6", reads=("BID_SUBMITTED",), severity="warning", lead=True, confidence="D",
      applies=ALL, implemented=False)
def text_similarity(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    """Not implemented: the ledger holds file hashes, never document text, so textual similarity and shared errors cannot be computed."""
    return iter(())


@rule("R-TBR-40-5-MIXED", title_zh="不同投标人的投标文件相互混装",
      title_en="Bid documents mixed between bidders",
      basis=f'{_T40}(五) "不同投标人的投标文件相互混装"; GP87 第37条(五)',
      section="6", reads=("BID_SUBMITTED",), severity="violation", lead=True, confidence="V",
      applies=ALL, implemented=False)
def mixed(trail: Trail, ctx: RuleContext) -> Iterator[Finding]:
    """Not implemented: detecting one bidder's documents inside another's needs names and entities extracted from the file contents, which the ledger does not hold (see also R-CL-E-SAME-METADATA, company = another bidder)."""
    return iter(())


def _getter(key: str) -> Callable[[TrailEvent], Any]:
    def get(e: TrailEvent) -> Any:
        return e.payload.get(key)
    return get
