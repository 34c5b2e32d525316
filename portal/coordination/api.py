"""JSON API of the cases: the list a user may see, one case with its timeline, and the 12345 push."""
from datetime import datetime
from typing import Literal

from flask import jsonify
from flask_login import current_user
from pydantic import Field

from ..accounts.models import Department
from ..api import api
from ..api.core import paginate, token_required
from ..api.schemas import Input, Output, Page, PageQuery, endpoint, first_item, link
from ..extensions import db
from . import services
from .models import CaseType, Source, Status, Urgency


class CaseOut(Output):
    id: int
    number: str = Field(examples=["20261205000042"])
    case_type: CaseType
    source: Source
    source_ref: str | None = Field(description="The originating record: a report's tracking code, the hotline's "
                                               "order number, an alert's id")
    title: str
    district_code: str
    urgency: Urgency
    status: Status
    department: str | None = Field(description="The lead department (ecology, urban, housing, agriculture, health, "
                                               "transport, police); null while the case waits for dispatch")
    co_departments: list[str]
    assignee: str | None = Field(description="The handler's name within the lead department")
    opened_at: datetime
    due_at: datetime | None = Field(description="When the lead department must report its result; null while the "
                                                "time limit for the urgency is not set by the city")
    deadline_state: Literal["ok", "soon", "overdue", "no_limit", "closed"]
    escalated_at: datetime | None
    closed_at: datetime | None
    rating: int | None


class EventOut(Output):
    at: datetime
    action: str
    status: Status
    department: str | None
    note: str | None


class CaseDetail(CaseOut):
    description: str
    timeline: list[EventOut]


class CaseQuery(PageQuery):
    status: Status | None = None
    case_type: CaseType | None = None
    department: Department | None = Field(None, description="Lead department")
    district: str | None = Field(None, max_length=12, description="District code, e.g. 411282")
    overdue: bool | None = Field(None, description="Only the cases past their time limit")


class HotlineOrder(Input):
    order_number: str = Field(min_length=1, max_length=60, description="The 12345 hotline's order number (工单编号)")
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=5000)
    district_code: str = Field(min_length=6, max_length=12, description="District of the city, e.g. 411282")
    urgency: Urgency = Urgency.ORDINARY
    case_type: CaseType = CaseType.HOTLINE
    contact_phone: str | None = Field(None, max_length=30, description="The caller's number, for the call-back")
    address: str | None = Field(None, max_length=300)


def serialize(case) -> dict:
    return {
        "id": case.id, "number": case.number, "case_type": case.case_type.value, "source": case.source.value,
        "source_ref": case.source_ref, "title": case.title, "district_code": case.district_code,
        "urgency": case.urgency.value, "status": case.status.value,
        "department": case.lead_department.value if case.lead_department else None,
        "co_departments": list(case.co_departments or []),
        "assignee": case.assignee.name if case.assignee else None,
        "opened_at": case.opened_at.isoformat(), "due_at": case.due_at.isoformat() if case.due_at else None,
        "deadline_state": services.deadline_state(case),
        "escalated_at": case.escalated_at.isoformat() if case.escalated_at else None,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None, "rating": case.rating,
    }


@api.get("/cases")
@token_required
@endpoint("The coordination cases the token's user may see: all for the command centre, else those its department "
          "leads or co-handles in its jurisdiction", tags=["cases"], query=CaseQuery, response=Page[CaseOut],
          links={200: {"GetCase": link("get_case", case_id=first_item())}})
def list_cases(query: CaseQuery):
    rows = services.filter_cases(services.cases_for(current_user), status=query.status, case_type=query.case_type,
                                 department=query.department, district=query.district, overdue=query.overdue)
    return paginate(rows, serialize)


@api.get("/cases/<int:case_id>")
@token_required
@endpoint("One case with its timeline", tags=["cases"], response=CaseDetail, responses={404: None})
def get_case(case_id: int):
    case = services.get_case(current_user, case_id)
    return jsonify({**serialize(case), "description": case.description, "timeline": [
        {"at": e.at.isoformat(), "action": e.action, "status": e.status.value,
         "department": e.department.value if e.department else None, "note": e.note} for e in case.events]})


@api.post("/cases/hotline")
@token_required
@endpoint("Push a 12345 hotline order: opens its case and dispatches it by the duty matrix. Idempotent on the "
          "order number: pushing it again answers the same case with 200", tags=["cases"], body=HotlineOrder,
          response=CaseOut, status=201, responses={200: CaseOut}, descriptions={201: "The case opened",
                                                                               200: "The case already open"},
          links={201: {"GetCase": {"operationId": "api_get_case_get", "parameters": {"case_id": "$response.body#/id"}}}})
def push_hotline_order(body: HotlineOrder):
    case, created = services.open_hotline_order(current_user, body.model_dump())
    db.session.commit()
    return jsonify(serialize(case)), 201 if created else 200
