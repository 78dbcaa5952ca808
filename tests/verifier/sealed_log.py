"""A real ledger with sealed records (bid-phase events before their section's opening), on
SQLite or PostgreSQL, and the tools the sealed tests use: direct row rewrites (as an attacker
with database access: the append-only guards dropped first) and project bundles assembled by
hand from the log (inclusion proofs, one signed checkpoint, the signed project head)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ledger.core import tree
from ledger.core.canonical import canonical_json
from ledger.core.hashing import leaf_hash
from ledger.core.project_head import ProjectHead
from ledger.core.sealed import RELEASE_TYPE, scope_id_of
from ledger.events import event_to_json, example_event, parse_event
from ledger.home import init_home, open_log
from ledger.log import WitnessLog
from ledger.settings import Settings
from tests.verifier.conftest import TRIGGERS
from verifier.policy import TrustPolicy, build

PROJECT = "LN-SY-2025-0317"
SECTION = "LN-SY-2025-0317-S01"
OTHER_SECTION = "LN-SY-2025-0317-S02"
# Indexes 0..1 public, 2..4 sealed (download, bond, bid of S01); after the opening: 5
# OPENING_STARTED, 6 BIDS_UNSEALED of S01 (lists 2, 3, 4), 7 BIDS_UNSEALED of the project
# as a whole (lists nothing), 8 BID_DECRYPTED.
BEFORE = ("PROJECT_REGISTERED", "DOC_ISSUED", "DOC_DOWNLOADED", "BOND_PAID", "BID_SUBMITTED")
AFTER = ("OPENING_STARTED", "BID_DECRYPTED")
SEALED = (2, 3, 4)
RELEASE = 6


@dataclass
class SealedLedger:
    settings: Settings
    log: WitnessLog
    policy: TrustPolicy

    @property
    def url(self) -> str:
        return self.settings.database_url

    def append(self, types: tuple[str, ...] | list[str], tag: str,
               section: str | None = None) -> list[int]:
        """Append example events of these types (event ids ``{tag}{n}``); their indexes."""
        evs = []
        for n, etype in enumerate(types):
            ev = example_event(etype)
            ev["event_id"] = f"{tag}{n}"
            if section is not None:
                ev["section_id"] = section
            evs.append(event_to_json(parse_event(ev)))
        results = self.log.append(evs)
        self.log.checkpoint()
        return [r.index for r in results]  # type: ignore[union-attr]

    def open_section(self) -> None:
        self.append(AFTER, "OPEN-")

    def row(self, idx: int) -> dict[str, Any]:
        with self.log.db.read() as conn:
            row = conn.execute(sa.text("SELECT * FROM events WHERE idx = :i"), {"i": idx})
            return dict(row.mappings().one())

    def rewrite(self, *statements: tuple[str, dict[str, Any]]) -> None:
        """Change rows as an attacker with database access would: guards dropped first."""
        engine = sa.create_engine(self.url)
        try:
            with engine.begin() as conn:
                sqlite = engine.dialect.name == "sqlite"
                if sqlite:
                    for trigger in TRIGGERS:
                        conn.execute(sa.text(f"DROP TRIGGER IF EXISTS {trigger}"))
                else:
                    for table in ("events", "tree_hashes"):
                        conn.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
                for sql, params in statements:
                    conn.execute(sa.text(sql), params)
                if not sqlite:
                    for table in ("events", "tree_hashes"):
                        conn.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        finally:
            engine.dispose()

    def flip_blob_byte(self, idx: int, offset: int = 100) -> None:
        blob = bytearray(bytes(self.row(idx)["canonical"]))
        blob[offset] ^= 0x01
        self.rewrite(("UPDATE events SET canonical = :c WHERE idx = :i",
                      {"c": bytes(blob), "i": idx}))

    def rewrite_release(self, idx: int, indexes: list[int]) -> None:
        """Make the BIDS_UNSEALED at ``idx`` list ``indexes``, with its leaf and every tree
        hash recomputed (the signed checkpoints then no longer match: a ``root`` problem)."""
        env = json.loads(bytes(self.row(idx)["canonical"]))
        env["payload"].update(sealed_indexes=indexes, sealed_count=len(indexes))
        data = canonical_json(env)
        with self.log.db.read() as conn:
            leaves = [bytes(r[0]) for r in conn.execute(
                sa.text("SELECT leaf_hash FROM events ORDER BY idx"))]
        leaves[idx] = leaf_hash(data)
        hashes, _ = tree.append_leaf_hashes(tree.EMPTY_FRONTIER, leaves)
        self.rewrite(("UPDATE events SET canonical = :c, leaf_hash = :l WHERE idx = :i",
                      {"c": data, "l": leaves[idx], "i": idx}),
                     *[("UPDATE tree_hashes SET hash = :h WHERE idx = :i", {"h": h, "i": i})
                       for i, h in hashes])

    def append_signed_release(self, indexes: list[int], event_id: str) -> None:
        """A BIDS_UNSEALED of section S01 listing ``indexes``, appended through the log
        itself: signed, in the tree and under a checkpoint like any event (the real opening
        is not recorded)."""
        sealer = self.log.sealer
        assert sealer is not None
        key = sealer.scope_key(PROJECT, SECTION)
        event = {"event_id": event_id, "type": RELEASE_TYPE, "project_id": PROJECT,
                 "section_id": SECTION, "occurred_at": "2025-03-27T09:30:00+08:00",
                 "actor": {"id": "ledger", "role": "system"},
                 "payload": {"scope_id": scope_id_of(key).hex(),
                             "key": base64.b64encode(key).decode(),
                             "sealed_indexes": indexes, "sealed_count": len(indexes),
                             "trigger_index": 4, "trigger_type": "OPENING_STARTED"}}
        self.log.append([event_to_json(parse_event(event))])
        self.log.checkpoint()


def new_ledger(home: Path, db_url: str | None = None) -> SealedLedger:
    settings = Settings(home=home, db_url=db_url, origin="sealed.verify.test/log")
    info = init_home(settings)
    log = open_log(settings)
    return SealedLedger(settings, log, build(key=info["vkey"], origin=info["origin"]))


def project_bundle(ledger: SealedLedger, *, drop: tuple[int, ...] = (),
                   sealed: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The project's bundle as the export writes it, built from the log: every event of the
    project the log holds in plaintext (public, and sealed ones the log opens for its
    operator), one checkpoint, the signed head; ``drop`` leaves indexes out."""
    log = ledger.log
    cp = log.checkpoint()
    events, head = [], None
    for i in range(cp.size):
        receipt = log.receipt(i, upgrade=False)
        env = json.loads(receipt.canonical_event)
        if env["project_id"] != PROJECT:
            continue
        if "seal" not in env:
            head = (env["project_seq"], receipt.leaf_hash, i)
        if i in drop:
            continue
        events.append({"index": i, "leaf_hash": receipt.leaf_hash.hex(),
                       "canonical": receipt.canonical_event.decode(),
                       "inclusion_proof": [h.hex() for h in log.inclusion_proof(i, cp.size)]})
    assert head is not None
    note = ProjectHead(log.origin, PROJECT, head[0], head[1], head[2], cp.size).sign(log.signer)
    bundle = {"format": "witness-bundle/v1", "kind": "project", "origin": log.origin,
              "project_id": PROJECT, "proof_size": cp.size,
              "checkpoints": [{"note": cp.note, "anchor": None}], "consistency": [],
              "head": note, "events": events}
    if sealed is not None:
        bundle["sealed"] = sealed
    return bundle


def dumps(bundle: dict[str, Any]) -> bytes:
    return json.dumps(bundle, ensure_ascii=False).encode()
