"""JSON API of management plans: list, detail, create, revise, submit, review and the comparison."""
from datetime import datetime
from typing import Literal

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field

from ... import auth
from ...api import api
from ...api.core import paginate, token_required
from ...api.schemas import Input, Output, Page, PageQuery, endpoint, first_item, link
from ...errors import Forbidden
from ...extensions import db
from ...inputs import Id, RecordGrams
from . import services
from .models import STATUSES, ManagementPlan


class PlanOrg(Output):
    id: int
    name: str
    uscc: str


class PlanLineOut(Output):
    waste_code: str = Field(examples=["900-249-08"])
    expected_g: int
    facility_id: int | None
    max_stored_g: int
    own_g: int = Field(description="Utilised or disposed of by the enterprise itself")
    own_method: str | None
    transfer_g: int = Field(description="expected_g − own_g: to be transferred under manifests")
    receivers: list[PlanOrg]


class PlanOut(Output):
    id: int
    organisation: PlanOrg
    district_code: str | None
    year: int
    status: Literal[STATUSES]
    revision: int
    measures: str | None
    return_reason: str | None
    submitted_at: datetime | None
    reviewed_at: datetime | None
    lines: list[PlanLineOut]
    allowed_actions: list[str]


class PlanSummary(Output):
    id: int
    organisation: PlanOrg
    district_code: str | None
    year: int
    status: Literal[STATUSES]
    expected_g: int
    submitted_at: datetime | None


class ComparisonRow(Output):
    waste_code: str
    in_plan: bool
    planned_g: int
    declared_g: int | None = Field(description="Generated as declared (submitted declarations of the year); null "
                                               "when nothing was declared")
    ledger_g: int = Field(description="Generated as recorded in the ledger")
    planned_transfer_g: int
    manifested_g: int = Field(description="Picked up under manifests in the year")
    declared_deviation_g: int | None
    declared_deviation_pct: float | None
    ledger_deviation_g: int | None
    ledger_deviation_pct: float | None
    transfer_deviation_g: int | None
    transfer_deviation_pct: float | None


class Comparison(Output):
    plan_id: int
    year: int
    rows: list[ComparisonRow]


class PlanQuery(PageQuery):
    year: int | None = Field(None, ge=2000, le=2100)
    status: Literal[STATUSES] | None = None
    district: str | None = Field(None, max_length=12, description="District code, e.g. 411282")
    organisation: Id | None = Field(None, description="Organisation id")


class PlanLineInput(Input):
    waste_code: str = Field(max_length=12, examples=["900-249-08"])
    expected_g: RecordGrams
    facility_id: Id | None = None
    max_stored_g: RecordGrams = 0
    own_g: RecordGrams = 0
    own_method: str | None = Field(None, max_length=3, pattern=r"^[RDrd]\d{1,2}$")
    receiver_ids: list[Id] = Field(default_factory=list, max_length=services.MAX_RECEIVERS)


class PlanInput(Input):
    lines: list[PlanLineInput] = Field(min_length=1, max_length=services.MAX_LINES)
    measures: str | None = Field(None, max_length=4000)


class NewPlan(PlanInput):
    year: int = Field(ge=2000, le=2100)


class Review(Input):
    decision: Literal["accept", "return"]
    reason: str | None = Field(None, max_length=2000)


def _org(org) -> dict:
    return {"id": org.id, "name": org.name, "uscc": org.uscc}


def serialize(plan: ManagementPlan) -> dict:
    return {
        "id": plan.id, "organisation": _org(plan.organisation), "district_code": plan.district_code,
        "year": plan.year, "status": plan.status, "revision": plan.revision, "measures": plan.measures,
        "return_reason": plan.return_reason,
        "submitted_at": plan.submitted_at.isoformat() if plan.submitted_at else None,
        "reviewed_at": plan.reviewed_at.isoformat() if plan.reviewed_at else None,
        "lines": [{"waste_code": line.waste_code, "expected_g": line.expected_g, "facility_id": line.facility_id,
                   "max_stored_g": line.max_stored_g, "own_g": line.own_g, "own_method": line.own_method,
                   "transfer_g": line.transfer_g, "receivers": [_org(r.organisation) for r in line.receivers]}
                  for line in plan.lines],
        "allowed_actions": services.allowed_actions(current_user, plan),
    }


