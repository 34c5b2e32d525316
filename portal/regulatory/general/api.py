"""JSON API of general industrial solid waste: transfer records (create, ship, receive) and the register."""
from datetime import datetime
from typing import Literal

from flask import g, jsonify
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field

from ...accounts.models import Organisation
from ...api import api, paginate, token_required
from ...api.schemas import Input, OrgRef, Output, Page, PageQuery, endpoint, first_item, link
from ...auth import require_view_org
from ...errors import DomainError
from ...extensions import db
from ...inputs import Id, RecordGrams
from ..register import FIGURES, parse_month
from . import services
from .models import PURPOSES, STATES, GeneralTransfer


class ExemptionOut(Output):
    item_no: int
    hazardous_waste: str
    exempt_stage: str
    exempt_condition: str = Field(description="the condition as the generator declared it met")
    declared_by: str | None


class GeneralTransferOut(Output):
    id: int
    number: str = Field(examples=["YB20264112000001"], description="its own sequence, never a manifest number")
    state: Literal[STATES]
    batch_id: int
    waste_code: str
    hazardous: bool = Field(description="true only for hazardous waste moved under an exemption")
    generator: OrgRef
    receiver: OrgRef
    purpose: Literal[PURPOSES]
    carrier_name: str
    vehicle_plate: str | None
    quantity_g: int
    received_g: int | None
    exemption: ExemptionOut | None
    created_at: datetime
    shipped_at: datetime | None
    received_at: datetime | None
    allowed_actions: list[str]


class GeneralTransferQuery(PageQuery):
    state: Literal[STATES] | None = None


class NewGeneralTransfer(Input):
    batch_id: Id
    receiver_id: Id
    purpose: Literal[PURPOSES]
    carrier_name: str = Field(min_length=1, max_length=200)
    vehicle_plate: str | None = Field(None, max_length=20)
    exemption_item_id: Id | None = Field(None, description=(
        "hazardous waste only: the exemption list row (GET /waste-codes/{code} lists them) exempting transport"))
    exemption_condition_met: bool = Field(False, description="the generator declares the item's condition met")


class Receipt(Input):
    received_g: RecordGrams | None = Field(None, description="weight received; default the quantity shipped")


class RegisterQuery(Input):
    organisation: Id | None = Field(None, description="Organisation id (default: the token's organisation)")
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-05"])


class RegisterRowOut(Output):
    waste_code: str
    category: str
    description: str
    grams: dict[Literal[FIGURES], int]


class RegisterOut(Output):
    organisation: OrgRef
    month: str
    rows: list[RegisterRowOut]


def _org(org: Organisation) -> dict:
    return {"id": org.id, "name": org.name, "uscc": org.uscc, "district_code": org.district_code}


def _iso(value):
    return value.isoformat() if value is not None else None


def transfer_json(record: GeneralTransfer) -> dict:
    item = record.exemption_item
    exemption = None if item is None else {
        "item_no": item.item_no, "hazardous_waste": item.hazardous_waste, "exempt_stage": item.exempt_stage,
        "exempt_condition": record.exemption_condition,
        "declared_by": getattr(record.exemption_declared_by, "name", None)}
    return {
        "id": record.id, "number": record.number, "state": record.state, "batch_id": record.batch_id,
        "waste_code": record.batch.waste_code, "hazardous": record.batch.is_hazardous,
        "generator": _org(record.generator), "receiver": _org(record.receiver), "purpose": record.purpose,
        "carrier_name": record.carrier_name, "vehicle_plate": record.vehicle_plate, "quantity_g": record.quantity_g,
        "received_g": record.received_g, "exemption": exemption, "created_at": _iso(record.created_at),
        "shipped_at": _iso(record.shipped_at), "received_at": _iso(record.received_at),
        "allowed_actions": services.GENERAL_TRANSFER.allowed_actions(record, current_user, g.get("api_org")),
    }


def _acting_org() -> Organisation:
    org = g.get("api_org")
    if org is None:
        raise DomainError(_("This token does not act for an organisation."), code="forbidden", status=403)
    return org


@api.get("/general-transfers")
@endpoint("General industrial solid waste transfer records (一般工业固体废物转移记录) visible to the token",
          tags=["general waste"], query=GeneralTransferQuery, response=Page[GeneralTransferOut],
          links={200: {"GetGeneralTransfer": link("general_transfers_show", record_id=first_item())}})
@token_required
def general_transfers_index(query: GeneralTransferQuery):
    org = g.get("api_org")
    rows = services.general_transfers_query(current_user, organisation_id=getattr(org, "id", None),
                                            state=query.state)
    return paginate(rows, transfer_json)


@api.post("/general-transfers")
@endpoint("Create a transfer record for one batch of general waste (numbered at once from its own sequence); "
          "hazardous waste only under a declared transport exemption", tags=["general waste"],
          body=NewGeneralTransfer, response=GeneralTransferOut, status=201,
          links={201: {"Ship": link("general_transfers_ship", "post", record_id="$response.body#/id")}})
@token_required
def general_transfers_create(body: NewGeneralTransfer):
    org = _acting_org()
    record = services.create_general_transfer(
        generator_org=org, actor=current_user, batch=services.batch_of(body.batch_id),
        receiver_org=db.session.get(Organisation, body.receiver_id), purpose=body.purpose,
        carrier_name=body.carrier_name, vehicle_plate=body.vehicle_plate, exemption_item_id=body.exemption_item_id,
        exemption_condition_met=body.exemption_condition_met)
    db.session.commit()
    return jsonify(transfer_json(record)), 201


@api.get("/general-transfers/<int:record_id>")
@endpoint("One transfer record", tags=["general waste"], response=GeneralTransferOut)
@token_required
def general_transfers_show(record_id: int):
    return jsonify(transfer_json(services.get_general_transfer(current_user, record_id)))


@api.post("/general-transfers/<int:record_id>/ship")
@endpoint("The generator ships the waste (created → shipped)", tags=["general waste"], response=GeneralTransferOut,
          responses={403: None, 409: None})
@token_required
def general_transfers_ship(record_id: int):
    _acting_org()
    record = services.ship_general_transfer(services.get_general_transfer(current_user, record_id), current_user)
    db.session.commit()
    return jsonify(transfer_json(record))


@api.post("/general-transfers/<int:record_id>/receive")
@endpoint("The receiver confirms receipt with the weight received (shipped → received)", tags=["general waste"],
          body=Receipt, response=GeneralTransferOut, responses={403: None, 409: None})
@token_required
def general_transfers_receive(record_id: int, body: Receipt):
    _acting_org()
    record = services.receive_general_transfer(services.get_general_transfer(current_user, record_id),
                                               current_user, body.received_g)
    db.session.commit()
    return jsonify(transfer_json(record))


@api.get("/general-register")
@endpoint("一般工业固体废物管理台账: per general waste code, generated, stored, transferred, received, utilised or "
          "disposed on site, and the stock at the month's end, in grams, from the ledger", tags=["general waste"],
          query=RegisterQuery, response=RegisterOut)
@token_required
def general_register(query: RegisterQuery):
    org_id = query.organisation or getattr(g.get("api_org"), "id", None)
    org = require_view_org(current_user, db.session.get(Organisation, org_id) if org_id else None)
    register = services.general_register(org, parse_month(query.month))
    return jsonify(organisation=_org(org), month=query.month, rows=[
        {"waste_code": row.waste_code, "category": row.category, "description": row.description,
         "grams": row.grams} for row in register.rows])
