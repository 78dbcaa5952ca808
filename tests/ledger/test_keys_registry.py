"""The registry side of key rotations, on the embedded chain: the anchorer account handed over
(anchoring goes on, the old account is refused), the checkpoint signer changed only with the
admin's call AND the old signer's consent, and both rotations finished by running them again
when the registry's admin is someone else (the regulators' multisig)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from chain_access import ChainBackend, ChainRevert
from chain_access.embedded import dev_accounts
from ledger.anchoring import bind_chain, registry
from ledger.anchoring.anchorer import Anchorer
from ledger.anchoring.binding import EMBEDDED_FUNDING_WEI, anchorer_account
from ledger.anchoring.chains import BoundChain, anchor_all_once, bound_chains, open_bound
from ledger.anchoring.rotation import (
    ADMIN_ROLE,
    AdminCall,
    AdminCallsNeeded,
    rotate_anchorer,
    rotate_checkpoint_signer,
)
from ledger.anchoring.signer import CheckpointKey, load_checkpoint_key, rotation_digest
from ledger.home import init_home, open_log
from ledger.log import WitnessLog
from ledger.settings import Settings
from tests.ledger.conftest import make_event

ABI = registry.abi()


@pytest.fixture
def bound(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """A log bound to the embedded chain, 3 events anchored (SQLite; PostgreSQL when the
    test asks for it with an indirect parameter)."""
    backend = getattr(request, "param", "sqlite")
    db_url = request.getfixturevalue("pg_url") if backend == "postgres" else None
    s = Settings(home=tmp_path / "home", db_url=db_url, origin="registry-keys.test/log",
                 chain="embedded")
    init_home(s)
    log = open_log(s)
    try:
        bind_chain(s, log)
        log.append([make_event(i) for i in range(3)])
        _anchor(s, log)
    finally:
        log.db.dispose()
    return s


def _anchor(s: Settings, log: WitnessLog) -> None:
    ((_, outcome),) = anchor_all_once(s, log)
    assert not isinstance(outcome, Exception), outcome
    assert outcome.action == "anchored"


class Registry:
    """The log's registry on the embedded chain, opened for one test step."""

    def __init__(self, s: Settings, log: WitnessLog) -> None:
        (self.bound,) = bound_chains(log)
        self.chain: ChainBackend = open_bound(s, self.bound)
        self.address = self.bound.binding.registry
        self.lid = bytes.fromhex(self.bound.binding.log_id[2:])

    def call(self, fn: str, *args: Any) -> Any:
        return self.chain.call(self.address, ABI, fn, list(args))

    def send(self, fn: str, args: list[Any], sender: LocalAccount) -> Any:
        return self.chain.transact(self.address, ABI, fn, args, sender)

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.chain.close()


def _registry(s: Settings) -> tuple[WitnessLog, Registry]:
    log = open_log(s)
    return log, Registry(s, log)


@pytest.mark.parametrize("bound", ["sqlite", "postgres"], indirect=True)
def test_anchoring_goes_on_with_the_new_anchorer_and_the_old_one_is_refused(
        bound: Settings) -> None:
    old = anchorer_account(bound, create=False)
    log = open_log(bound)
    try:
        done = rotate_anchorer(bound, log)
        assert (done.old, done.retired is not None) == (old.address, True)
        assert anchorer_account(bound, create=False).address == done.new
        log.append([make_event(i) for i in range(3, 6)])
        _anchor(bound, log)
        with Registry(bound, log) as reg:
            assert not reg.call("isAnchorer", reg.lid, old.address)
            assert reg.call("isAnchorer", reg.lid, done.new)
            assert not reg.call("hasRole", ADMIN_ROLE, old.address)  # the admin role moved
            assert reg.call("hasRole", ADMIN_ROLE, done.new)
            log.append([make_event(6)])
            stale = Anchorer(log, reg.chain, reg.bound.binding, old,
                             checkpoint_key=load_checkpoint_key(bound.home))
            with pytest.raises(ChainRevert) as info:
                stale.anchor_once()
            assert info.value.name == "NotAnchorer"
    finally:
        log.db.dispose()


def test_the_signer_changes_only_with_the_admin_and_the_old_signers_consent(
        bound: Settings) -> None:
    log, reg = _registry(bound)
    with reg:
        admin, current = anchorer_account(bound, create=False), load_checkpoint_key(bound.home)
        new, stranger = _key("new"), _key("stranger")
        chain_id = reg.chain.chain_id()

        def consent(by: CheckpointKey) -> list[Any]:
            digest = rotation_digest(chain_id, reg.address, reg.lid, current.address,
                                     new.address)
            return [reg.lid, new.address, *by.sign_digest(digest).args()]

        with pytest.raises(ChainRevert) as info:  # the admin alone cannot
            reg.send("rotateCheckpointSigner", consent(stranger), admin)
        assert info.value.name == "RotationNotSignedBySigner"
        outsider = dev_accounts()[2]
        with pytest.raises(ChainRevert) as info:  # the signer's consent alone cannot
            reg.send("rotateCheckpointSigner", consent(current), outsider)
        assert info.value.name == "AccessControlUnauthorizedAccount"
        reg.send("rotateCheckpointSigner", consent(current), admin)
        assert str(reg.call("checkpointSigner", reg.lid)).lower() == new.address.lower()
    log.db.dispose()


def _key(label: str) -> CheckpointKey:
    import hashlib

    return CheckpointKey(hashlib.sha256(f"registry keys test {label}".encode()).digest())


def test_rotations_finish_once_an_outside_admin_sent_the_calls(bound: Settings) -> None:
    """The admin role is the regulators' (here a dev account): the ledger prepares the calls,
    the admin sends them, and the same command run again completes the rotation."""
    admin = dev_accounts()[1]
    log, reg = _registry(bound)
    with reg:
        ours = anchorer_account(bound, create=False)
        reg.send("grantRole", [ADMIN_ROLE, admin.address], ours)
        reg.send("renounceRole", [ADMIN_ROLE, ours.address], ours)
    try:
        for rotate in (rotate_anchorer, rotate_checkpoint_signer):
            with pytest.raises(AdminCallsNeeded) as info:
                rotate(bound, log)
            _send_as(bound, log, info.value.calls, admin)
            done = rotate(bound, log)
            assert done.retired is not None
        log.append([make_event(i) for i in range(3, 6)])
        _anchor(bound, log)  # the new anchorer, with a checkpoint signed by the new signer
    finally:
        log.db.dispose()
    names = [c.function for c in info.value.calls]
    assert names == ["rotateCheckpointSigner"]


def _send_as(s: Settings, log: WitnessLog, calls: list[AdminCall], admin: LocalAccount) -> None:
    """What the admin's wallet does with the calls: send ``data`` to ``to``."""
    with Registry(s, log) as reg:
        if reg.chain.balance(admin.address) == 0:
            reg.chain.fund(admin.address, EMBEDDED_FUNDING_WEI)  # type: ignore[attr-defined]
        for call in calls:
            assert call.registry == reg.address and call.chain == str(reg.chain.chain_id())
            reg.send(call.function, _decoded(call, reg.bound), admin)


def _decoded(call: AdminCall, bound: BoundChain) -> list[Any]:
    """The arguments of ``call`` (as it lists them), for a wallet that encodes them itself."""
    args: list[Any] = [bytes.fromhex(a[2:]) if len(a) == 66 else a for a in call.args]
    from chain_access.abi_codec import encode_call

    assert "0x" + encode_call(ABI, call.function, args).hex() == call.data
    return args
