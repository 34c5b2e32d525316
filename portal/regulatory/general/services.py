"""一般工业固体废物: the transfer record's rules and steps, its numbering, and the general-waste register.

General industrial solid waste needs no 危险废物转移联单: it moves on a transfer record of its own (created →
shipped → received), numbered from its own counter. A hazardous batch may move on one only where the exemption
list (危险废物豁免管理清单) of its catalogue edition exempts the transport stage of its code or category and the
generator declares that the item's condition is met; the item, the condition and the declarant are recorded.
Every step writes the ledger events the register reads (picked_up at shipping, received at receipt).
"""
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ... import audit
from ...accounts.models import Organisation
from ...auth import can_view_shared, is_member, require_member_of, require_verified, scope_to_viewer
from ...clock import china_date
from ...errors import Conflict, DomainError, NotFound
from ...extensions import db
from ...jurisdiction import manifest_region
from ...types import utcnow
from ...workflow import Transition, Workflow
from ..batches.models import Batch
from ..batches.services import BATCH, CONTAINER, batch_district
from ..catalogue import exemptions_for
from ..counters import next_serial
from ..ledger.services import append_event
from ..manifests.models import Manifest, ManifestLine
from ..models import ExemptionItem, WasteCode
from ..register import Register, monthly_register
from .models import PURPOSES, STATE_LABELS, STATES, GeneralTransfer, GeneralTransferCounter

# the stages of the exemption list under which a transfer record replaces the manifest: 运输 (transport), and
# 全部环节 (the whole process is not managed as hazardous waste, transport included)
TRANSPORT_STAGES = ("运输", "全部环节")
NUMBER_PREFIX = "YB"  # 一般
ACTIVE_STATES = ("created", "shipped")


def _invalid(field: str, message: str, code: str = "invalid") -> DomainError:
    return DomainError(message, fields={field: message}, code=code)


# --- numbers -------------------------------------------------------------------------------------

def allocate_number(now: datetime | None = None) -> str:
    """YB + year + province and prefecture of the jurisdiction + 6-digit serial, from a counter of its own
    (the manifest counter is never touched)."""
    prefix = f"{NUMBER_PREFIX}{china_date(now or utcnow()).year}{manifest_region()}"
    serial = next_serial(GeneralTransferCounter, prefix)
    if serial is None:
        raise Conflict(_("No transfer record numbers are left for %(year)s.", year=prefix[2:6]))
    return f"{prefix}{serial:06d}"


# --- exemptions ----------------------------------------------------------------------------------

def transport_exemptions(batch: Batch) -> list[ExemptionItem]:
    """The exemption list rows of the batch's own edition that exempt the transport of its code or category
    (an edition loaded without an exemption list exempts nothing)."""
    if not batch.is_hazardous:
        return []
    return [item for item in exemptions_for(batch.catalogue_entry) if item.exempt_stage.strip() in TRANSPORT_STAGES]


def _exemption(batch: Batch, item_id, condition_met: bool) -> ExemptionItem | None:
    """None for general waste; for hazardous waste the declared transport exemption, or a refusal."""
    if not batch.is_hazardous:
        if item_id:
            raise _invalid("exemption_item_id", _("General industrial solid waste needs no exemption."))
        return None
    allowed = {item.id: item for item in transport_exemptions(batch)}
    if not item_id:
        raise _invalid("exemption_item_id", _(
            "Hazardous waste travels on a hazardous waste transfer manifest. A transfer record is only possible "
            "when an item of the exemption list exempts the transport of this waste: declare it."))
    item = allowed.get(item_id)
    if item is None:
        raise _invalid("exemption_item_id", _("This exemption item does not exempt the transport of this waste."))
    if not condition_met:
        raise _invalid("exemption_condition_met", _("Confirm that the condition of the exemption is met."))
    return item


# --- creating ------------------------------------------------------------------------------------

def _containers_at_generator(batch: Batch) -> list:
    return [c for c in batch.containers if c.status != "merged"]


def _require_free(batch: Batch) -> None:
    """The batch is still at its generator and on no manifest or other transfer record."""
    containers = _containers_at_generator(batch)
    if batch.status != "open" or any(c.status not in ("created", "stored", "retrieved") for c in containers):
        raise _invalid("batch_id", _("This waste is no longer at the generator."))
    on_manifest = db.session.scalar(select(Manifest.id).join(ManifestLine, ManifestLine.manifest_id == Manifest.id)
                                    .where(ManifestLine.batch_id == batch.id,
                                           Manifest.state.notin_(("cancelled", "refused"))).limit(1))
    on_record = db.session.scalar(select(GeneralTransfer.id).where(
        GeneralTransfer.batch_id == batch.id, GeneralTransfer.state.in_(ACTIVE_STATES)).limit(1))
    if on_manifest is not None or on_record is not None:
        raise _invalid("batch_id", _("This waste is already on a manifest or a transfer record."))


