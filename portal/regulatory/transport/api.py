"""JSON API of carriers' records: the road transport licence, vehicles, drivers and escorts. The token's
organisation (a transport company) keeps its own; regulators read those of their jurisdiction."""
from datetime import date
from typing import Literal

from flask import g, jsonify
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field

from ... import auth
from ...api import api
from ...api.core import paginate, token_required
from ...api.schemas import Input, OrgRef, Output, Page, PageQuery, endpoint, first_item, link
from ...errors import DomainError, NotFound
from ...extensions import db
from ...inputs import Id, PlanDate
from . import services
from .models import VEHICLE_TYPES, WORKER_KINDS, TransportLicence, TransportWorker, Vehicle

Expiry = Literal["valid", "expiring", "expired"]


class LicenceOut(Output):
    id: int
    organisation: OrgRef
    number: str
    issuing_authority: str
    valid_from: date
    valid_until: date
    dangerous_goods: list[str] = Field(description="GB 6944 classes (1–9) and divisions (6.1) it may carry")
    general_freight: bool
    expiry: Expiry


class VehicleOut(Output):
    id: int
    organisation: OrgRef
    plate: str = Field(examples=["豫MD12345"])
    vehicle_type: Literal[VEHICLE_TYPES]
    rated_load_kg: int
    permit_number: str
    permit_valid_until: date
    gps_device_id: str | None = Field(description="JT/T 808 terminal phone number or Traccar uniqueId")
    active: bool
    expiry: Expiry


class WorkerOut(Output):
    id: int
    organisation: OrgRef
    kind: Literal[WORKER_KINDS]
    name: str
    phone: str
    id_number: str
    certificate_number: str
    certificate_valid_until: date
    active: bool
    expiry: Expiry


class FleetQuery(PageQuery):
    org: Id | None = Field(None, description="One carrier's records (regulators)")
    expiring_within: int | None = Field(None, ge=0, le=3650, description=(
        "Only records whose document ends within this many days (or has ended)"))
    q: str | None = Field(None, max_length=100, description="Part of a plate, name, number or the carrier's name")


class LicenceIn(Input):
    number: str = Field(min_length=1, max_length=60)
    issuing_authority: str = Field(min_length=1, max_length=200)
    valid_from: PlanDate
    valid_until: PlanDate
    dangerous_goods: list[str] = Field(default_factory=list, max_length=30, examples=[["6.1", "8", "9"]])
    general_freight: bool = False


class VehicleIn(Input):
    plate: str = Field(min_length=1, max_length=20, examples=["豫MD12345"])
    vehicle_type: Literal[VEHICLE_TYPES]
    rated_load_kg: int = Field(ge=1, le=100_000)
    permit_number: str = Field(min_length=1, max_length=40, description="道路运输证 number")
    permit_valid_until: PlanDate
    gps_device_id: str | None = Field(None, max_length=40)
    active: bool = True


class WorkerIn(Input):
    kind: Literal[WORKER_KINDS]
    name: str = Field(min_length=1, max_length=100)
    phone: str = Field(min_length=1, max_length=30)
    id_number: str = Field(min_length=18, max_length=18, description="居民身份证号码")
    certificate_number: str = Field(min_length=1, max_length=40, description="从业资格证 number")
    certificate_valid_until: PlanDate
    active: bool = True


def _org(org) -> dict:
    return {"id": org.id, "name": org.name, "uscc": org.uscc, "district_code": org.district_code}


def licence_json(licence: TransportLicence) -> dict:
    return {"id": licence.id, "organisation": _org(licence.organisation), "number": licence.number,
            "issuing_authority": licence.issuing_authority, "valid_from": licence.valid_from.isoformat(),
            "valid_until": licence.valid_until.isoformat(), "dangerous_goods": list(licence.dangerous_goods),
            "general_freight": licence.general_freight, "expiry": services.expiry_state(licence.valid_until)}


def vehicle_json(vehicle: Vehicle) -> dict:
    return {"id": vehicle.id, "organisation": _org(vehicle.organisation), "plate": vehicle.plate,
            "vehicle_type": vehicle.vehicle_type, "rated_load_kg": vehicle.rated_load_kg,
            "permit_number": vehicle.permit_number, "permit_valid_until": vehicle.permit_valid_until.isoformat(),
            "gps_device_id": vehicle.gps_device_id, "active": vehicle.active,
            "expiry": services.expiry_state(vehicle.permit_valid_until)}


