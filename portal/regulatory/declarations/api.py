"""JSON API of declarations: list, detail, create (prefilled), submit, review."""
import re

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from ... import auth
from ...api import api
from ...api.core import doc, json_body, paginate, query_param, register_schema, token_required
from ...errors import DomainError, Forbidden
from ...extensions import db
from . import services
from .models import FIGURES, KINDS, STATUSES, Declaration

_PERIOD = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")

FIGURE_SCHEMA = {"type": "object", "properties": {
    "waste_code": {"type": "string", "example": "900-249-08"}, "figure": {"type": "string", "enum": list(FIGURES)},
    "ledger_g": {"type": "integer"}, "declared_g": {"type": "integer"}, "comment": {"type": "string", "nullable": True}}}
DECLARATION_SCHEMA = register_schema("Declaration", {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "organisation": {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                                          "uscc": {"type": "string"}}},
        "district_code": {"type": "string"}, "kind": {"type": "string", "enum": list(KINDS)},
        "period": {"type": "string", "example": "2025-05"}, "status": {"type": "string", "enum": list(STATUSES)},
        "note": {"type": "string", "nullable": True}, "return_reason": {"type": "string", "nullable": True},
        "submitted_at": {"type": "string", "format": "date-time", "nullable": True},
        "reviewed_at": {"type": "string", "format": "date-time", "nullable": True},
        "figures": {"type": "array", "items": FIGURE_SCHEMA},
        "differences": {"type": "array", "items": {"type": "object", "properties": {
            "waste_code": {"type": "string"}, "figure": {"type": "string"}, "declared_g": {"type": "integer"},
            "ledger_g": {"type": "integer"}, "text": {"type": "string"}}}},
        "manifests": {"type": "array", "items": {"type": "object"}},
        "allowed_actions": {"type": "array", "items": {"type": "string"}},
    },
})
_ONE = {"content": {"application/json": {"schema": DECLARATION_SCHEMA}}}


def serialize(declaration: Declaration) -> dict:
    org = declaration.organisation
    differences = (services.balance_differences(declaration) if declaration.status in services.EDITABLE
                   else declaration.differences)
    return {
        "id": declaration.id, "organisation": {"id": org.id, "name": org.name, "uscc": org.uscc},
        "district_code": declaration.district_code, "kind": declaration.kind, "period": declaration.period_label,
        "status": declaration.status, "note": declaration.note, "return_reason": declaration.return_reason,
        "submitted_at": declaration.submitted_at.isoformat() if declaration.submitted_at else None,
        "reviewed_at": declaration.reviewed_at.isoformat() if declaration.reviewed_at else None,
        "figures": [{"waste_code": f.waste_code, "figure": f.figure, "ledger_g": f.ledger_g,
                     "declared_g": f.declared_g, "comment": f.comment} for f in declaration.figures],
        "differences": [{**d, "text": services.difference_text(d)} for d in differences],
        "manifests": declaration.manifests or [],
        "allowed_actions": services.allowed_actions(current_user, declaration),
    }


def _summary(declaration: Declaration) -> dict:
    org = declaration.organisation
    return {"id": declaration.id, "organisation": {"id": org.id, "name": org.name, "uscc": org.uscc},
            "district_code": declaration.district_code, "kind": declaration.kind,
            "period": declaration.period_label, "status": declaration.status,
            "differences": len(declaration.differences or []),
            "submitted_at": declaration.submitted_at.isoformat() if declaration.submitted_at else None}


def _bad(field: str, message: str) -> DomainError:
    return DomainError(message, fields={field: message}, status=400, code="bad_request")


def _filters() -> dict:
    args = request.args
    status, kind, period = args.get("status") or None, args.get("kind") or None, args.get("period") or None
    if status is not None and status not in STATUSES:
        raise _bad("status", _("Use draft, submitted, returned or accepted."))
    if kind is not None and kind not in KINDS:
        raise _bad("kind", _("Use monthly or annual."))
    start = None
    if period is not None:
        if not _PERIOD.match(period):
            raise _bad("period", _("Enter YYYY-MM for a month or YYYY for a year."))
        kind, start = services.period_filter(period)
    organisation = args.get("organisation") or None
    if organisation is not None and not organisation.isdigit():
        raise _bad("organisation", _("Give the organisation's id."))
    return {"status": status, "kind": kind, "period_start": start, "district": args.get("district") or None,
            "organisation_id": int(organisation) if organisation else None}


