"""The JSON API under /api/v1: bearer tokens, the error shape, Idempotency-Key, pagination, OpenAPI."""
from .core import api, doc, json_body, paginate, register_schema, token_required  # noqa: F401
