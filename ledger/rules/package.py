"""Lead packages: a signed, self-contained ``witness-bundle/v1`` file of ``kind: "lead"``.

Role: the lead, its findings, each rule's metadata and legal text excerpt, the evidence
events and the LEAD_RAISED (and LEAD_TRANSFERRED) events with inclusion proofs against ONE
checkpoint (anchored when possible), that checkpoint's signed note and anchor reference,
and a signed note over the package's SHA-256. Format and checks: docs/leads.md.
Must not import the API or the verifier.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ledger.core.canonical import canonical_json
from ledger.core.errors import WitnessError
from ledger.export import BUNDLE_FORMAT, dumps_bundle, head_body
from ledger.log import WitnessLog
from ledger.rules.registry import REGISTRY, load_all
from ledger.store.schema import anchors, checkpoints, events

PACKAGE_HEADER = "witness-lead-package/v1"
LAWS_DIR = Path("/work/shared/laws")
LAW_FILES = {"TB": "招标投标法(", "TBR": "招标投标法实施条例", "GP": "政府采购法(",
             "GPR": "政府采购法实施条例", "GP87": "政府采购货物和服务招标投标管理办法",
             "EB": "电子招标投标办法", "ES": "电子签名法", "EV": "评标委员会和评标方法",
             "FC": "公平竞争审查条例", "OP": "发改法规规", "CC": "民法典"}
_DIGITS = "零一二三四五六七八九"


def zh_number(n: int) -> str:
    """1..999 in Chinese numerals as article numbers are written (第二十四条)."""
    if n < 10:
        return _DIGITS[n]
    if n < 20:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return _DIGITS[n // 10] + "十" + (_DIGITS[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if rest == 0 else ("零" + _DIGITS[rest] if rest < 10 else
                                 ("一" + zh_number(rest) if rest < 20 else zh_number(rest)))
    return _DIGITS[n // 100] + "百" + tail


def legal_excerpts(basis: str, laws_dir: Path = LAWS_DIR) -> list[dict[str, str]]:
    """Article texts cited in ``basis`` (e.g. 'TB 第24条 …'), copied from the law files;
    empty when the files are not available (the basis string then stands alone)."""
    out = []
    for code, num in re.findall(r"\b(TBR|TB|GP87|GPR|GP|EB|ES|EV|FC|OP|CC)\s*第(\d+)条", basis):
        text = _article(laws_dir, code, int(num))
        if text:
            out.append({"law": code, "article": f"第{num}条", "text": text})
    return out


def _article(laws_dir: Path, code: str, num: int) -> str | None:
    if not laws_dir.is_dir():
        return None
    files = [p for p in sorted(laws_dir.glob("*.md")) if p.name.startswith(LAW_FILES[code])]
    if not files:
        return None
    lines = files[0].read_text(encoding="utf-8").splitlines()
    head = f"第{zh_number(num)}条"
    for i, line in enumerate(lines):
        if line.startswith(head + " ") or line.startswith(head + "\u3000"):
            body = [line]
            for nxt in lines[i + 1:]:
                if re.match(r"^(第[零一二三四五六七八九十百]+[条章节]|#)", nxt):
                    break
                body.append(nxt)
            return "\n".join(x for x in body if x.strip())[:2000]
    return None


def _target(log: WitnessLog, last_index: int) -> tuple[int, dict[str, Any] | None]:
    """The checkpoint size the proofs use: the first anchored one covering ``last_index``,
    else the newest checkpoint covering it (unanchored)."""
    with log.db.read() as conn:
        anchored = conn.execute(select(func.min(anchors.c.checkpoint_size))
                                .where(anchors.c.checkpoint_size > last_index)).scalar()
        latest = conn.execute(select(func.max(checkpoints.c.size))).scalar()
    if anchored is not None:
        return int(anchored), log.anchor_for(int(anchored))
    if latest is None or int(latest) <= last_index:
        raise WitnessError("the lead's events are not in a checkpoint yet: run "
                           "`witness checkpoint` (and let anchoring catch up) first")
    return int(latest), None


def _head(log: WitnessLog, project_id: str, size: int) -> str:
    with log.db.read() as conn:
        row = conn.execute(select(events.c.idx, events.c.project_seq, events.c.leaf_hash)
                           .where(events.c.project_id == project_id, events.c.idx < size)
                           .where(events.c.project_seq.is_not(None))  # the public chain
                           .order_by(events.c.project_seq.desc()).limit(1)).one()
    return log.signer.sign(head_body(log.origin, project_id, int(row[1]), bytes(row[2]),
                                     int(row[0]), size))


def _rules(rule_ids: list[str], laws_dir: Path) -> list[dict[str, Any]]:
    load_all()
    out = []
    for rid in rule_ids:
        meta = REGISTRY[rid].meta if rid in REGISTRY else None
        if meta is None:
            out.append({"id": rid, "registered": False})
            continue
        out.append({"id": meta.id, "version": meta.version, "title_zh": meta.title_zh,
                    "title_en": meta.title_en, "basis": meta.basis, "section": meta.section,
                    "severity": meta.severity, "lead": meta.lead, "confidence": meta.confidence,
                    "applies": meta.applies, "reads": list(meta.reads),
                    "legal_text": legal_excerpts(meta.basis, laws_dir)})
    return out


def package_digest(package: dict[str, Any]) -> bytes:
    """SHA-256 of the RFC 8785 canonical JSON of the package without its ``signature``."""
    body = {k: v for k, v in package.items() if k != "signature"}
    return hashlib.sha256(canonical_json(body)).digest()


def signature_body(origin: str, lead_id: str, digest: bytes) -> str:
    return f"{PACKAGE_HEADER}\n{origin}\n{lead_id}\n{base64.b64encode(digest).decode()}\n"


def build_package(log: WitnessLog, lead: dict[str, Any], laws_dir: Path = LAWS_DIR
                  ) -> dict[str, Any]:
    """The lead package of ``lead`` (``RuleService.lead`` output) as a JSON-ready dict."""
    idx = {i for f in lead["findings"] for i, _ in f["evidence"]}
    idx |= {i for i in (lead["raised_index"], lead["transferred_index"]) if i is not None}
    size, anchor = _target(log, max(idx))
    evs = []
    for i in sorted(idx):
        data = log.event_bytes(i)
        evs.append({"index": i, "leaf_hash": hashlib.sha256(b"\x00" + data).hexdigest(),
                    "canonical": data.decode("utf-8"),
                    "inclusion_proof": [h.hex() for h in log.inclusion_proof(i, size)]})
    section = copy.deepcopy({k: v for k, v in lead.items() if k != "findings"})
    section["findings"] = [{**f, "evidence": [list(e) for e in f["evidence"]]}
                           for f in lead["findings"]]
    section["rules"] = _rules(lead["rule_ids"], laws_dir)
    package: dict[str, Any] = {
        "format": BUNDLE_FORMAT, "kind": "lead", "origin": log.origin,
        "project_id": lead["project_id"], "log_key": log.signer.verifier.vkey(),
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "proof_size": size, "checkpoints": [{"note": log.checkpoint_at(size).note,
                                             "anchor": anchor}],
        "consistency": [], "head": _head(log, lead["project_id"], size), "events": evs,
        "lead": section,
    }
    package["signature"] = log.signer.sign(
        signature_body(log.origin, lead["lead_id"], package_digest(package)))
    return package


def export_lead(log: WitnessLog, lead: dict[str, Any], laws_dir: Path = LAWS_DIR) -> bytes:
    """The signed lead package file (UTF-8 JSON)."""
    return dumps_bundle(build_package(log, lead, laws_dir)).encode("utf-8")
