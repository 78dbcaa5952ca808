"""The data directory: create a log (`witness init`) and open it.

Holds the database (SQLite by default), the log key (0600), the pseudonymisation key
(0600), the seal key (0600, ledger.sealing), and once bound to a chain the anchorer key and
the checkpoint key (0600, ledger.anchoring) and the embedded chain. The three signing keys
may live in an HSM instead (``ledger.signers``). Must not import the API or the verifier.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select

from ledger.clock import zone_clock
from ledger.errors import NotInitialisedError
from ledger.keys import create_secret
from ledger.log import WitnessLog
from ledger.sealing.keys import Sealer, load_sealer
from ledger.settings import Settings
from ledger.signers.log_key import load_log_signer, log_keys
from ledger.signers.slots import key_slot
from ledger.store.database import Database
from ledger.store.schema import log_info


def read_log_info(db: Database) -> dict[str, str]:
    with db.read() as conn:
        return {k: v for k, v in conn.execute(select(log_info.c.key, log_info.c.value))}


def init_home(settings: Settings) -> dict[str, str]:
    """Create keys and schema and record the log's identity; idempotent on an existing log."""
    settings.home.mkdir(parents=True, exist_ok=True)
    log_slot = key_slot(settings.home, "log")
    if not log_slot.exists():
        log_slot.create()
    if not settings.pseudonym_key_path.exists():
        create_secret(settings.pseudonym_key_path)
    load_sealer(settings.seal_key_path, create=True)
    db = Database(settings.database_url)
    try:
        db.migrate()
        info = read_log_info(db)
        if not info:
            signer = load_log_signer(settings.home, settings.origin, None)
            info = {
                "origin": settings.origin,
                "vkey": signer.verifier.vkey(),
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            with db.write() as conn:
                conn.execute(insert(log_info), [{"key": k, "value": v} for k, v in info.items()])
        return info
    finally:
        db.dispose()


def open_log(settings: Settings, *, db: Database | None = None,
             handover: bool = False) -> WitnessLog:
    """Open an initialised log; its origin comes from the database, not the environment.
    Its key must be the one its history names (``ledger.signers.log_key``; ``handover``:
    or the one a rotation hands over from, to seal the hand-over checkpoint)."""
    db = db or Database(settings.database_url)
    if db.engine.url.get_backend_name() != "sqlite":
        with db.engine.connect():  # a server that is down is not "no log": let it say so
            pass
    try:
        info = read_log_info(db)
    except Exception as exc:  # no schema yet
        where = db.engine.url.render_as_string(hide_password=True)
        raise NotInitialisedError(f"no witness log at {where}: run `witness init`") from exc
    if "origin" not in info:
        raise NotInitialisedError("the database has no log: run `witness init`")
    signer = load_log_signer(settings.home, info["origin"], log_keys(db, info),
                             handover=handover)
    return WitnessLog(db, signer, info["origin"], mmd_seconds=settings.mmd_seconds,
                      clock=zone_clock(settings.timezone), sealer=_sealer(settings))


def _sealer(settings: Settings) -> Sealer:
    """The log's sealer; a data directory from before sealing gets its key on first open
    (several workers may race to create it: the loser reads the winner's file)."""
    try:
        return load_sealer(settings.seal_key_path, create=True)
    except FileExistsError:
        return load_sealer(settings.seal_key_path)
