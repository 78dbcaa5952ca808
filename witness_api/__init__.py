"""The witness service: a FastAPI app over the ledger (``create_app(settings)``).

Layering: imports ``ledger.*`` and the verifier, never the other way round. The app is
imported lazily so that the ``witness`` console script (``witness_api.cli``) starts fast for
commands that do not serve HTTP.
"""

from __future__ import annotations

from typing import Any

__all__ = ["app_from_env", "create_app"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from witness_api import app

        return getattr(app, name)
    raise AttributeError(name)
