"""Lead packages: a signed, self-contained ``witness-bundle/v1`` file of ``kind: "lead"``.

Role: the lead (its unchanging fields), its findings, each rule's metadata and legal text
excerpt, the evidence events and the LEAD_RAISED event with inclusion proofs against ONE
checkpoint (the first covering them), that checkpoint's signed note, and a signed note over
the package's SHA-256. The same bytes on every export, so the hash LEAD_TRANSFERRED records
is the hash of the file the regulator downloads. Format and checks: docs/leads.md.
Must not import the API or the verifier.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ledger.core.canonical import canonical_json
from ledger.core.errors import WitnessError
from ledger.core.formats import BUNDLE_FORMAT
from ledger.core.project_head import ProjectHead
from ledger.cosigning import with_cosignatures
from ledger.export import dumps_bundle
from ledger.log import WitnessLog
from ledger.rules.regimes import applicable
from ledger.rules.registry import REGISTRY, load_all
from ledger.store.schema import checkpoints, events

PACKAGE_HEADER = "witness-lead-package/v1"
LAWS_DIR = Path(__file__).with_name("data") / "laws"
"""The statutes' texts the packages quote (part of the code: the same package bytes on every
export of one version). 评标委员会和评标方法暂行规定 is cited by its article only."""
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


def _target(log: WitnessLog, last_index: int, *, seal: bool) -> int:
    """The checkpoint size the proofs use: the FIRST checkpoint covering ``last_index``.

    The log only grows and checkpoints are sealed in size order, so once one covers the
    lead it stays the first: the package never changes with later events, checkpoints or
    anchors. With ``seal`` (at transfer) a checkpoint is sealed when none covers it yet."""
    with log.db.read() as conn:
        first = conn.execute(select(func.min(checkpoints.c.size))
                             .where(checkpoints.c.size > last_index)).scalar()
    if first is not None:
        return int(first)
    if seal:
        return log.checkpoint().size
    raise WitnessError("the lead's events are not in a checkpoint yet: run "
                       "`witness checkpoint` (or transfer the lead, which seals one) first")


def _head(log: WitnessLog, project_id: str, size: int) -> str:
    with log.db.read() as conn:
        row = conn.execute(select(events.c.idx, events.c.project_seq, events.c.leaf_hash)
                           .where(events.c.project_id == project_id, events.c.idx < size)
                           .where(events.c.project_seq.is_not(None))  # the public chain
                           .order_by(events.c.project_seq.desc()).limit(1)).one()
    return ProjectHead(log.origin, project_id, int(row[1]), bytes(row[2]), int(row[0]),
                       size).sign(log.signer)


def project_regime(log: WitnessLog, project_id: str) -> str | None:
    """The project's regime ("TB" / "GP") from its PROJECT_REGISTERED, None without one."""
    with log.db.read() as conn:
        data = conn.execute(select(events.c.canonical)
                            .where(events.c.project_id == project_id,
                                   events.c.event_type == "PROJECT_REGISTERED")
                            .order_by(events.c.idx).limit(1)).scalar()
    if data is None:
        return None
    regime = (json.loads(bytes(data)).get("payload") or {}).get("regime")
    return str(regime) if regime is not None else None


def _rules(rule_ids: list[str], laws_dir: Path, regime: str | None = None
           ) -> list[dict[str, Any]]:
    """Each rule's metadata with the basis of the project's regime and its article texts
    (a works lead never quotes procurement law, nor the reverse)."""
    load_all()
    out = []
    for rid in rule_ids:
        meta = REGISTRY[rid].meta if rid in REGISTRY else None
        if meta is None:
            out.append({"id": rid, "registered": False})
            continue
        basis = applicable(meta.basis, meta.basis_by_regime, regime)
        out.append({"id": meta.id, "version": meta.version, "title_zh": meta.title_zh,
                    "title_en": meta.title_en, "basis": basis, "section": meta.section,
                    "severity": meta.severity, "lead": meta.lead, "confidence": meta.confidence,
                    "applies": meta.applies.label, "reads": list(meta.reads),
                    "legal_text": legal_excerpts(basis, laws_dir)})
    return out


def package_digest(package: dict[str, Any]) -> bytes:
    """SHA-256 of the RFC 8785 canonical JSON of the package without its ``signature``."""
    body = {k: v for k, v in package.items() if k != "signature"}
    return hashlib.sha256(canonical_json(body)).digest()


def signature_body(origin: str, lead_id: str, digest: bytes) -> str:
    return f"{PACKAGE_HEADER}\n{origin}\n{lead_id}\n{base64.b64encode(digest).decode()}\n"


