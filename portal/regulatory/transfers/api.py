"""JSON API of transfers over the city's boundary: cross-province approvals with what each code has left, and
arrivals from other cities searchable by their external manifest number. Read-only: both are recorded on pages."""
from datetime import date

from flask import jsonify
from flask_login import current_user
from pydantic import Field

from ...api import api
from ...api.core import paginate, token_required
from ...api.schemas import OrgRef, Output, Page, PageQuery, endpoint, first_item, link
from . import services
from .models import IncomingTransfer, TransferApproval


class ApprovedCode(Output):
    waste_code: str = Field(examples=["321-002-48"])
    approved_g: int
    drawn_g: int = Field(description="On the non-cancelled manifests drawing on the approval")
    remaining_g: int


class ApprovalOut(Output):
    id: int
    number: str
    approving_authority: str
    valid_from: date
    valid_until: date
    generator: OrgRef
    receiver: OrgRef
    codes: list[ApprovedCode]


class IncomingLine(Output):
    waste_code: str
    quantity_g: int


class IncomingOut(Output):
    id: int
    external_number: str
    issuing_system: str
    origin_district_code: str
    generator_name: str
    generator_uscc: str | None
    receiver: OrgRef
    received_on: date
    lines: list[IncomingLine]


class IncomingQuery(PageQuery):
    q: str | None = Field(None, max_length=100, description=(
        "The start of the external manifest number, part of the generator's name, or its credit code"))


def _org(org) -> dict:
    return {"id": org.id, "uscc": org.uscc, "name": org.name}


def serialize_approval(approval: TransferApproval) -> dict:
    return {"id": approval.id, "number": approval.number, "approving_authority": approval.approving_authority,
            "valid_from": approval.valid_from.isoformat(), "valid_until": approval.valid_until.isoformat(),
            "generator": _org(approval.generator), "receiver": _org(approval.receiver),
            "codes": [{"waste_code": r.waste_code, "approved_g": r.approved_g, "drawn_g": r.drawn_g,
                       "remaining_g": r.remaining_g} for r in services.remaining(approval)]}


def serialize_incoming(transfer: IncomingTransfer) -> dict:
    return {"id": transfer.id, "external_number": transfer.external_number,
            "issuing_system": transfer.issuing_system, "origin_district_code": transfer.origin_district_code,
            "generator_name": transfer.generator_name, "generator_uscc": transfer.generator_uscc,
            "receiver": _org(transfer.receiver), "received_on": transfer.received_on.isoformat(),
            "lines": [{"waste_code": line.waste_code, "quantity_g": line.quantity_g} for line in transfer.lines]}


@api.get("/transfer-approvals")
@token_required
@endpoint("Cross-province transfer approvals visible to the token (its organisation's as a party, a regulator's "
          "area), with what each code has left", tags=["transfers"], query=PageQuery, response=Page[ApprovalOut],
          links={200: {"GetTransferApproval": link("get_transfer_approval", approval_id=first_item())}})
def list_transfer_approvals(query: PageQuery):
    return paginate(services.approvals_visible_to(current_user), serialize_approval)


@api.get("/transfer-approvals/<int:approval_id>")
@token_required
@endpoint("One cross-province transfer approval with approved, drawn and remaining grams per code",
          tags=["transfers"], response=ApprovalOut)
def get_transfer_approval(approval_id: int):
    return jsonify(serialize_approval(services.get_approval(current_user, approval_id)))


@api.get("/incoming-transfers")
@token_required
@endpoint("Waste that arrived at receivers of the city from other cities, by its external manifest number",
          tags=["transfers"], query=IncomingQuery, response=Page[IncomingOut],
          links={200: {"GetIncomingTransfer": link("get_incoming_transfer", transfer_id=first_item())}})
def list_incoming_transfers(query: IncomingQuery):
    return paginate(services.incoming_visible_to(current_user, query.q), serialize_incoming)


@api.get("/incoming-transfers/<int:transfer_id>")
@token_required
@endpoint("One arrival from another city", tags=["transfers"], response=IncomingOut)
def get_incoming_transfer(transfer_id: int):
    return jsonify(serialize_incoming(services.get_incoming(current_user, transfer_id)))