def worker_json(worker: TransportWorker) -> dict:
    return {"id": worker.id, "organisation": _org(worker.organisation), "kind": worker.kind, "name": worker.name,
            "phone": worker.phone, "id_number": worker.id_number, "certificate_number": worker.certificate_number,
            "certificate_valid_until": worker.certificate_valid_until.isoformat(), "active": worker.active,
            "expiry": services.expiry_state(worker.certificate_valid_until)}


def _carrier():
    org = g.get("api_org")
    if org is None:
        raise DomainError(_("This token does not act for an organisation."), code="forbidden", status=403)
    return org


def _queries(query: FleetQuery) -> dict:
    return services.fleet_queries(current_user, org_id=query.org, expiring_within=query.expiring_within, q=query.q)


def _own(model, record_id: int):
    record = db.session.get(model, record_id)
    if record is None or not auth.can_view_org(current_user, record.organisation):
        raise NotFound(_("Not found."))
    return record


@api.get("/transport/licences")
@endpoint("Road transport licences (道路运输经营许可证) of the carriers visible to the token", tags=["transport"],
          query=FleetQuery, response=Page[LicenceOut])
@token_required
def transport_licences(query: FleetQuery):
    return paginate(_queries(query)["licences"], licence_json)


@api.post("/transport/licences")
@endpoint("Record the token's transport company's road transport licence and its scope", tags=["transport"],
          body=LicenceIn, response=LicenceOut, status=201)
@token_required
def transport_licences_create(body: LicenceIn):
    licence = services.save_licence(current_user, _carrier(), body.model_dump())
    db.session.commit()
    return jsonify(licence_json(licence)), 201


@api.get("/transport/vehicles")
@endpoint("Vehicles of the carriers visible to the token, the soonest-ending permit first", tags=["transport"],
          query=FleetQuery, response=Page[VehicleOut],
          links={200: {"EditVehicle": link("transport_vehicles_update", "put", vehicle_id=first_item())}})
@token_required
def transport_vehicles(query: FleetQuery):
    return paginate(_queries(query)["vehicles"], vehicle_json)


@api.post("/transport/vehicles")
@endpoint("Record a vehicle of the token's transport company (the plate is checked against GA 36)",
          tags=["transport"], body=VehicleIn, response=VehicleOut, status=201)
@token_required
def transport_vehicles_create(body: VehicleIn):
    vehicle = services.save_vehicle(current_user, _carrier(), body.model_dump())
    db.session.commit()
    return jsonify(vehicle_json(vehicle)), 201


@api.put("/transport/vehicles/<int:vehicle_id>")
@endpoint("Correct or renew a vehicle's record (a new permit, a GPS terminal, taken out of service)",
          tags=["transport"], body=VehicleIn, response=VehicleOut)
@token_required
def transport_vehicles_update(vehicle_id: int, body: VehicleIn):
    vehicle = _own(Vehicle, vehicle_id)
    services.save_vehicle(current_user, vehicle.organisation, body.model_dump(), vehicle)
    db.session.commit()
    return jsonify(vehicle_json(vehicle))


@api.get("/transport/workers")
@endpoint("Drivers and escorts (押运员) of the carriers visible to the token, the soonest-ending certificate "
          "first", tags=["transport"], query=FleetQuery, response=Page[WorkerOut],
          links={200: {"EditWorker": link("transport_workers_update", "put", worker_id=first_item())}})
@token_required
def transport_workers(query: FleetQuery):
    return paginate(_queries(query)["workers"], worker_json)


@api.post("/transport/workers")
@endpoint("Record a driver or escort of the token's transport company with the qualification certificate",
          tags=["transport"], body=WorkerIn, response=WorkerOut, status=201)
@token_required
def transport_workers_create(body: WorkerIn):
    worker = services.save_worker(current_user, _carrier(), body.model_dump())
    db.session.commit()
    return jsonify(worker_json(worker)), 201


@api.put("/transport/workers/<int:worker_id>")
@endpoint("Correct or renew a driver's or escort's record", tags=["transport"], body=WorkerIn, response=WorkerOut)
@token_required
def transport_workers_update(worker_id: int, body: WorkerIn):
    worker = _own(TransportWorker, worker_id)
    services.save_worker(current_user, worker.organisation, body.model_dump(), worker)
    db.session.commit()
    return jsonify(worker_json(worker))
