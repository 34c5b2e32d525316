"""JSON API of licences: the visible licences, one licence with its capacity, and the receipt check."""
import datetime as dt
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field

from ... import auth
from ...accounts.models import Organisation
from ...api import api
from ...api.core import paginate, token_required
from ...api.schemas import Input, Output, Page, PageQuery, endpoint, first_item, link
from ...clock import china_today
from ...errors import DomainError, NotFound
from ...extensions import db
from ...inputs import Id
from . import services
from .models import KINDS, STATUSES, Licence


class Holder(Output):
    id: int
    name: str
    uscc: str
    district_code: str | None


class ScopeOut(Output):
    waste_code: str | None = Field(examples=["900-041-49"])
    category_code: str | None = Field(examples=["HW08"])
    methods: list[str]
    annual_capacity_g: int | None


class LicenceOut(Output):
    id: int
    number: str
    holder: Holder
    issuing_authority: str | None
    issued_on: date
    valid_from: date
    valid_until: date
    status: Literal[STATUSES]
    status_reason: str | None
    kind: Literal[KINDS]
    annual_capacity_g: int
    scopes: list[ScopeOut]


class ScopeCapacity(Output):
    target: str = Field(description="The waste code or category of the scope row with its own capacity")
    total_g: int
    received_g: int
    in_transit_g: int
    used_g: int
    remaining_g: int


class Capacity(Output):
    year: int
    total_g: int
    received_g: int = Field(description="Received this calendar year (the ledger's receipt events)")
    in_transit_g: int = Field(description="On its way: manifests to the holder submitted, in transit, handed over "
                                          "or delivered but not yet received")
    used_g: int = Field(description="received_g + in_transit_g")
    remaining_g: int
    scopes: list[ScopeCapacity]


class LicenceDetail(LicenceOut):
    capacity: Capacity


class LicenceRef(Output):
    id: int
    number: str
    status: str
    valid_from: date
    valid_until: date


class ReceiptDecision(Output):
    allowed: bool
    reason_code: Literal["allowed", "licence_not_required", "no_licence", "expired", "suspended", "revoked",
                         "code_out_of_scope", "method_out_of_scope", "capacity_exceeded"]
    message: str
    licence: LicenceRef | None
    methods: list[str]
    remaining_g: int | None
    received_g: int | None = Field(description="Of the capacity limit that binds: received this year")
    in_transit_g: int | None = Field(description="Of the capacity limit that binds: on its way under submitted "
                                                 "manifests not yet received")


class LicenceQuery(PageQuery):
    status: Literal[STATUSES] | None = None
    district: str | None = Field(None, max_length=12, description="District code, e.g. 411282")
    code: str | None = Field(None, max_length=12, description=(
        "Licences whose scope covers this waste code (either spelling) or category"))
    expiring_within: int | None = Field(None, ge=0, le=36_500, description="Licences ending within this many days")
    q: str | None = Field(None, max_length=200, description="Part of the licence number or the holder's name")


class CheckQuery(Input):
    org: Id = Field(description="The receiving organisation's id")
    code: str = Field(min_length=1, max_length=12, description="Waste code, 900-041-49 or 90004149")
    quantity_kg: Annotated[Decimal, Field(gt=0, le=10**12, decimal_places=3, allow_inf_nan=False)] = Field(
        description="Quantity in kilograms (up to 3 decimals)")
    date: dt.date | None = Field(None, description="Day of receipt, YYYY-MM-DD (default: today in China)")
    method: str | None = Field(None, max_length=3, pattern=r"^[RDrd]\d{1,2}$", description=(
        "The planned utilisation (R1–R15) or disposal (D1–D18) method; method_out_of_scope when the licence "
        "does not permit it for the code"))


def serialize_licence(licence: Licence) -> dict:
    org = licence.organisation
    return {
        "id": licence.id, "number": licence.number,
        "holder": {"id": org.id, "name": org.name, "uscc": org.uscc, "district_code": org.district_code},
        "issuing_authority": licence.issuing_authority, "issued_on": licence.issued_on.isoformat(),
        "valid_from": licence.valid_from.isoformat(), "valid_until": licence.valid_until.isoformat(),
        "status": licence.status, "status_reason": licence.status_reason, "kind": licence.kind,
        "annual_capacity_g": licence.annual_capacity_g,
        "scopes": [{"waste_code": s.waste_code, "category_code": s.category_code, "methods": s.method_list,
                    "annual_capacity_g": s.annual_capacity_g} for s in licence.scopes],
    }


@api.get("/licences")
@token_required
@endpoint("The licences visible to the token: its organisation's, or a regulator's jurisdiction", tags=["licences"],
          query=LicenceQuery, response=Page[LicenceOut],
          links={200: {"GetLicence": link("get_licence", licence_id=first_item())}})
def list_licences(query: LicenceQuery):
    rows = services.filter_licences(
        services.licences_visible_to(current_user), status=query.status, district=query.district,
        code=query.code, expiring_within=query.expiring_within, q=query.q)
    return paginate(rows, serialize_licence)


@api.get("/licences/<int:licence_id>")
@token_required
@endpoint("One licence with its capacity this year: received, on its way and remaining (licences are public to verified "
          "enterprises)", tags=["licences"], response=LicenceDetail)
def get_licence(licence_id: int):
    licence = db.session.get(Licence, licence_id)
    if licence is None or not auth.can_read_licences_of(current_user, licence.organisation):
        raise NotFound(_("Licence not found."))
    capacity = services.licence_capacity(licence)
    return jsonify({**serialize_licence(licence), "capacity": {
        "year": capacity.year, **_usage(capacity),
        "scopes": [{"target": scope.target, **_usage(usage)} for scope, usage in capacity.scopes]}})


def _usage(usage: services.Usage) -> dict:
    return {"total_g": usage.total_g, "received_g": usage.received_g, "in_transit_g": usage.in_transit_g,
            "used_g": usage.used_g, "remaining_g": usage.remaining_g}


@api.get("/licences/check")
@token_required
@endpoint("May this organisation receive this quantity of this waste code on this date?", tags=["licences"],
          query=CheckQuery, response=ReceiptDecision,
          descriptions={200: "The decision; allowed=false carries the reason_code"})
def check_licence(query: CheckQuery):
    """Generators must not hand hazardous waste to an unlicensed receiver, so any verified organisation may
    ask this about any receiver (licences are public in China); regulators ask about their jurisdiction."""
    org_id, code, day = query.org, query.code, query.date or china_today()
    grams = int(query.quantity_kg * 1000)
    org = db.session.get(Organisation, org_id)
    if org is None or not auth.can_read_licences_of(current_user, org):
        raise NotFound(_("Organisation not found."))
    try:
        decision = services.check_receipt(org, code, grams, day, query.method)
    except DomainError as exc:
        exc.fields = {"code" if name == "waste_code" else name: message for name, message in exc.fields.items()}
        raise
    return jsonify(decision.to_dict())