@api.get("/declarations")
@token_required
@doc("The declarations visible to the token: its organisation's, or a regulator's district (not drafts)",
     tags=["declarations"],
     params=[query_param("status", "draft, submitted, returned or accepted"),
             query_param("kind", "monthly or annual"),
             query_param("period", "YYYY-MM (monthly) or YYYY (annual)"),
             query_param("district", "District code, e.g. 411282"),
             query_param("organisation", "Organisation id", "integer"),
             query_param("page", "Page number, from 1", "integer"),
             query_param("page_size", "Entries per page", "integer")],
     responses={"200": {"description": "A page of declarations"}})
def list_declarations():
    return paginate(services.declarations_query(current_user, **_filters()), _summary)


@api.get("/declarations/<int:declaration_id>")
@token_required
@doc("One declaration with its figures (ledger and declared) and its mass-balance differences",
     tags=["declarations"], responses={"200": {"description": "The declaration", **_ONE}})
def get_declaration(declaration_id: int):
    return jsonify(serialize(services.get_declaration(current_user, declaration_id)))


@api.post("/declarations")
@token_required
@doc("Create a declaration for the token's organisation, prefilled from the ledger and the manifests",
     tags=["declarations"],
     body={"type": "object", "required": ["kind", "period"], "properties": {
         "kind": {"type": "string", "enum": list(KINDS)},
         "period": {"type": "string", "example": "2025-05", "description": "YYYY-MM or YYYY"}}},
     responses={"201": {"description": "The draft declaration", **_ONE}})
def create_declaration():
    body = json_body()
    org = auth.current_org()
    if org is None:
        raise Forbidden(_("The token does not act for an organisation."))
    kind, period = body.get("kind"), body.get("period")
    if not isinstance(kind, str):
        raise _bad("kind", _("Choose monthly or annual."))
    if not isinstance(period, str):
        raise _bad("period", _("Enter YYYY-MM for a month or YYYY for a year."))
    declaration = services.create_declaration(current_user, org, kind, period)
    db.session.commit()
    return jsonify(serialize(declaration)), 201


@api.post("/declarations/<int:declaration_id>/submit")
@token_required
@doc("Submit (or resubmit after a return), optionally changing figures; a figure that departs from the "
     "ledger needs a comment. The mass-balance differences are recorded.", tags=["declarations"],
     body={"type": "object", "properties": {
         "figures": {"type": "array", "items": {"type": "object", "required": ["waste_code", "figure", "declared_g"],
                                                "properties": {"waste_code": {"type": "string"},
                                                               "figure": {"type": "string", "enum": list(FIGURES)},
                                                               "declared_g": {"type": "integer"},
                                                               "comment": {"type": "string"}}}},
         "note": {"type": "string"}}},
     responses={"200": {"description": "The submitted declaration", **_ONE}})
def submit_declaration(declaration_id: int):
    body = json_body()
    declaration = services.get_declaration(current_user, declaration_id)
    services.submit_declaration(current_user, declaration, body.get("figures"), body.get("note"))
    db.session.commit()
    return jsonify(serialize(declaration))


@api.post("/declarations/<int:declaration_id>/review")
@token_required
@doc("Accept a submitted declaration, or return it with a reason the enterprise sees (regulator of its "
     "district)", tags=["declarations"],
     body={"type": "object", "required": ["decision"], "properties": {
         "decision": {"type": "string", "enum": ["accept", "return"]}, "reason": {"type": "string"}}},
     responses={"200": {"description": "The reviewed declaration", **_ONE}})
def review_declaration(declaration_id: int):
    body = json_body()
    declaration = services.get_declaration(current_user, declaration_id)
    services.review_declaration(current_user, declaration, body.get("decision"), body.get("reason"))
    db.session.commit()
    return jsonify(serialize(declaration))
