"""GET /api/v1/trace/<code>: the public trace as JSON (the full one with an inspector's signed link)."""
from flask import jsonify, request
from flask_babel import lazy_gettext as _l

from portal.api import api
from portal.api.core import doc, query_param, register_schema
from portal.errors import Forbidden, NotFound
from portal.extensions import limiter

from . import services
from .views import trace_limit

STEP = {"type": "object", "properties": {
    "number": {"type": "integer"}, "type": {"type": "string"}, "occurred_at": {"type": "string", "format": "date-time"},
    "place": {"type": "string", "nullable": True}, "organisation": {"type": "string"},
    "quantity_g": {"type": "integer", "nullable": True}, "container": {"type": "string", "nullable": True},
    "method": {"type": "string", "nullable": True, "description": "R/D code of a treatment"},
    "manifest": {"type": "string", "nullable": True}, "continued_in": {"type": "string", "nullable": True},
    "altered": {"type": "boolean"},
    "actor": {"type": "string", "nullable": True, "description": "full view only"},
    "vehicle_plate": {"type": "string", "nullable": True, "description": "full view only"},
    "driver": {"type": "string", "nullable": True, "description": "full view only"}}}
TRACE = register_schema("Trace", {
    "type": "object", "required": ["kind", "code", "state", "wastes", "producer", "steps", "integrity"],
    "properties": {
        "kind": {"type": "string", "enum": ["container", "batch", "manifest"]}, "code": {"type": "string"},
        "state": {"type": "string"}, "quantity_g": {"type": "integer"}, "full": {"type": "boolean"},
        "wastes": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "name": {"type": "string"}, "category": {"type": "string"},
            "category_name": {"type": "string"}, "hazards": {"type": "array", "items": {"type": "string"}},
            "stream": {"type": "string"}, "form": {"type": "string"}}}},
        "producer": {"type": "object", "properties": {"name": {"type": "string"}, "district": {"type": "string"}}},
        "containers": {"type": "array", "items": {"type": "string"}},
        "manifest": {"type": "string", "nullable": True}, "batch_code": {"type": "string", "nullable": True},
        "steps": {"type": "array", "items": STEP},
        "integrity": {"type": "object", "properties": {
            "intact": {"type": "boolean"}, "altered_step": {"type": "integer", "nullable": True},
            "altered_ledger_entry": {"type": "integer", "nullable": True}}},
    },
})


@api.get("/trace/<code>")
@limiter.shared_limit(trace_limit, scope="trace")
@doc("The public trace of a container code (37 characters), a batch (B-<first container code>) or a manifest "
     "number (14 digits): the waste, its producer, every step and the ledger's integrity", tags=["trace"],
     params=[query_param("k", "An inspector's signed link token: the full view with names and vehicle plates")],
     responses={"200": {"description": "The trace", "content": {"application/json": {"schema": TRACE}}},
                "403": {"description": "The inspector link expired or is not valid for this code"},
                "404": {"description": "Unknown or malformed code"},
                "429": {"description": "Too many requests from this address"}})
def trace_json(code):
    try:
        found, full = services.resolve(code, request.args.get("k"))
    except services.LinkRefused as refused:
        raise Forbidden(_l("This inspector link has expired.") if refused.expired
                        else _l("This inspector link is not valid for this code."),
                        code="link_expired" if refused.expired else "link_invalid") from None
    if found is None:
        raise NotFound(_l("No container, batch or manifest has this code."))
    response = jsonify(found.to_dict())
    if full:
        response.headers["Cache-Control"] = "private, no-store"
    return response