def create_general_transfer(*, generator_org: Organisation, actor, batch: Batch, receiver_org: Organisation | None,
                            purpose: str, carrier_name: str, vehicle_plate: str | None = None,
                            exemption_item_id: int | None = None,
                            exemption_condition_met: bool = False) -> GeneralTransfer:
    """A new transfer record for one batch of the generator, numbered at once. The caller commits."""
    require_member_of(actor, generator_org.id, generator_org.district_code)
    require_verified(generator_org)
    if batch is None or batch.organisation_id != generator_org.id:
        raise _invalid("batch_id", _("Choose one of your batches."))
    if receiver_org is None or receiver_org.id == generator_org.id:
        raise _invalid("receiver_org_id", _("Choose the organisation that receives the waste."))
    require_verified(receiver_org)
    if purpose not in PURPOSES:
        raise _invalid("purpose", _("Choose utilisation, disposal or storage."))
    if not (carrier_name or "").strip():
        raise _invalid("carrier_name", _("This field is required."))
    item = _exemption(batch, exemption_item_id, exemption_condition_met)
    _require_free(batch)
    quantity = sum(c.quantity_g for c in _containers_at_generator(batch)) or batch.quantity_g
    record = GeneralTransfer(
        number=allocate_number(), state="created", batch=batch, batch_id=batch.id, generator_org_id=generator_org.id,
        receiver_org_id=receiver_org.id, origin_district_code=batch_district(batch),
        destination_district_code=receiver_org.district_code, purpose=purpose, carrier_name=carrier_name.strip(),
        vehicle_plate=(vehicle_plate or "").strip().upper() or None, quantity_g=quantity,
        exemption_item_id=getattr(item, "id", None), exemption_condition=getattr(item, "exempt_condition", None),
        exemption_declared_by_id=actor.id if item is not None else None, created_by_id=actor.id)
    db.session.add(record)
    db.session.flush()
    audit.record("general_transfer.create", record, organisation_id=generator_org.id, after={
        "number": record.number, "batch_id": batch.id, "receiver_org_id": receiver_org.id, "quantity_g": quantity,
        "exemption_item_no": getattr(item, "item_no", None), "exemption_condition": record.exemption_condition})
    return record


# --- steps ---------------------------------------------------------------------------------------

def _generator(record: GeneralTransfer, actor, _org) -> bool:
    return is_member(actor, record.generator_org_id)


def _receiver(record: GeneralTransfer, actor, _org) -> bool:
    return is_member(actor, record.receiver_org_id)


def _received_quantity(record: GeneralTransfer, _actor, _org, fields: dict) -> dict:
    grams = fields.get("received_g")
    grams = record.quantity_g if grams is None else grams
    if isinstance(grams, bool) or not isinstance(grams, int) or grams < 0:
        raise _invalid("received_g", _("Enter zero or more."))
    if grams > 2 * record.quantity_g:
        raise _invalid("received_g", _("More than twice the quantity shipped: check the weight."))
    return {"received_g": grams}


GENERAL_TRANSFER = Workflow("general_transfer", GeneralTransfer, STATES, [
    Transition("created", "ship", "shipped", "generator"),
    Transition("shipped", "receive", "received", "receiver", _received_quantity),
], parties={"generator": _generator, "receiver": _receiver}, column="state", claim="lock",
    label=_l("transfer record"), state_labels=STATE_LABELS,
    refusals={"generator": _l("Only the generator ships the waste."),
              "receiver": _l("Only the receiver confirms receipt.")})


def _place(org: Organisation) -> dict:
    return {"place": org.address, "lat": org.lat, "lon": org.lon}


def _move_containers(record: GeneralTransfer, action: str) -> None:
    """The batch's containers and the batch itself follow the record: in transit, then received."""
    for container in _containers_at_generator(record.batch):
        CONTAINER.step(container, action, system=True, values={"facility_id": None},
                       organisation_id=record.generator_org_id, audit_after={"general_transfer": record.number})
    BATCH.step(record.batch, action, system=True, organisation_id=record.generator_org_id,
               audit_after={"general_transfer": record.number})


