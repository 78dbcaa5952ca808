"""Keys in a real SoftHSM2 token: Ed25519 notes the unchanged verifier accepts, secp256k1
signatures in Ethereum's form (low s, recovery id), transactions, imports that sign exactly
as the file did, and a PIN that is read from its file and shown nowhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from eth_keys.constants import SECPK1_N
from eth_keys.datatypes import PrivateKey
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from ledger.core.note import Checkpoint, NoteSigner, open_checkpoint, sign_checkpoint
from ledger.keys import KeyFileError
from ledger.signers.config import HsmConfigError, HsmSettings
from ledger.signers.hsm import HsmError, HsmToken
from ledger.signers.secp256k1 import SignerAccount, ethereum_signature
from ledger.signers.slots import FileSlot, TokenSlot, key_slot
from tests.ledger.hsm.conftest import PIN, SoftHsm

ORIGIN = "hsm.test/log"


def test_the_log_key_in_the_token_signs_what_the_verifier_accepts(hsm_env: dict[str, str],
                                                                   tmp_path: Path) -> None:
    slot = key_slot(tmp_path, "log")
    assert isinstance(slot, TokenSlot) and not slot.exists()
    slot.create()
    signer = NoteSigner(ORIGIN, slot.ed25519())
    note = sign_checkpoint(Checkpoint(ORIGIN, 42, b"\x07" * 32), signer)
    assert open_checkpoint(note, [signer.verifier], ORIGIN).size == 42
    assert slot.public_id() == signer.verifier.public_key.hex()
    assert list(tmp_path.iterdir()) == []  # nothing of the key on disk
    _assert_never_leaves(slot)


def _assert_never_leaves(slot: TokenSlot) -> None:
    from pkcs11 import Attribute, ObjectClass

    token = slot._token()
    (key,) = token.keys(slot.label)
    (private,) = token._open().get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                                            Attribute.ID: key.key_id})
    assert private[Attribute.SENSITIVE] and not private[Attribute.EXTRACTABLE]


def test_an_imported_key_signs_exactly_as_its_file_did(hsm_env: dict[str, str],
                                                      tmp_path: Path) -> None:
    for role in ("log", "checkpoint"):
        file_slot = FileSlot(role, tmp_path / f"{role}.key")
        file_slot.create()
        token_slot = key_slot(tmp_path, role)
        token_slot.import_secret(file_slot.secret())
        assert token_slot.public_id() == file_slot.public_id()
    log_file, log_token = FileSlot("log", tmp_path / "log.key"), key_slot(tmp_path, "log")
    body = f"{ORIGIN}\n1\n{'A' * 43}=\n"
    assert NoteSigner(ORIGIN, log_token.ed25519()).sign(body) == \
        NoteSigner(ORIGIN, log_file.ed25519()).sign(body)  # Ed25519 is deterministic


def test_secp256k1_signatures_come_out_low_s_with_their_recovery_id(
        hsm_env: dict[str, str], tmp_path: Path) -> None:
    slot = key_slot(tmp_path, "checkpoint")
    slot.create()
    key = slot.secp256k1()
    parities = set()
    for k in range(24):
        digest = keccak(f"digest {k}".encode())
        sig = key.sign_msg_hash(digest)
        assert 0 < sig.s <= SECPK1_N // 2
        assert sig.recover_public_key_from_msg_hash(digest) == key.public_key
        parities.add(sig.v)
    assert parities == {0, 1}  # both recovery ids met (a 2^-23 chance to miss one)


def test_a_high_s_signature_is_turned_into_its_low_twin() -> None:
    key = PrivateKey(b"\x05" * 32)
    digest = keccak(b"high s")
    sig = key.sign_msg_hash(digest)
    high = sig.r.to_bytes(32, "big") + (SECPK1_N - sig.s).to_bytes(32, "big")
    fixed = ethereum_signature(digest, high, key.public_key)
    assert (fixed.r, fixed.s, fixed.v) == (sig.r, sig.s, sig.v)
    with pytest.raises(HsmError, match="does not recover"):
        ethereum_signature(digest, high, PrivateKey(b"\x06" * 32).public_key)


@pytest.mark.parametrize("fees", [{"maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 10**9},
                                  {"gasPrice": 2 * 10**9}])
def test_the_token_account_signs_transactions(hsm_env: dict[str, str], tmp_path: Path,
                                              fees: dict[str, int]) -> None:
    slot = key_slot(tmp_path, "anchorer")
    slot.create()
    account = SignerAccount(slot.secp256k1())
    tx = {"to": to_checksum_address("0x" + "ab" * 20), "value": 0, "data": b"\x01\x02",
          "nonce": 7, "gas": 90_000, "chainId": 1337, **fees}
    signed = account.sign_transaction(tx)
    assert Account.recover_transaction(signed.raw_transaction) == account.address
    assert signed.hash == keccak(signed.raw_transaction) and signed.s <= SECPK1_N // 2
    assert "PIN" not in repr(account) and account.address in repr(account)


def test_the_pin_comes_from_its_file_and_is_shown_nowhere(softhsm: SoftHsm,
                                                          tmp_path: Path) -> None:
    settings = HsmSettings(module=softhsm.module, token=softhsm.token,
                           pin_file=softhsm.pin_file, log_key="x")
    assert settings.read_pin() == PIN
    assert PIN not in repr(settings) and PIN not in repr(HsmToken(softhsm.module, "t", PIN))
    from_env = HsmSettings(module=softhsm.module, token=softhsm.token, pin=PIN)
    assert from_env.read_pin() == PIN and PIN not in repr(from_env)
    with pytest.raises(HsmConfigError, match="no HSM PIN"):
        HsmSettings(module=softhsm.module, token=softhsm.token).read_pin()
    wrong = tmp_path / "wrong"
    wrong.write_text("000000\n", encoding="utf-8")
    slot = TokenSlot("log", HsmSettings(module=softhsm.module, token=softhsm.token,
                                        pin_file=wrong, log_key="x"), "x")
    with pytest.raises(HsmError) as info:
        slot.exists()
    assert "000000" not in str(info.value) and "PIN" in str(info.value)
    missing = TokenSlot("log", HsmSettings(module=softhsm.module, token="no-such-token",
                                           pin_file=softhsm.pin_file), "x")
    with pytest.raises(HsmError, match="no token labelled"):
        missing.exists()


def test_a_missing_key_says_where_it_was_looked_for(hsm_env: dict[str, str],
                                                    tmp_path: Path) -> None:
    slot = key_slot(tmp_path, "checkpoint")
    with pytest.raises(KeyFileError, match=f"label '{hsm_env['WITNESS_HSM_CHECKPOINT_KEY']}'"):
        slot.secp256k1()
    slot.create()
    with pytest.raises(HsmError, match="exists already"):
        slot.create()
