"""The witness service: a FastAPI app over the ledger (``create_app(settings)``).

Layering: imports ``ledger.*`` (and the verifier when present), never the other way round.
"""

from witness_api.app import app_from_env, create_app

__all__ = ["app_from_env", "create_app"]
