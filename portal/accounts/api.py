"""JSON API of accounts and organisations."""
from datetime import datetime
from decimal import Decimal
from typing import Literal

from flask import g, jsonify, url_for
from flask_babel import gettext as _
from pydantic import Field
from sqlalchemy import or_, select
from werkzeug.datastructures import MultiDict

from .. import auth
from ..api import api, paginate, token_required
from ..api.schemas import Input, Output, Page, PageQuery, endpoint, first_item, link
from ..errors import DomainError
from ..extensions import db
from . import services
from .forms import CHINA_LAT_RANGE, CHINA_LON_RANGE, OrganisationForm
from .models import Membership, Organisation, OrgStatus, User


class OrganisationOut(Output):
    id: int
    uscc: str
    name: str
    industry: str | None
    address: str
    district_code: str
    district_name: str | None
    lat: str | None = Field(description="WGS-84 decimal degrees")
    lon: str | None = Field(description="WGS-84 decimal degrees")
    contact_name: str
    contact_phone: str
    contact_email: str | None
    is_generator: bool
    is_transporter: bool
    is_collector: bool
    is_receiver: bool
    status: Literal[tuple(s.value for s in OrgStatus)]
    rejection_reason: str | None
    created_at: datetime | None
    reviewed_at: datetime | None


class RegulatorOut(Output):
    department: str
    jurisdiction_code: str


class UserOut(Output):
    id: int
    name: str
    email: str | None
    mobile: str | None
    locale: str | None
    is_platform_admin: bool
    regulator: RegulatorOut | None


class MemberOut(Output):
    id: int
    user_id: int
    name: str
    login: str | None
    role: Literal["admin", "staff", "driver"]
    joined_at: datetime | None


class Me(Output):
    user: UserOut
    organisation: OrganisationOut | None


class NewOrganisation(Input):
    uscc: str = Field(min_length=18, max_length=18)
    name: str = Field(max_length=200)
    industry: str | None = Field(None, max_length=200)
    address: str = Field(max_length=300)
    district_code: str = Field(pattern=r"^\d{6}$", description=(
        "6-digit county-level division code anywhere in China (GET /divisions), e.g. 411282 or 110101"))
    lat: Decimal | None = Field(None, ge=CHINA_LAT_RANGE[0], le=CHINA_LAT_RANGE[1], max_digits=12,
                                allow_inf_nan=False, description="WGS-84; within Sanmenxia for its districts")
    lon: Decimal | None = Field(None, ge=CHINA_LON_RANGE[0], le=CHINA_LON_RANGE[1], max_digits=12,
                                allow_inf_nan=False, description="WGS-84; within Sanmenxia for its districts")
    contact_name: str = Field(max_length=100)
    contact_phone: str = Field(max_length=30)
    contact_email: str | None = Field(None, max_length=254)
    is_generator: bool = False
    is_transporter: bool = False
    is_collector: bool = False
    is_receiver: bool = False


class OrganisationQuery(PageQuery):
    status: Literal[tuple(s.value for s in OrgStatus)] | None = None
    district: str | None = Field(None, max_length=12, description="county-level division code, e.g. 411282")
    q: str | None = Field(None, max_length=200, description="part of the name or of the unified social credit code")


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
@endpoint("The token's user and the organisation it acts for", tags=["accounts"], response=Me)
def me():
    org = g.api_org
    return jsonify(user=user_json(g.api_user), organisation=organisation_json(org) if org else None)


@api.get("/organisations")
@token_required
@endpoint("Organisations visible to the token's user: its own, or a regulator's jurisdiction", tags=["accounts"],
          query=OrganisationQuery, response=Page[OrganisationOut],
          links={200: {"GetOrganisation": link("get_organisation", org_id=first_item()),
                       "Members": link("list_members", org_id=first_item())}})
def list_organisations(query: OrganisationQuery):
    filters = query
    query = auth.orgs_visible_to(g.api_user)
    if filters.status:
        query = query.where(Organisation.status == filters.status)
    if filters.district:
        query = query.where(Organisation.district_code == filters.district)
    if q := (filters.q or "").strip():
        query = query.where(or_(Organisation.name.icontains(q, autoescape=True),
                                Organisation.uscc.icontains(q, autoescape=True)))
    return paginate(query.order_by(Organisation.id), organisation_json)


def _visible_org(org_id: int) -> Organisation:
    return auth.require_view_org(g.api_user, db.session.get(Organisation, org_id))


@api.get("/organisations/<int:org_id>")
@token_required
@endpoint("One organisation", tags=["accounts"], response=OrganisationOut)
def get_organisation(org_id: int):
    return jsonify(organisation_json(_visible_org(org_id)))


@api.get("/organisations/<int:org_id>/members")
@token_required
@endpoint("Members of an organisation (for its members, its regulators and admins)", tags=["accounts"],
          query=PageQuery, response=Page[MemberOut])
def list_members(org_id: int, query: PageQuery):
    org = _visible_org(org_id)
    rows = select(Membership).where(Membership.organisation_id == org.id).order_by(Membership.id)
    return paginate(rows, member_json)


def _organisation_form(body: dict) -> OrganisationForm:
    """The web form's validation applied to the typed JSON body, so both channels accept the same input."""
    data = MultiDict({key: ("y" if value else "") if isinstance(value, bool) else str(value)
                      for key, value in body.items() if key in OrganisationForm.FIELDS})
    form = OrganisationForm(formdata=data, meta={"csrf": False})
    form.validate()
    if errors := {name: messages[0] for name, messages in form.errors.items()}:
        raise DomainError(_("Some fields are not valid."), fields=errors, code="invalid", status=422)
    return form


@api.post("/organisations")
@token_required
@endpoint("Register an organisation; the token's user becomes its administrator and it awaits verification",
          tags=["accounts"], body=NewOrganisation, response=OrganisationOut, status=201,
          descriptions={201: "Registered, pending"},
          links={201: {"GetOrganisation": {"operationId": "api_get_organisation_get",
                                           "parameters": {"org_id": "$response.body#/id"}}}})
def create_organisation(body: NewOrganisation):
    form = _organisation_form(body.model_dump(exclude_none=True))
    org = services.register_organisation(g.api_user, **form.values())
    db.session.commit()
    response = jsonify(organisation_json(org))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_organisation", org_id=org.id)
    return response
