"""JSON API of the emergency area: plan look-up (预案调阅), recording an incident (which drafts its scheme) and
reading an incident with its current response scheme."""
from datetime import datetime
from typing import Any, Literal

from flask import jsonify
from flask_login import current_user
from pydantic import Field

from ..api import api
from ..api.core import paginate, token_required
from ..api.schemas import Input, Output, Page, PageQuery, endpoint
from ..extensions import db
from ..inputs import Id
from . import incidents, services
from .models import (
    EVENT_TYPES,
    INCIDENT_STATUSES,
    PLAN_KINDS,
    PLAN_STATUSES,
    SCHEME_STATUSES,
    EmergencyPlan,
    Incident,
)


class PlanSummary(Output):
    id: int
    kind: Literal[PLAN_KINDS]
    title: str
    status: Literal[PLAN_STATUSES]
    organisation_id: int | None
    district_code: str
    filing_number: str | None
    risk_level: str | None
    response_levels: list[str]
    waste_codes: list[str]
    event_types: list[str]
    valid_until: str | None


class PlanQuery(PageQuery):
    kind: Literal[PLAN_KINDS] | None = None
    status: Literal[PLAN_STATUSES] | None = None
    district: str | None = Field(None, max_length=12, description="District code, e.g. 411203")
    organisation: str | None = Field(None, max_length=100, description="Part of the enterprise's name")
    waste_code: str | None = Field(None, max_length=12, examples=["900-041-49"])
    event_type: Literal[EVENT_TYPES] | None = None


class WasteIn(Input):
    waste_code: str = Field(max_length=12, examples=["900-041-49"])
    estimated_g: int | None = Field(None, ge=0, le=10**13)


class NewIncident(Input):
    title: str = Field(min_length=1, max_length=200)
    event_type: Literal[EVENT_TYPES]
    occurred_at: datetime = Field(description="With its time zone")
    lat: float = Field(ge=-90, le=90, description="WGS-84")
    lon: float = Field(ge=-180, le=180, description="WGS-84")
    reporter: str = Field(min_length=1, max_length=200)
    address: str | None = Field(None, max_length=300)
    organisation_id: Id | None = None
    description: str | None = Field(None, max_length=4000)
    radius_m: int = Field(5000, ge=100, le=incidents.MAX_RADIUS_M)
    wastes: list[WasteIn] = Field(default_factory=list, max_length=incidents.MAX_WASTES)
    deaths: int | None = Field(None, ge=0, le=10**6)
    poisoned: int | None = Field(None, ge=0, le=10**6)
    evacuated: int | None = Field(None, ge=0, le=10**9)
    loss_yuan: int | None = Field(None, ge=0, le=10**15)


class SchemeOut(Output):
    version: int
    status: Literal[SCHEME_STATUSES]
    response_level: str | None
    instructions: str
    departments: list[str]
    organisation_ids: list[int]
    issued_at: datetime | None
    drafted: dict[str, Any] = Field(description="plans, level, wastes (hazards, guidance, facilities by distance), "
                                                "resources, places, similar")


class IncidentOut(Output):
    id: int
    title: str
    event_type: Literal[EVENT_TYPES]
    status: Literal[INCIDENT_STATUSES]
    occurred_at: datetime
    lat: float
    lon: float
    district_code: str
    wastes: list[WasteIn]
    scheme: SchemeOut | None


def _plan(plan: EmergencyPlan) -> dict:
    return {"id": plan.id, "kind": plan.kind, "title": plan.title, "status": plan.status,
            "organisation_id": plan.organisation_id, "district_code": plan.district_code,
            "filing_number": plan.filing_number, "risk_level": plan.risk_level, "response_levels": plan.level_list,
            "waste_codes": plan.code_list, "event_types": plan.event_type_list,
            "valid_until": plan.valid_until.isoformat() if plan.valid_until else None}


def _incident(incident: Incident) -> dict:
    scheme = incident.current_scheme
    return {"id": incident.id, "title": incident.title, "event_type": incident.event_type,
            "status": incident.status, "occurred_at": incident.occurred_at.isoformat(),
            "lat": float(incident.lat), "lon": float(incident.lon), "district_code": incident.district_code,
            "wastes": [{"waste_code": w.waste_code, "estimated_g": w.estimated_g} for w in incident.wastes],
            "scheme": None if scheme is None else {
                "version": scheme.version, "status": scheme.status, "response_level": scheme.response_level,
                "instructions": scheme.instructions, "departments": scheme.department_list,
                "organisation_ids": scheme.organisation_ids,
                "issued_at": scheme.issued_at.isoformat() if scheme.issued_at else None, "drafted": scheme.drafted}}


@api.get("/emergency/plans")
@token_required
@endpoint("Emergency plans the token may read, looked up by kind, district, enterprise, waste code, event type",
          tags=["emergency"], query=PlanQuery, response=Page[PlanSummary])
def list_emergency_plans(query: PlanQuery):
    return paginate(services.plans_query(current_user, kind=query.kind, status=query.status, district=query.district,
                                         organisation=query.organisation, waste_code=query.waste_code,
                                         event_type=query.event_type), _plan)


@api.post("/emergency/incidents")
@token_required
@endpoint("Record an incident (regulators) and draft its response scheme", tags=["emergency"], body=NewIncident,
          response=IncidentOut, status=201,
          links={201: {"GetIncident": {"operationId": "api_get_incident_get",
                                       "parameters": {"incident_id": "$response.body#/id"}}}})
def record_incident(body: NewIncident):
    fields = body.model_dump()
    wastes = fields.pop("wastes")
    incident = incidents.record_incident(current_user, wastes=wastes, **fields)
    incidents.draft_scheme(current_user, incident)
    db.session.commit()
    return jsonify(_incident(incident)), 201


@api.get("/emergency/incidents/<int:incident_id>")
@token_required
@endpoint("An incident with its current response scheme (regulators of its district)", tags=["emergency"],
          response=IncidentOut)
def get_incident(incident_id: int):
    return jsonify(_incident(incidents.get_incident(current_user, incident_id)))