# The lead's fields that never change once it is raised: the package carries only these, so
# its bytes do not depend on when it is exported (status, department, acknowledgement and
# the package hash itself are witnessed by LEAD_TRANSFERRED / LEAD_ACKNOWLEDGED instead).
LEAD_FIELDS = ("lead_id", "severity", "project_id", "section_id", "raised_index",
               "raised_event_id", "finding_ids", "rule_ids", "created_at")


def package_hash(data: bytes) -> str:
    """The package hash: hex SHA-256 of the exact bytes of the package file. What
    ``X-Content-SHA256`` returns, ``witness lead export`` prints and LEAD_TRANSFERRED /
    LEAD_ACKNOWLEDGED record."""
    return hashlib.sha256(data).hexdigest()


def _lead_section(lead: dict[str, Any], laws_dir: Path, regime: str | None = None
                  ) -> dict[str, Any]:
    section = copy.deepcopy({k: lead[k] for k in LEAD_FIELDS})
    order = {fid: n for n, fid in enumerate(lead["finding_ids"])}
    found = sorted(lead["findings"], key=lambda f: (order.get(f["finding_id"], len(order)),
                                                    f["finding_id"]))
    section["findings"] = [{**f, "evidence": [list(e) for e in f["evidence"]]} for f in found]
    section["rules"] = _rules(lead["rule_ids"], laws_dir, regime)
    return section


def _note(log: WitnessLog, size: int, cosigners: Collection[str] | None) -> str:
    """The checkpoint note of ``size`` with the cosignatures of ``cosigners`` (None: all
    stored so far)."""
    with log.db.read() as conn:
        note = conn.execute(select(checkpoints.c.note).where(checkpoints.c.size == size)
                            ).scalar_one()
        return with_cosignatures(conn, size, str(note), cosigners)


def package_cosigners(data: bytes) -> list[str]:
    """The witnesses whose cosignatures a package file's checkpoint note carries (its
    signature lines other than the log's own, which comes first)."""
    note = json.loads(data)["checkpoints"][0]["note"]
    lines = note.split("\n\n", 1)[1].splitlines()
    return sorted({line.split(" ")[1] for line in lines[1:] if line.startswith("\u2014 ")})


def build_package(log: WitnessLog, lead: dict[str, Any], laws_dir: Path = LAWS_DIR, *,
                  seal: bool = False, cosigners: Collection[str] | None = None
                  ) -> dict[str, Any]:
    """The lead package of ``lead`` (``RuleService.lead`` output) as a JSON-ready dict:
    the evidence and LEAD_RAISED events proven against the first checkpoint covering them
    (``seal``: seal one if none does). Deterministic: no export time, no anchor reference
    (the verifier finds the checkpoint on chain by its size), Ed25519 signatures, and the
    cosignatures of ``cosigners`` only once the transfer has named them."""
    idx = {i for f in lead["findings"] for i, _ in f["evidence"]}
    idx.add(int(lead["raised_index"]))
    size = _target(log, max(idx), seal=seal)
    evs = []
    for i in sorted(idx):
        data = log.event_bytes(i)
        evs.append({"index": i, "leaf_hash": hashlib.sha256(b"\x00" + data).hexdigest(),
                    "canonical": data.decode("utf-8"),
                    "inclusion_proof": [h.hex() for h in log.inclusion_proof(i, size)]})
    package: dict[str, Any] = {
        "format": BUNDLE_FORMAT, "kind": "lead", "origin": log.origin,
        "project_id": lead["project_id"], "log_key": log.signer.verifier.vkey(),
        "proof_size": size, "checkpoints": [{"note": _note(log, size, cosigners),
                                             "anchor": None}],
        "consistency": [], "head": _head(log, lead["project_id"], size), "events": evs,
        "lead": _lead_section(lead, laws_dir, project_regime(log, lead["project_id"])),
    }
    package["signature"] = log.signer.sign(
        signature_body(log.origin, lead["lead_id"], package_digest(package)))
    return package


def export_lead(log: WitnessLog, lead: dict[str, Any], laws_dir: Path = LAWS_DIR, *,
                seal: bool = False, cosigners: Collection[str] | None = None) -> bytes:
    """The signed lead package file (UTF-8 JSON); the same bytes on every export once the
    transfer has fixed its ``cosigners``."""
    return dumps_bundle(build_package(log, lead, laws_dir, seal=seal, cosigners=cosigners)
                        ).encode("utf-8")
