"""JSON API of accounts and organisations."""
from flask import g, jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select
from werkzeug.datastructures import MultiDict

from .. import auth
from ..api import api, doc, json_body, paginate, register_schema, token_required
from ..api.core import query_param
from ..errors import DomainError
from ..extensions import db
from . import services
from .forms import OrganisationForm
from .models import Membership, Organisation, OrgStatus, User

ORGANISATION = register_schema("Organisation", {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "uscc": {"type": "string"}, "name": {"type": "string"},
        "industry": {"type": "string", "nullable": True}, "address": {"type": "string"},
        "district_code": {"type": "string"}, "district_name": {"type": "string", "nullable": True},
        "lat": {"type": "string", "nullable": True, "description": "WGS-84 decimal degrees"},
        "lon": {"type": "string", "nullable": True, "description": "WGS-84 decimal degrees"},
        "contact_name": {"type": "string"}, "contact_phone": {"type": "string"},
        "contact_email": {"type": "string", "nullable": True},
        "is_generator": {"type": "boolean"}, "is_transporter": {"type": "boolean"},
        "is_collector": {"type": "boolean"}, "is_receiver": {"type": "boolean"},
        "status": {"type": "string", "enum": [s.value for s in OrgStatus]},
        "rejection_reason": {"type": "string", "nullable": True},
        "created_at": {"type": "string", "format": "date-time"},
        "reviewed_at": {"type": "string", "format": "date-time", "nullable": True},
    },
})
USER = register_schema("User", {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                   "email": {"type": "string", "nullable": True}, "mobile": {"type": "string", "nullable": True},
                   "locale": {"type": "string", "nullable": True}, "is_platform_admin": {"type": "boolean"},
                   "regulator": {"type": "object", "nullable": True, "properties": {
                       "department": {"type": "string"}, "jurisdiction_code": {"type": "string"}}}},
})
MEMBER = register_schema("Member", {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "user_id": {"type": "integer"}, "name": {"type": "string"},
                   "login": {"type": "string"}, "role": {"type": "string", "enum": ["admin", "staff", "driver"]},
                   "joined_at": {"type": "string", "format": "date-time"}},
})
NEW_ORGANISATION = register_schema("NewOrganisation", {
    "type": "object",
    "required": ["uscc", "name", "address", "district_code", "contact_name", "contact_phone"],
    "properties": {
        "uscc": {"type": "string", "minLength": 18, "maxLength": 18}, "name": {"type": "string"},
        "industry": {"type": "string"}, "address": {"type": "string"},
        "district_code": {"type": "string", "description": "county-level division code, e.g. 411282"},
        "lat": {"type": "string", "description": "WGS-84, within Sanmenxia (33.5–35.1)"},
        "lon": {"type": "string", "description": "WGS-84, within Sanmenxia (110.3–112.1)"},
        "contact_name": {"type": "string"}, "contact_phone": {"type": "string"}, "contact_email": {"type": "string"},
        "is_generator": {"type": "boolean"}, "is_transporter": {"type": "boolean"},
        "is_collector": {"type": "boolean"}, "is_receiver": {"type": "boolean"},
    },
})


def _page_of(schema: dict) -> dict:
    return {"type": "object", "properties": {
        "items": {"type": "array", "items": schema}, "total": {"type": "integer"}, "page": {"type": "integer"},
        "page_size": {"type": "integer"}, "pages": {"type": "integer"}}}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _iso(value):
    return value.isoformat() if value else None


def organisation_json(org: Organisation) -> dict:
    return {
        "id": org.id, "uscc": org.uscc, "name": org.name, "industry": org.industry, "address": org.address,
        "district_code": org.district_code, "district_name": org.district.name if org.district else None,
        # Decimal degrees as strings: JSON numbers would pass through binary floating point
        "lat": None if org.lat is None else str(org.lat), "lon": None if org.lon is None else str(org.lon),
        "contact_name": org.contact_name, "contact_phone": org.contact_phone, "contact_email": org.contact_email,
        **{name: bool(getattr(org, name)) for name in Organisation.CAPABILITIES},
        "status": org.status.value, "rejection_reason": org.rejection_reason,
        "created_at": _iso(org.created_at), "reviewed_at": _iso(org.reviewed_at),
    }


