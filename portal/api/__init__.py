"""The JSON API under /api/v1: bearer tokens, the error shape, Idempotency-Key, pagination, and the typed
schema layer (schemas.py) from which the OpenAPI document (openapi.py) is generated."""
from . import openapi  # noqa: F401  (registers /openapi.json)
from .core import api, paginate, token_required  # noqa: F401
from .schemas import endpoint  # noqa: F401
