"""Where the ledger's signing keys live: ``WITNESS_HSM_*`` environment variables.

A key whose label is set lives in the PKCS#11 token, every other key in its 0600 file in the
data directory. The PIN comes from a file (``WITNESS_HSM_PIN_FILE``) or the environment
(``WITNESS_HSM_PIN``), never from an argument, and is never logged or shown. Must not import
the store, the API or the verifier.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger.core.errors import WitnessError

Role = Literal["log", "checkpoint", "anchorer"]
ROLES: tuple[Role, ...] = ("log", "checkpoint", "anchorer")
MAX_PIN_FILE = 4096


class HsmConfigError(WitnessError):
    """The HSM settings are incomplete or the PIN cannot be read."""


class HsmSettings(BaseSettings):
    """The PKCS#11 module, token and key labels (each label: that key is in the token)."""

    model_config = SettingsConfigDict(env_prefix="WITNESS_HSM_", extra="ignore")

    module: Path | None = Field(default=None, description="PKCS#11 module (.so) path")
    token: str | None = Field(default=None, max_length=32, description="token label")
    pin_file: Path | None = Field(default=None, description="file holding the user PIN")
    pin: SecretStr | None = Field(default=None, description="the user PIN (prefer pin_file)")
    log_key: str | None = Field(default=None, max_length=64, description=(
        "label of the log key (Ed25519) in the token"))
    checkpoint_key: str | None = Field(default=None, max_length=64, description=(
        "label of the checkpoint signer (secp256k1) in the token"))
    anchorer_key: str | None = Field(default=None, max_length=64, description=(
        "label of the anchorer account key (secp256k1) in the token"))

    def label(self, role: Role) -> str | None:
        """The token label of ``role``'s key, or None when that key lives in a file."""
        return {"log": self.log_key, "checkpoint": self.checkpoint_key,
                "anchorer": self.anchorer_key}[role] or None

    def require_token(self) -> tuple[Path, str]:
        """(module, token label), or a message naming what is missing."""
        if self.module is None or not self.token:
            raise HsmConfigError("a key is configured to live in the HSM, but "
                                 "WITNESS_HSM_MODULE and WITNESS_HSM_TOKEN are not both set")
        if not self.module.is_file():
            raise HsmConfigError(f"no PKCS#11 module at WITNESS_HSM_MODULE={self.module}")
        return self.module, self.token

    def read_pin(self) -> str:
        """The user PIN: from ``pin_file`` (first line), else ``WITNESS_HSM_PIN``."""
        if self.pin_file is not None:
            try:
                if self.pin_file.stat().st_size > MAX_PIN_FILE:
                    raise HsmConfigError(f"PIN file {self.pin_file} is too large")
                text = self.pin_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise HsmConfigError(f"cannot read the PIN file {self.pin_file}: "
                                     f"{exc.strerror}") from exc
            if not text or "\n" in text:
                raise HsmConfigError(f"PIN file {self.pin_file} does not hold one PIN")
            return text
        if self.pin is not None and self.pin.get_secret_value():
            return self.pin.get_secret_value()
        raise HsmConfigError("no HSM PIN: set WITNESS_HSM_PIN_FILE (or WITNESS_HSM_PIN)")