def user_json(user: User) -> dict:
    regulator = auth.regulator_of(user)
    return {"id": user.id, "name": user.name, "email": user.email, "mobile": user.mobile, "locale": user.locale,
            "is_platform_admin": bool(user.is_platform_admin),
            "regulator": None if regulator is None else {"department": regulator.department.value,
                                                         "jurisdiction_code": regulator.jurisdiction_code}}


def member_json(member: Membership) -> dict:
    return {"id": member.id, "user_id": member.user_id, "name": member.user.name, "login": member.user.login,
            "role": member.role.value, "joined_at": _iso(member.created_at)}


@api.get("/me")
@token_required
@doc("The token's user and the organisation it acts for", tags=["accounts"], responses={"200": _json({
    "type": "object", "properties": {"user": USER, "organisation": {**ORGANISATION, "nullable": True}}})})
def me():
    org = g.api_org
    return jsonify(user=user_json(g.api_user), organisation=organisation_json(org) if org else None)


@api.get("/organisations")
@token_required
@doc("Organisations visible to the token's user: its own, or a regulator's jurisdiction", tags=["accounts"],
     params=[query_param("status", "pending, verified or rejected"),
             query_param("district", "county-level division code, e.g. 411282"),
             query_param("q", "part of the name or of the unified social credit code"),
             query_param("page", "page number, from 1", "integer"),
             query_param("page_size", "items per page (at most 100)", "integer")],
     responses={"200": _json(_page_of(ORGANISATION))})
def list_organisations():
    query = auth.orgs_visible_to(g.api_user)
    if status := request.args.get("status"):
        if status not in {s.value for s in OrgStatus}:
            message = _("Must be one of: %(values)s.", values=", ".join(s.value for s in OrgStatus))
            raise DomainError(message, fields={"status": message}, code="bad_request", status=400)
        query = query.where(Organisation.status == status)
    if district := request.args.get("district"):
        query = query.where(Organisation.district_code == district)
    if q := (request.args.get("q") or "").strip():
        query = query.where(or_(Organisation.name.icontains(q, autoescape=True),
                                Organisation.uscc.icontains(q, autoescape=True)))
    return paginate(query.order_by(Organisation.id), organisation_json)


def _visible_org(org_id: int) -> Organisation:
    return auth.require_view_org(g.api_user, db.session.get(Organisation, org_id))


@api.get("/organisations/<int:org_id>")
@token_required
@doc("One organisation", tags=["accounts"], responses={"200": _json(ORGANISATION)})
def get_organisation(org_id: int):
    return jsonify(organisation_json(_visible_org(org_id)))


@api.get("/organisations/<int:org_id>/members")
@token_required
@doc("Members of an organisation (for its members, its regulators and admins)", tags=["accounts"],
     params=[query_param("page", "page number, from 1", "integer"),
             query_param("page_size", "items per page (at most 100)", "integer")],
     responses={"200": _json(_page_of(MEMBER))})
def list_members(org_id: int):
    org = _visible_org(org_id)
    query = select(Membership).where(Membership.organisation_id == org.id).order_by(Membership.id)
    return paginate(query, member_json)


def _organisation_form(body: dict) -> OrganisationForm:
    """The web form's validation applied to a JSON body, so both channels accept the same input."""
    data, errors = MultiDict(), {}
    for key, value in body.items():
        if key not in OrganisationForm.FIELDS or value is None:
            continue
        if isinstance(value, bool):
            if not key.startswith("is_"):
                errors[key] = _("Must be a string.")
            value = "y" if value else ""
        elif key.startswith("is_"):
            errors[key] = _("Must be true or false.")
        elif isinstance(value, int | float):
            value = str(value)  # repr of a JSON number: the shortest decimal that round-trips
        elif not isinstance(value, str):
            errors[key] = _("Must be a string.")
        data[key] = value
    form = OrganisationForm(formdata=data, meta={"csrf": False})
    form.validate()
    errors.update({name: messages[0] for name, messages in form.errors.items() if name not in errors})
    if errors:
        raise DomainError(_("Some fields are not valid."), fields=errors, code="invalid", status=422)
    return form


@api.post("/organisations")
@token_required
@doc("Register an organisation; the token's user becomes its administrator and it awaits verification",
     tags=["accounts"], body=NEW_ORGANISATION, responses={"201": _json(ORGANISATION, "Registered, pending")})
def create_organisation():
    form = _organisation_form(json_body())
    org = services.register_organisation(g.api_user, **form.values())
    db.session.commit()
    response = jsonify(organisation_json(org))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_organisation", org_id=org.id)
    return response
