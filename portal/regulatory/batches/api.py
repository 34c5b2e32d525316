"""JSON API for batches, containers and storage moves, acting for the token's organisation."""
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from flask import g, jsonify
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field

from ... import auth
from ...api import api, paginate, token_required
from ...api.schemas import Input, OrgRef, Output, Page, PageQuery, endpoint, first_item, link
from ...errors import DomainError, NotFound
from ...extensions import db
from ...inputs import EventDate, Id
from ..ledger.services import events_for, verify_batch
from . import services, storage
from .models import BATCH_STATUSES, CONTAINER_STATUSES, FORMS, UNITS, Batch

ContainerCode = Annotated[str, Field(min_length=37, max_length=37, pattern=r"^[0-9A-Z]{37}$")]


class ContainerOut(Output):
    id: int
    code: str = Field(min_length=37, max_length=37)
    batch_id: int
    sequence: int
    quantity_g: int
    packaging: str | None
    status: Literal[CONTAINER_STATUSES]
    facility_id: int | None
    waste_code: str | None = Field(None, description="GET /containers/{code} only")


class LedgerHead(Output):
    head_seq: int | None
    head_hash: str | None


class BatchOut(Output):
    id: int
    organisation: OrgRef
    site_id: int | None
    waste_code: str
    stream: str
    quantity_g: int
    unit: str
    form: Literal[FORMS]
    packaging: str | None
    hazards: list[str]
    main_components: str | None
    harmful_components: str | None
    generated_on: date
    clock_from: date = Field(description="the day the one-year storage clock started: generation, or for a merged "
                                         "batch the oldest day of what went into it")
    volume_l: int | None = Field(description="volume in litres, when recorded")
    status: Literal[BATCH_STATUSES]
    created_at: datetime | None
    containers: list[ContainerOut]
    ledger: LedgerHead


class EventOut(Output):
    id: int
    seq: int
    event_type: str
    container: str | None
    organisation_id: int
    actor_id: int | None
    occurred_at: datetime
    recorded_at: datetime | None
    place: str | None
    lat: str | None
    lon: str | None
    quantity_g: int | None
    data: dict[str, Any] | None
    prev_hash: str
    hash: str


class Problem(Output):
    event_id: int | None
    seq: int | None
    kind: str
    message: str


class BatchEvents(Output):
    items: list[EventOut]
    intact: bool
    problems: list[Problem]


ContainerQuantity = Annotated[Decimal, Field(gt=0, le=10**12, max_digits=18, allow_inf_nan=False)]


class NewBatch(Input):
    waste_code: str = Field(max_length=12, description="900-249-08 or 90024908")
    quantity: Annotated[Decimal, Field(gt=0, le=10**12, max_digits=18, allow_inf_nan=False)] = Field(
        description="a decimal number, e.g. \"0.9\" (a string keeps it exact)")
    unit: Literal[UNITS]
    form: Literal[FORMS]
    packaging: str = Field(max_length=100)
    main_components: str | None = Field(None, max_length=1000)
    harmful_components: str | None = Field(None, max_length=1000)
    generated_on: EventDate | None = Field(None, description="2000-01-01 up to today in China; default today")
    site_id: Id | None = None
    volume_m3: Annotated[Decimal, Field(gt=0, le=10**9, max_digits=15, allow_inf_nan=False)] | None = Field(
        None, description="the batch's volume in m³ (to the litre); needed to store it where capacity is in m³")
    containers: Annotated[int, Field(ge=1, le=999)] | Annotated[list[ContainerQuantity], Field(
        min_length=1, max_length=999)] = Field(1, description=(
            "a number of containers, or the quantity of each in the batch's unit"))


class StorageMove(Input):
    container: str = Field(max_length=40, description="37-character container code")
    facility: Id
    direction: Literal["in", "out"]


class BatchQuery(PageQuery):
    waste_code: str | None = Field(None, max_length=12, description="catalogue code, with or without dashes")
    status: Literal[BATCH_STATUSES] | None = None
    site_id: Id | None = None
    from_: date | None = Field(None, alias="from", description="generated on or after (YYYY-MM-DD)")
    to: date | None = Field(None, description="generated on or before")
    district: str | None = Field(None, max_length=12, description="district code (regulators)")


def _iso(value):
    return value.isoformat() if value is not None else None


def container_json(c) -> dict:
    return {"id": c.id, "code": c.code, "batch_id": c.batch_id, "sequence": c.sequence, "quantity_g": c.quantity_g,
            "packaging": c.packaging, "status": c.status, "facility_id": c.facility_id}


def batch_json(b: Batch) -> dict:
    return {"id": b.id, "organisation": {"id": b.organisation.id, "uscc": b.organisation.uscc,
                                         "name": b.organisation.name},
            "site_id": b.site_id, "waste_code": b.waste_code, "stream": b.stream, "quantity_g": b.quantity_g,
            "unit": b.unit_label, "form": b.form, "packaging": b.packaging, "hazards": b.hazard_list,
            "main_components": b.main_components, "harmful_components": b.harmful_components,
            "generated_on": _iso(b.generated_on), "clock_from": _iso(b.clock_from), "volume_l": b.volume_l,
            "status": b.status, "created_at": _iso(b.created_at),
            "containers": [container_json(c) for c in b.containers],
            "ledger": {"head_seq": b.ledger_head_seq, "head_hash": b.ledger_head_hash}}