def _ledger(record: GeneralTransfer, event_type: str, *, actor, organisation: Organisation,
            quantities: dict | None = None) -> None:
    """One event per container on the batch's chain, naming the record (and the exemption applied)."""
    data = {"general_transfer": record.number, "general_transfer_id": record.id}
    if record.exemption_item is not None:
        data["exemption_item_no"] = record.exemption_item.item_no
    for container in _containers_at_generator(record.batch):
        grams = container.quantity_g if quantities is None else quantities.get(container.id, 0)
        append_event(record.batch, event_type, actor=actor, organisation=organisation, container=container,
                     quantity_g=grams, **_place(organisation), data=data)


def ship_general_transfer(record: GeneralTransfer, actor) -> GeneralTransfer:
    """The generator hands the waste to the carrier: picked_up events, containers in transit."""
    GENERAL_TRANSFER.step(record, "ship", actor, record.generator, values={"shipped_at": utcnow()},
                          organisation_id=record.generator_org_id)
    _ledger(record, "picked_up", actor=actor, organisation=record.generator)
    _move_containers(record, "pick_up")
    return record


def _shares(record: GeneralTransfer, received_g: int) -> dict:
    """The received weight spread over the containers in proportion to what each carried."""
    containers = _containers_at_generator(record.batch)
    shipped = sum(c.quantity_g for c in containers) or 1
    shares = {c.id: received_g * c.quantity_g // shipped for c in containers}
    if containers:
        shares[containers[0].id] += received_g - sum(shares.values())
    return shares


def receive_general_transfer(record: GeneralTransfer, actor, received_g: int | None = None) -> GeneralTransfer:
    """The receiver confirms receipt with the weight received (default: the quantity shipped)."""
    step = GENERAL_TRANSFER.step(record, "receive", actor, record.receiver, fields={"received_g": received_g},
                                 values={"received_at": utcnow()}, organisation_id=record.receiver_org_id)
    record.received_g = step.sealed["received_g"]
    _ledger(record, "received", actor=actor, organisation=record.receiver,
            quantities=_shares(record, record.received_g))
    _move_containers(record, "receive")
    return record


# --- reading -------------------------------------------------------------------------------------

def get_general_transfer(user, record_id: int) -> GeneralTransfer:
    """A record for its parties and the regulators of either end."""
    record = db.session.get(GeneralTransfer, record_id)
    if record is None:
        raise NotFound(_("Not found."))
    if not can_view_shared(user, (record.generator_org_id, record.receiver_org_id),
                           (record.origin_district_code, record.destination_district_code)):
        raise NotFound(_("Not found."))
    return record


def general_transfers_query(user, *, organisation_id: int | None = None, state: str | None = None):
    """The records the user may see (as a party, or a regulator of either end), newest first."""
    as_origin = scope_to_viewer(select(GeneralTransfer.id), user, GeneralTransfer.generator_org_id,
                                GeneralTransfer.origin_district_code)
    as_destination = scope_to_viewer(select(GeneralTransfer.id), user, GeneralTransfer.receiver_org_id,
                                     GeneralTransfer.destination_district_code)
    query = select(GeneralTransfer).where(or_(GeneralTransfer.id.in_(as_origin),
                                              GeneralTransfer.id.in_(as_destination))).order_by(
        GeneralTransfer.created_at.desc(), GeneralTransfer.id.desc())
    if organisation_id is not None:
        query = query.where(or_(GeneralTransfer.generator_org_id == organisation_id,
                                GeneralTransfer.receiver_org_id == organisation_id))
    if state:
        query = query.where(GeneralTransfer.state == state)
    return query


def general_batches(org: Organisation) -> list[Batch]:
    """The organisation's batches that may go on a transfer record now: general waste, and hazardous waste
    whose transport the exemption list exempts."""
    open_batches = db.session.scalars(select(Batch).where(Batch.organisation_id == org.id, Batch.status == "open")
                                      .order_by(Batch.created_at.desc()).limit(200))
    return [b for b in open_batches if not b.is_hazardous or transport_exemptions(b)]


def general_register(org: Organisation, month: date) -> Register:
    """一般工业固体废物管理台账: the organisation's monthly register restricted to non-hazardous catalogue codes."""
    register = monthly_register(org, month)
    general = set(db.session.scalars(select(WasteCode.code).where(WasteCode.hazardous.is_(False),
                                                                   WasteCode.code.in_([r.waste_code for r in register.rows]))))
    register.rows = [row for row in register.rows if row.waste_code in general]
    return register


def batch_of(batch_id) -> Batch | None:
    """The batch by id, for create_general_transfer (which checks whose it is)."""
    return db.session.get(Batch, batch_id) if isinstance(batch_id, int) and not isinstance(batch_id, bool) else None