def _summary(plan: ManagementPlan) -> dict:
    return {"id": plan.id, "organisation": _org(plan.organisation), "district_code": plan.district_code,
            "year": plan.year, "status": plan.status, "expected_g": plan.expected_total_g,
            "submitted_at": plan.submitted_at.isoformat() if plan.submitted_at else None}


@api.get("/plans")
@token_required
@endpoint("The management plans visible to the token: its organisation's, or a regulator's district (not drafts)",
          tags=["plans"], query=PlanQuery, response=Page[PlanSummary],
          links={200: {"GetPlan": link("get_plan", plan_id=first_item())}})
def list_plans(query: PlanQuery):
    return paginate(services.plans_query(current_user, year=query.year, status=query.status,
                                         district=query.district, organisation_id=query.organisation), _summary)


@api.get("/plans/<int:plan_id>")
@token_required
@endpoint("One management plan with its lines and intended receivers", tags=["plans"], response=PlanOut)
def get_plan(plan_id: int):
    return jsonify(serialize(services.get_plan(current_user, plan_id)))


@api.get("/plans/<int:plan_id>/comparison")
@token_required
@endpoint("Per waste code: planned, declared and recorded generation, planned and manifested transfers, with the "
          "deviations", tags=["plans"], response=Comparison)
def compare_plan(plan_id: int):
    plan = services.get_plan(current_user, plan_id)
    return jsonify({"plan_id": plan.id, "year": plan.year, "rows": services.compare_plan(plan)})


@api.post("/plans")
@token_required
@endpoint("File a draft management plan for the token's organisation (one per year)", tags=["plans"], body=NewPlan,
          response=PlanOut, status=201, descriptions={201: "The draft plan"},
          links={201: {"GetPlan": {"operationId": "api_get_plan_get", "parameters": {"plan_id": "$response.body#/id"}},
                       "Submit": {"operationId": "api_submit_plan_post",
                                  "parameters": {"plan_id": "$response.body#/id"}}}})
def create_plan(body: NewPlan):
    org = auth.current_org()
    if org is None:
        raise Forbidden(_("The token does not act for an organisation."))
    plan = services.create_plan(current_user, org, body.year, [line.model_dump() for line in body.lines],
                                body.measures)
    db.session.commit()
    return jsonify(serialize(plan)), 201


@api.put("/plans/<int:plan_id>")
@token_required
@endpoint("Revise a draft or returned plan: its lines are replaced as a whole", tags=["plans"], body=PlanInput,
          response=PlanOut, responses={409: None})
def update_plan(plan_id: int, body: PlanInput):
    plan = services.get_plan(current_user, plan_id)
    services.update_plan(current_user, plan, [line.model_dump() for line in body.lines], body.measures)
    db.session.commit()
    return jsonify(serialize(plan))


@api.post("/plans/<int:plan_id>/submit")
@token_required
@endpoint("Submit (or resubmit after a return) for the acceptance of the district's regulator", tags=["plans"],
          response=PlanOut, responses={409: None})
def submit_plan(plan_id: int):
    plan = services.get_plan(current_user, plan_id)
    services.submit_plan(current_user, plan)
    db.session.commit()
    return jsonify(serialize(plan))


@api.post("/plans/<int:plan_id>/review")
@token_required
@endpoint("Accept a submitted plan, or return it with a reason the enterprise sees (regulator of its district)",
          tags=["plans"], body=Review, response=PlanOut, responses={409: None})
def review_plan(plan_id: int, body: Review):
    plan = services.get_plan(current_user, plan_id)
    services.review_plan(current_user, plan, body.decision, body.reason)
    db.session.commit()
    return jsonify(serialize(plan))