def event_json(e) -> dict:
    return {"id": e.id, "seq": e.seq, "event_type": e.event_type,
            "container": e.container.code if e.container is not None else None,
            "organisation_id": e.organisation_id, "actor_id": e.actor_id, "occurred_at": _iso(e.occurred_at),
            "recorded_at": _iso(e.recorded_at), "place": e.place,
            "lat": None if e.lat is None else str(e.lat), "lon": None if e.lon is None else str(e.lon),
            "quantity_g": e.quantity_g, "data": e.data, "prev_hash": e.prev_hash, "hash": e.hash}


def _acting_org():
    org = g.get("api_org")
    if org is None:
        raise DomainError(_("This token does not act for an organisation."), code="forbidden", status=403)
    return org


def _owned_or_overseen(organisation_id: int) -> None:
    """A token acts for one organisation: its other memberships do not widen what it sees."""
    if g.get("api_org") is not None and not (auth.is_admin(current_user) or auth.regulator_of(current_user)):
        if organisation_id != g.api_org.id:
            raise NotFound(_("Not found."))


def _batch(batch_id: int) -> Batch:
    batch = services.get_batch(current_user, batch_id)
    _owned_or_overseen(batch.organisation_id)
    return batch


@api.get("/batches")
@endpoint("Batches visible to the token (its organisation's; a regulator's jurisdiction)", tags=["batches"],
          query=BatchQuery, response=Page[BatchOut],
          links={200: {"GetBatch": link("get_batch", batch_id=first_item()),
                       "BatchEvents": link("batch_events", batch_id=first_item()),
                       "BatchEpcis": link("batch_epcis", batch_id=first_item())}})
@token_required
def list_batches(query: BatchQuery):
    is_overseer = auth.is_admin(current_user) or auth.regulator_of(current_user)
    org_id = None if is_overseer else getattr(g.get("api_org"), "id", -1)
    rows = services.batches_query(
        current_user, organisation_id=org_id, waste_code=query.waste_code, status=query.status,
        site_id=query.site_id, date_from=query.from_, date_to=query.to, district=query.district)
    return paginate(rows, batch_json)


@api.post("/batches")
@endpoint("Register a batch and its containers; returns the batch with its container codes", tags=["batches"],
          body=NewBatch, response=BatchOut, status=201,
          links={201: {"GetBatch": {"operationId": "api_get_batch_get", "parameters": {"batch_id": "$response.body#/id"}},
                       "BatchEvents": {"operationId": "api_batch_events_get",
                                       "parameters": {"batch_id": "$response.body#/id"}},
                       "GetContainer": {"operationId": "api_get_container_get",
                                        "parameters": {"code": "$response.body#/containers/0/code"}}}})
@token_required
def create_batch(body: NewBatch):
    org = _acting_org()
    batch = services.create_batch(
        org, current_user, body.waste_code, str(body.quantity), body.unit, body.form, body.packaging,
        main_components=body.main_components, harmful_components=body.harmful_components,
        generated_on=body.generated_on, site=body.site_id,
        volume=str(body.volume_m3) if body.volume_m3 is not None else None,
        containers=body.containers if isinstance(body.containers, int) else [str(q) for q in body.containers])
    db.session.commit()
    return jsonify(batch_json(batch)), 201


@api.get("/batches/<int:batch_id>")
@endpoint("One batch with its containers", tags=["batches"], response=BatchOut)
@token_required
def get_batch(batch_id: int):
    return jsonify(batch_json(_batch(batch_id)))


@api.get("/batches/<int:batch_id>/events")
@endpoint("The batch's ledger events in chain order, and whether the chain verifies", tags=["batches", "ledger"],
          response=BatchEvents)
@token_required
def batch_events(batch_id: int):
    batch = _batch(batch_id)
    problems = verify_batch(batch.id)
    return jsonify(items=[event_json(e) for e in events_for(batch.id)], intact=not problems,
                   problems=[{"event_id": p.event_id, "seq": p.seq, "kind": p.kind, "message": p.message}
                             for p in problems])


@api.get("/containers/<code>")
@endpoint("A container by its 37-character code", tags=["batches"], response=ContainerOut)
@token_required
def get_container(code: str):
    services.parse_container_code(code)
    container = services.get_container(current_user, code)
    _owned_or_overseen(container.batch.organisation_id)
    return jsonify({**container_json(container), "waste_code": container.batch.waste_code})


@api.post("/storage-moves")
@endpoint("Move a container into (入库) or out of (出库) a storage facility", tags=["batches", "storage"],
          body=StorageMove, response=EventOut, status=201, descriptions={201: "The ledger event"})
@token_required
def storage_move(body: StorageMove):
    org = _acting_org()
    code = body.container.upper()
    parts = services.parse_container_code(code)
    container = services.container_by_code(code)
    # a receiver moves the containers it received: their codes carry the producer's credit code
    if parts["uscc"] != org.uscc and (container is None or storage.keeper_id(container) != org.id):
        message = _("The container code does not carry your organisation's credit code.")
        raise DomainError(message, fields={"container": message})
    if container is None:
        message = _("No container has this code.")
        raise DomainError(message, fields={"container": message}, code="not_found", status=404)
    services.check_container_code(code, container.batch)
    event = services.move_container(current_user, code, body.facility, body.direction)
    db.session.commit()
    return jsonify(event_json(event)), 201
