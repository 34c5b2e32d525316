"""Sites, storage facilities, batches and containers: the rules, the ledger events, the stock."""
import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from ... import audit
from ...accounts.models import Organisation
from ...accounts.uscc import is_valid as is_valid_uscc
from ...auth import is_member, require_member_of, require_verified, require_view_org_data, scope_to_viewer
from ...clock import china_today
from ...errors import Conflict, DomainError, NotFound
from ...extensions import db
from ...inputs import MAX_RECORD_GRAMS, event_date_error
from ...types import utcnow
from ...workflow import SYSTEM, Transition, Workflow
from ..catalogue import normalise_code, require_waste_code
from ..ledger.models import LedgerEvent
from ..ledger.services import append_event
from ..models import Division
from . import storage
from .models import (
    BATCH_STATUSES,
    CAPACITY_UNITS,
    CONTAINER_STATUSES,
    FORMS,
    SITE_KINDS,
    STREAMS,
    Batch,
    Container,
    Site,
    StorageFacility,
)

GRAMS_PER_UNIT = {"t": Decimal(1_000_000), "kg": Decimal(1000), "g": Decimal(1)}
MAX_CONTAINERS = 999  # the HJ 1276 sequence has three digits
_CODE = re.compile(r"^(?P<uscc>[0-9A-HJ-NPQRTUWXY]{18})(?P<waste>[0-9A-Z]{8})(?P<day>\d{8})(?P<seq>\d{3})$")
SITE_FIELDS = ("name", "kind", "address", "district_code", "lat", "lon")
FACILITY_FIELDS = ("name", "site_id", "capacity_unit", "capacity_g", "capacity_l", "streams", "hazardous_allowed")
BATCH_FIELDS = ("waste_code", "quantity_g", "unit_label", "form", "packaging", "hazards", "generated_on", "site_id",
                "status", "clock_from", "volume_l")
LITRES_PER_M3 = Decimal(1000)


def _invalid(field: str, message: str, code: str = "invalid"):
    return DomainError(message, fields={field: message}, code=code)


# --- quantities --------------------------------------------------------------------------------

def to_grams(quantity, unit: str, field: str = "quantity") -> int:
    """An exact conversion of a quantity in t, kg or g to integer grams; refuses zero, negatives and dust."""
    if unit not in GRAMS_PER_UNIT:
        raise _invalid("unit", _("Unit must be one of t, kg, g."))
    if isinstance(quantity, float):
        quantity = repr(quantity)  # the literal the user typed, not its binary approximation
    try:
        grams = Decimal(str(quantity).strip()) * GRAMS_PER_UNIT[unit]
    except (InvalidOperation, ValueError):
        raise _invalid(field, _("Enter a number.")) from None
    if not grams.is_finite():
        raise _invalid(field, _("Enter a number."))
    if grams <= 0:
        raise _invalid(field, _("The quantity must be greater than zero."))
    if grams != grams.to_integral_value():
        raise _invalid(field, _("The quantity cannot be finer than one gram."))
    if grams > MAX_RECORD_GRAMS:
        raise _invalid(field, _("At most %(tonnes)s t in one record.", tonnes=MAX_RECORD_GRAMS // 1_000_000))
    return int(grams)


def to_litres(volume, field: str = "volume") -> int:
    """A volume in m³ to whole litres, exactly; refuses zero, negatives and anything finer than a litre."""
    if isinstance(volume, float):
        volume = repr(volume)
    try:
        litres = Decimal(str(volume).strip()) * LITRES_PER_M3
    except (InvalidOperation, ValueError):
        raise _invalid(field, _("Enter a number.")) from None
    if not litres.is_finite():
        raise _invalid(field, _("Enter a number."))
    if litres <= 0:
        raise _invalid(field, _("The volume must be greater than zero."))
    if litres != litres.to_integral_value():
        raise _invalid(field, _("The volume cannot be finer than one litre (0.001 m³)."))
    if litres > MAX_RECORD_GRAMS:  # the same bound as masses: a 10⁹-litre record is a typing error
        raise _invalid(field, _("The volume is too large for one record."))
    return int(litres)


# --- container codes (HJ 1276-2022 数字识别码) ----------------------------------------------------

def _waste_segment(waste_code: str) -> str:
    """The 8-character waste code segment: '900-249-08' → '90024908'. General industrial solid waste
    (SW01 …) has no 8-digit code, so its category is right-aligned with zeros to keep the 37-character layout."""
    compact = normalise_code(waste_code)
    return compact.rjust(8, "0") if len(compact) < 8 else compact


def container_code(uscc: str, waste_code: str, day: date, seq: int) -> str:
    """uscc(18) + waste code without dashes(8) + YYYYMMDD(8) + sequence(3) = 37 characters."""
    if not 1 <= seq <= MAX_CONTAINERS:
        raise ValueError("container sequence must be 1–999")
    return f"{uscc}{_waste_segment(waste_code)}{day:%Y%m%d}{seq:03d}"


def parse_container_code(code: str) -> dict:
    """Validate a 37-character code and return its segments: uscc, waste_code (compact), day, seq."""
    match = _CODE.match((code or "").strip().upper())
    message = _("Not a valid 37-character container code.")
    if match is None or not is_valid_uscc(match["uscc"]):
        raise _invalid("container", message)
    try:
        day = date.fromisoformat(match["day"])  # YYYYMMDD: a calendar day, no clock
    except ValueError:
        raise _invalid("container", message) from None
    if int(match["seq"]) == 0:
        raise _invalid("container", message)
    return {"uscc": match["uscc"], "waste_code": match["waste"], "day": day, "seq": int(match["seq"])}


def _next_sequence(prefix: str) -> int:
    taken = db.session.scalar(select(func.max(Container.sequence)).where(Container.code.startswith(prefix)))
    return (taken or 0) + 1


def _add_container(batch: Batch, uscc: str, quantity_g: int, packaging: str, attempts: int = 20) -> Container:
    """Allocate the next free sequence for producer + code + day. Two writers may pick the same number:
    the unique code makes the loser's insert fail, and it retries with a fresh maximum."""
    prefix = f"{uscc}{_waste_segment(batch.waste_code)}{batch.generated_on:%Y%m%d}"
    for _attempt in range(attempts):
        seq = _next_sequence(prefix)
        if seq > MAX_CONTAINERS:
            raise Conflict(_("No container numbers are left for this waste code on this day."),
                           fields={"containers": _("At most 999 containers per waste code and day.")})
        container = Container(batch_id=batch.id, code=container_code(uscc, batch.waste_code, batch.generated_on, seq),
                              sequence=seq, quantity_g=quantity_g, packaging=packaging, status="created")
        try:
            with db.session.begin_nested():
                db.session.add(container)
        except IntegrityError:
            continue
        # the collection, loaded now, already holds the flushed container: appending it again would list it twice
        if container not in batch.containers:
            batch.containers.append(container)
        return container
    raise Conflict(_("Could not allocate a container number; please try again."))


def container_by_code(code: str) -> Container | None:
    return db.session.scalar(select(Container).where(Container.code == (code or "").strip().upper())
                             .options(joinedload(Container.batch)))


def check_container_code(code: str, batch: Batch | None = None) -> dict:
    """Refuse a code whose producer or waste code segments do not match the batch it claims to belong to."""
    parts = parse_container_code(code)
    if batch is not None:
        if parts["uscc"] != batch.organisation.uscc:
            raise _invalid("container", _("The container code does not carry its producer's credit code."))
        if parts["waste_code"] != _waste_segment(batch.waste_code):
            raise _invalid("container", _("The container code does not carry the batch's waste code."))
    return parts


# --- sites and storage facilities --------------------------------------------------------------

def _site_values(values: dict) -> dict:
    out = {k: values[k] for k in SITE_FIELDS if k in values}
    if "name" in out and not (out["name"] or "").strip():
        raise _invalid("name", _("Enter a name."))
    if "kind" in out and out["kind"] not in SITE_KINDS:
        raise _invalid("kind", _("Choose generation, storage or treatment."))
    if "district_code" in out:
        division = db.session.get(Division, out["district_code"] or "")
        # a receiver outside the city keeps its storage where it is: any county-level unit of China
        if division is None or division.level != "county":
            raise _invalid("district_code", _("Choose a county-level division."))
    for axis, limit in (("lat", 90), ("lon", 180)):
        if out.get(axis) not in (None, ""):
            try:
                value = Decimal(str(out[axis]))
            except InvalidOperation:
                raise _invalid(axis, _("Enter a number.")) from None
            if not value.is_finite() or abs(value) > limit:
                raise _invalid(axis, _("Out of range."))
            out[axis] = value.quantize(Decimal("0.000001"))
        elif axis in out:
            out[axis] = None
    return out


def create_site(org: Organisation, actor, **values) -> Site:
    require_member_of(actor, org.id, org.district_code)
    data = _site_values({"kind": "generation", "district_code": org.district_code, **values})
    for required in ("name", "address"):
        if not (data.get(required) or values.get(required) or "").strip():
            raise _invalid(required, _("This field is required."))
    site = Site(organisation_id=org.id, address=values["address"].strip(), **{k: v for k, v in data.items()
                                                                                if k != "address"})
    db.session.add(site)
    audit.record("site.create", site, after=audit.snapshot(site, SITE_FIELDS), organisation_id=org.id)
    return site


def update_site(site: Site, actor, **values) -> Site:
    require_member_of(actor, site.organisation_id, site.district_code)
    before = audit.snapshot(site, SITE_FIELDS)
    for name, value in _site_values(values).items():
        setattr(site, name, value.strip() if isinstance(value, str) else value)
    if "address" in values:
        site.address = (values["address"] or "").strip() or site.address
    audit.record("site.update", site, before=before, after=audit.snapshot(site, SITE_FIELDS),
                 organisation_id=site.organisation_id)
    return site


def delete_site(site: Site, actor) -> None:
    """A site with facilities or batches is history: it cannot be deleted."""
    require_member_of(actor, site.organisation_id, site.district_code)
    in_use = db.session.scalar(select(func.count()).select_from(Batch).where(Batch.site_id == site.id))
    if in_use or site.facilities:
        raise Conflict(_("This site has batches or storage facilities and cannot be deleted."))
    audit.record("site.delete", site, before=audit.snapshot(site, SITE_FIELDS), organisation_id=site.organisation_id)
    db.session.delete(site)


def _facility_values(org_id: int, values: dict) -> dict:
    out = {k: values[k] for k in FACILITY_FIELDS if k in values}
    if "name" in out and not (out["name"] or "").strip():
        raise _invalid("name", _("Enter a name."))
    if "site_id" in out:
        site = db.session.get(Site, out["site_id"] or 0)
        if site is None or site.organisation_id != org_id:
            raise _invalid("site_id", _("Choose one of your sites."))
    if "capacity_unit" in out and out["capacity_unit"] not in CAPACITY_UNITS:
        raise _invalid("capacity_unit", _("The capacity is declared in t or in m³."))
    for name in ("capacity_g", "capacity_l"):
        if out.get(name) is None:
            continue
        if isinstance(out[name], bool) or not isinstance(out[name], int) or out[name] <= 0:
            raise _invalid("capacity", _("The capacity must be greater than zero."))
        if out[name] > MAX_RECORD_GRAMS:
            raise _invalid("capacity", _("At most %(tonnes)s t in one record.", tonnes=MAX_RECORD_GRAMS // 1_000_000))
    if "streams" in out:
        streams = out["streams"] if isinstance(out["streams"], list | tuple) else (out["streams"] or "").split(",")
        streams = [s.strip() for s in streams if s.strip()]
        if not streams or any(s not in STREAMS for s in streams):
            raise _invalid("streams", _("Choose at least one known waste stream."))
        out["streams"] = ",".join(dict.fromkeys(streams))
    return out


def _declared_capacity(values: dict) -> dict:
    """Keep the capacity of the declared unit only: t → capacity_g, m³ → capacity_l."""
    unit = values.get("capacity_unit", "t")
    kept = "capacity_g" if unit == "t" else "capacity_l"
    if values.get(kept) in (None, ""):
        raise _invalid("capacity", _("Declare the capacity in the unit you chose."))
    dropped = "capacity_l" if unit == "t" else "capacity_g"
    return {**values, dropped: None}


def create_facility(org: Organisation, actor, **values) -> StorageFacility:
    require_member_of(actor, org.id, org.district_code)
    for required in ("name", "site_id"):
        if values.get(required) in (None, ""):
            raise _invalid(required, _("This field is required."))
    values = _declared_capacity({"capacity_unit": "t", **values})
    data = _facility_values(org.id, {"streams": "hazardous", "hazardous_allowed": True, **values})
    facility = StorageFacility(organisation_id=org.id, **data)
    db.session.add(facility)
    audit.record("storage_facility.create", facility, after=audit.snapshot(facility, FACILITY_FIELDS),
                 organisation_id=org.id)
    return facility


def update_facility(facility: StorageFacility, actor, **values) -> StorageFacility:
    require_member_of(actor, facility.organisation_id, facility.site.district_code)
    before = audit.snapshot(facility, FACILITY_FIELDS)
    if {"capacity_unit", "capacity_g", "capacity_l"} & set(values):
        values = _declared_capacity({"capacity_unit": facility.capacity_unit, "capacity_g": facility.capacity_g,
                                     "capacity_l": facility.capacity_l, **values})
    for name, value in _facility_values(facility.organisation_id, values).items():
        setattr(facility, name, value)
    audit.record("storage_facility.update", facility, before=before,
                 after=audit.snapshot(facility, FACILITY_FIELDS), organisation_id=facility.organisation_id)
    return facility


def get_site(user, site_id: int) -> Site:
    site = db.session.get(Site, site_id)
    if site is None:
        raise NotFound(_("Not found."))
    require_view_org_data(user, site.organisation_id, site.district_code)
    return site


def get_facility(user, facility_id: int) -> StorageFacility:
    facility = db.session.get(StorageFacility, facility_id)
    if facility is None:
        raise NotFound(_("Not found."))
    require_view_org_data(user, facility.organisation_id, facility.site.district_code)
    return facility


# --- batches -----------------------------------------------------------------------------------

def batch_district(batch: Batch) -> str:
    """The district a batch belongs to for regulators: its site's, else its producer's."""
    return batch.site.district_code if batch.site is not None else batch.organisation.district_code


def get_batch(user, batch_id: int) -> Batch:
    batch = db.session.get(Batch, batch_id)
    if batch is None:
        raise NotFound(_("Not found."))
    require_view_org_data(user, batch.organisation_id, batch_district(batch))
    return batch


def get_container(user, code: str) -> Container:
    container = container_by_code(code)
    if container is None:
        raise NotFound(_("Not found."))
    require_view_org_data(user, container.batch.organisation_id, batch_district(container.batch))
    return container


def _container_quantities(total_g: int, containers, unit: str) -> list[int]:
    if isinstance(containers, int) and not isinstance(containers, bool):
        if not 1 <= containers <= MAX_CONTAINERS:
            raise _invalid("containers", _("Between 1 and 999 containers."))
        share, rest = divmod(total_g, containers)
        if share == 0:
            raise _invalid("containers", _("More containers than grams."))
        return [share + (1 if i < rest else 0) for i in range(containers)]
    if not isinstance(containers, list | tuple) or not containers or len(containers) > MAX_CONTAINERS:
        raise _invalid("containers", _("Give a number of containers or the quantity of each."))
    quantities = [to_grams(q, unit, field="containers") for q in containers]
    if sum(quantities) != total_g:
        raise _invalid("containers", _("The containers' quantities must add up to the batch quantity."))
    return quantities


def _site_of(org: Organisation, site) -> Site | None:
    if site is None:
        return None
    site = site if isinstance(site, Site) else db.session.get(Site, int(site))
    if site is None or site.organisation_id != org.id:
        raise _invalid("site", _("Choose one of your sites."))
    return site


def _place(site: Site | None, org: Organisation) -> dict:
    if site is not None:
        return {"place": f"{site.name}, {site.address}", "lat": site.lat, "lon": site.lon}
    return {"place": org.address, "lat": org.lat, "lon": org.lon}


def create_batch(org: Organisation, actor, waste_code: str, quantity, unit: str, form: str, packaging: str,
                 main_components: str | None = None, harmful_components: str | None = None,
                 generated_on: date | None = None, site=None, containers=1,
                 occurred_at: datetime | None = None, volume=None) -> Batch:
    """Register a batch, pack it into containers with their HJ 1276 codes, and open its ledger chain.
    occurred_at records a batch entered after the fact at the time it was generated (default: now)."""
    require_member_of(actor, org.id, org.district_code)
    require_verified(org)
    generated_on = generated_on or china_today()
    if generated_on > china_today():
        raise _invalid("generated_on", _("The generation date cannot be in the future."))
    if message := event_date_error(generated_on):  # year 0999 would print a malformed container code
        raise _invalid("generated_on", message)
    # the catalogue edition in force on the day of generation; the batch keeps it when a new edition comes
    entry = require_waste_code(waste_code or "", on=generated_on)
    quantity_g = to_grams(quantity, unit)
    if form not in FORMS:
        raise _invalid("form", _("Choose solid, semi-solid, liquid or gas."))
    if not (packaging or "").strip():
        raise _invalid("packaging", _("This field is required."))
    site = _site_of(org, site)
    quantities = _container_quantities(quantity_g, containers, unit)
    volume_l = to_litres(volume, field="volume_m3") if volume not in (None, "") else None
    batch = Batch(organisation=org, site=site, waste_code_id=entry.id, waste_code=entry.code,
                  stream="hazardous" if entry.hazardous else "industrial", quantity_g=quantity_g, unit_label=unit,
                  form=form, packaging=packaging.strip(), hazards=",".join(entry.hazards),
                  main_components=(main_components or "").strip() or None,
                  harmful_components=(harmful_components or "").strip() or None, generated_on=generated_on,
                  clock_from=generated_on, volume_l=volume_l, status="open")
    db.session.add(batch)
    db.session.flush()
    place = _place(site, org)
    append_event(batch, "generated", actor=actor, organisation=org, quantity_g=quantity_g, occurred_at=occurred_at,
                 **place, data={"waste_code": entry.code, "form": form, "packaging": batch.packaging, "unit": unit,
                                "site_id": getattr(site, "id", None), "generated_on": generated_on.isoformat(),
                                **({"volume_l": volume_l} if volume_l is not None else {})})
    for grams in quantities:
        container = _add_container(batch, org.uscc, grams, batch.packaging)
        append_event(batch, "split", actor=actor, organisation=org, container=container, quantity_g=grams,
                     occurred_at=occurred_at, **place, data={"container": container.code, "from": "batch"})
    audit.record("batch.create", batch, after=audit.snapshot(batch, BATCH_FIELDS), organisation_id=org.id)
    return batch


# --- storage -----------------------------------------------------------------------------------

def _keeper(container: Container, actor, _org) -> bool:
    """A member of the organisation keeping the container: its producer, or the receiver that received it."""
    return is_member(actor, storage.keeper_id(container))


def _holder(container: Container, actor, org) -> bool:
    """A member of the organisation holding the container: its producer, or the collector that received it."""
    return org is not None and is_member(actor, org.id) and _held_by(container, org)


def _storable(container: Container, _actor, _org, fields: dict) -> None:
    facility, batch = fields["facility"], container.batch
    if facility.organisation_id != storage.keeper_id(container):
        raise _invalid("facility", _("Choose one of your storage facilities."))
    if batch.is_hazardous and not facility.hazardous_allowed:
        raise _invalid("facility", _("This facility may not store hazardous waste."))
    if not batch.is_hazardous and batch.stream not in facility.stream_list:
        raise _invalid("facility", _("This facility may not store this waste stream."))
    storage.require_room(facility, container)


def _in_facility(container: Container, _actor, _org, fields: dict) -> None:
    if container.facility_id != fields["facility"].id:
        raise _invalid("facility", _("This facility does not hold that container."), code="not_in_stock")


_AT_HOLDER = ("created", "stored", "retrieved", "received")
# A container's custody as data: its holder stores, retrieves and merges it; the manifest's steps move it
# (SYSTEM rows: picked up → in transit, received, treated).
# A receiver stores what it received in its own facilities (its own clock runs from the receipt) and treats it
# from storage or after taking it out again.
CONTAINER = Workflow("container", Container, CONTAINER_STATUSES, [
    *(Transition(state, "store", "stored", "keeper", _storable) for state in ("created", "retrieved", "received")),
    Transition("stored", "retrieve", "retrieved", "keeper", _in_facility),
    *(Transition(state, "merge", "merged", "holder") for state in ("created", "retrieved", "received")),
    *(Transition(state, "pick_up", "in_transit", SYSTEM) for state in _AT_HOLDER),
    Transition("in_transit", "receive", "received", SYSTEM),
    *(Transition(state, "treat", "treated", SYSTEM) for state in ("received", "stored", "retrieved")),
    # refused waste returned to its producer: back at its premises, out of storage until it stores it again
    Transition("in_transit", "take_back", "retrieved", SYSTEM),
    # …or forwarded to another receiver: it leaves the refusing receiver's gate still in transit
    Transition("in_transit", "pick_up", "in_transit", SYSTEM),
], parties={"keeper": _keeper, "holder": _holder}, label=_l("container"),
    refusals={"keeper": _l("Only members of the organisation keeping the container may change this.")})
# A batch follows its containers: merged once all of them are. Along the manifests that carry them its status
# is derived (derive_batch_status): the stage of its least advanced container, so a batch split over several
# manifests is "treated" only once every container is, and stays "open" while one is still at its producer.
# These rows remain for the transfers that move a batch whole (general waste records, returns).
BATCH = Workflow("batch", Batch, BATCH_STATUSES, [
    *(Transition(state, "merge", "merged", SYSTEM) for state in ("open", "received")),
    *(Transition(state, "pick_up", "in_transit", SYSTEM) for state in ("open", "in_transit", "received")),
    *(Transition(state, "receive", "received", SYSTEM) for state in ("in_transit", "received")),
    *(Transition(state, "treat", "treated", SYSTEM) for state in ("received", "treated")),
    Transition("in_transit", "take_back", "open", SYSTEM),
], parties={}, label=_l("batch"))


# --- custody moves by manifests -------------------------------------------------------------------

# the stage of a container, in the order waste moves; a container stored in a facility of another organisation
# than its producer was received there. (A container taken out of a receiver's storage again counts as at its
# producer: nothing on its row says otherwise; it is treated from there, which moves the batch on.)
_STAGES = ("open", "in_transit", "received", "treated")


def _container_stage(batch_org_id):
    stored_elsewhere = (Container.status == "stored") & (StorageFacility.organisation_id != batch_org_id)
    return case((Container.status == "treated", 3), (Container.status == "received", 2), (stored_elsewhere, 2),
                (Container.status == "in_transit", 1), else_=0)


def move_containers(containers: list[Container], action: str, *, organisation_id: int, audit_after: dict) -> None:
    """One custody step of many containers (pick_up, receive, treat, take_back) as one conditional UPDATE: each
    must be in a state the container workflow allows for the action, or nothing moves (409). Each is audited as
    its own workflow step would be; the audit rows go out together at the next flush."""
    if not containers:
        return
    targets = {CONTAINER.table[(c.status, action)].target for c in containers if (c.status, action) in CONTAINER.table}
    stuck = next((c for c in containers if (c.status, action) not in CONTAINER.table), None)
    if stuck is not None:
        raise CONTAINER.conflict(stuck, None, None, system=True)
    (target,) = targets  # every row of one custody action leads to the same state
    sources = {c.status for c in containers}
    before = {c.id: c.status for c in containers}
    with db.session.no_autoflush:  # the step's pending rows go out together later, not before this statement
        result = db.session.execute(update(Container).where(Container.id.in_(before), Container.status.in_(sources))
                                    .values(status=target, facility_id=None)
                                    .execution_options(synchronize_session=False))
    if result.rowcount != len(containers):  # another step moved one of them since it was read
        for container in containers:
            db.session.refresh(container)
        raise CONTAINER.conflict(next(c for c in containers if c.status not in sources), None, None, system=True)
    for container in containers:
        set_committed_value(container, "status", target)
        set_committed_value(container, "facility_id", None)
        audit.record(f"container.{action}", container, organisation_id=organisation_id, actor=None,
                     before={"status": before[container.id]},
                     after={"status": target, "facility_id": None, **audit_after})


def derive_batch_status(batches: list[Batch], action: str, *, audit_after: dict) -> None:
    """Set each batch's status to the stage of its least advanced container (merged containers left aside), in
    one UPDATE … RETURNING; a merged batch stays merged. Audited per batch, like a workflow step."""
    by_id = {b.id: b for b in batches if b.status != "merged"}
    if not by_id:
        return
    facility = StorageFacility.__table__
    least = (select(func.min(_container_stage(Batch.organisation_id)))
             .select_from(Container.__table__.outerjoin(facility, Container.facility_id == facility.c.id))
             .where(Container.batch_id == Batch.id, Container.status != "merged").scalar_subquery())
    stage = case(*((least == rank, name) for rank, name in enumerate(_STAGES)), else_=Batch.status)
    with db.session.no_autoflush:
        rows = db.session.execute(update(Batch).where(Batch.id.in_(by_id), Batch.status != "merged")
                                  .values(status=stage).returning(Batch.id, Batch.status)
                                  .execution_options(synchronize_session=False)).all()
    for batch_id, status in rows:
        batch = by_id[batch_id]
        audit.record(f"batch.{action}", batch, organisation_id=batch.organisation_id, actor=None,
                     before={"status": batch.status}, after={"status": status, **audit_after})
        set_committed_value(batch, "status", status)


def _require_keeper(actor, container: Container) -> int:
    """The keeping organisation's id, when the actor is one of its members (403 for other viewers, else 404)."""
    keeper = storage.keeper_id(container)
    if keeper == container.batch.organisation_id:
        require_member_of(actor, keeper, batch_district(container.batch))
    elif not is_member(actor, keeper):
        raise NotFound(_("Not found."))
    return keeper


def _facility_place(facility: StorageFacility) -> dict:
    site = facility.site
    return {"place": f"{site.name} · {facility.name}", "lat": site.lat, "lon": site.lon}


def store_container(container: Container, facility: StorageFacility, *, actor,
                    occurred_at: datetime | None = None) -> LedgerEvent:
    """入库: put a container into one of its keeper's storage facilities (its producer's, or the facility of the
    receiver that received it), within the facility's declared capacity."""
    keeper = _require_keeper(actor, container)
    clock = storage.clock_of(container)
    CONTAINER.step(container, "store", actor, fields={"facility": facility}, values={"facility_id": facility.id},
                   organisation_id=keeper, audit_after={"facility_id": facility.id})
    event = append_event(container.batch, "stored", actor=actor, organisation=keeper, container=container,
                         quantity_g=container.quantity_g, occurred_at=occurred_at, **_facility_place(facility),
                         data={"facility_id": facility.id, "site_id": facility.site_id, "container": container.code,
                               "clock_from": clock.started_on.isoformat()})
    storage.follow_capacity(facility, utcnow())
    return event


def retrieve_container(container: Container, facility: StorageFacility, *, actor,
                       occurred_at: datetime | None = None) -> LedgerEvent:
    """出库: take a container out of the facility that holds it. The storage clock keeps running."""
    keeper = _require_keeper(actor, container)
    CONTAINER.step(container, "retrieve", actor, fields={"facility": facility}, values={"facility_id": None},
                   organisation_id=keeper, audit_after={"facility_id": facility.id})
    event = append_event(container.batch, "retrieved", actor=actor, organisation=keeper, container=container,
                         quantity_g=container.quantity_g, occurred_at=occurred_at, **_facility_place(facility),
                         data={"facility_id": facility.id, "site_id": facility.site_id, "container": container.code})
    db.session.flush()
    storage.follow_capacity(facility, utcnow())
    return event


def move_container(actor, code: str, facility_id, direction: str) -> LedgerEvent:
    """One storage move by container code, as the API and the forms send it."""
    if direction not in ("in", "out"):
        raise _invalid("direction", _("Direction must be in or out."))
    parse_container_code(code)
    container = container_by_code(code)
    if container is None:
        raise NotFound(_("Not found."))
    try:
        facility = get_facility(actor, int(facility_id))
    except (TypeError, ValueError, NotFound):
        raise _invalid("facility", _("Choose one of your storage facilities.")) from None
    mover = store_container if direction == "in" else retrieve_container
    return mover(container, facility, actor=actor)


def stock_query(*, organisation_id: int | None = None, site_id: int | None = None, facility_id: int | None = None,
                waste_code: str | None = None):
    """Stored containers grouped by site, facility and waste code: (site, facility, code, containers, grams)."""
    query = (select(Site.id.label("site_id"), Site.name.label("site_name"), Site.district_code,
                    StorageFacility.id.label("facility_id"), StorageFacility.name.label("facility_name"),
                    StorageFacility.capacity_unit, StorageFacility.capacity_g, StorageFacility.capacity_l,
                    StorageFacility.organisation_id, Batch.waste_code,
                    func.count(Container.id).label("containers"), func.sum(Container.quantity_g).label("quantity_g"))
             .select_from(Container).join(Batch, Container.batch_id == Batch.id)
             .join(StorageFacility, Container.facility_id == StorageFacility.id)
             .join(Site, StorageFacility.site_id == Site.id)
             .where(Container.status == "stored")
             .group_by(Site.id, Site.name, Site.district_code, StorageFacility.id, StorageFacility.name,
                       StorageFacility.capacity_unit, StorageFacility.capacity_g, StorageFacility.capacity_l,
                       StorageFacility.organisation_id, Batch.waste_code)
             .order_by(Site.name, StorageFacility.name, Batch.waste_code))
    if organisation_id is not None:
        query = query.where(StorageFacility.organisation_id == organisation_id)
    if site_id is not None:
        query = query.where(Site.id == site_id)
    if facility_id is not None:
        query = query.where(StorageFacility.id == facility_id)
    if waste_code:
        query = query.where(Batch.waste_code == waste_code)
    return query


def facility_stock_g(facility_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(Container.quantity_g), 0)).where(
        Container.facility_id == facility_id, Container.status == "stored")) or 0


# --- merge and corrections ---------------------------------------------------------------------

def _held_by(container: Container, org: Organisation) -> bool:
    """A collector holds its own containers and those whose last custody event is its receipt."""
    return container.batch.organisation_id == org.id or storage.keeper_id(container) == org.id


def merge_containers(collector_org: Organisation, containers: list[Container], *, actor, site=None,
                     packaging: str | None = None, occurred_at: datetime | None = None) -> Batch:
    """Consolidate containers of one waste code into a new batch of the collector; lineage both ways."""
    require_member_of(actor, collector_org.id, collector_org.district_code)
    require_verified(collector_org)
    if len(containers) < 2:
        raise _invalid("containers", _("Choose at least two containers to merge."))
    codes = {c.batch.waste_code for c in containers}
    if len(codes) != 1:
        raise _invalid("containers", _("Only containers of the same waste code can be merged."))
    for c in containers:
        if not _held_by(c, collector_org):
            raise _invalid("containers", _("Container %(code)s is not held by your organisation.", code=c.code))
        if c.status not in ("created", "retrieved", "received"):
            raise Conflict(_("Container %(code)s cannot be merged now (take it out of storage first).",
                             code=c.code), fields={"containers": c.code})
    first = containers[0].batch
    site = _site_of(collector_org, site)
    total = sum(c.quantity_g for c in containers)
    # the year is the waste's: the merged batch keeps the oldest clock of what went into it
    clock_from = min(storage.clock_start(c) for c in containers)
    volumes = [storage.container_volume_l(c) for c in containers]
    batch = Batch(organisation=collector_org, site=site, waste_code_id=first.waste_code_id,
                  waste_code=first.waste_code, stream=first.stream, quantity_g=total, unit_label=first.unit_label,
                  form=first.form, packaging=(packaging or first.packaging).strip(), hazards=first.hazards,
                  main_components=first.main_components, harmful_components=first.harmful_components,
                  generated_on=china_today(), clock_from=clock_from,
                  volume_l=sum(volumes) if None not in volumes else None, status="open")
    db.session.add(batch)
    db.session.flush()
    place = _place(site, collector_org)
    sources = [{"batch_id": c.batch_id, "container": c.code, "quantity_g": c.quantity_g} for c in containers]
    append_event(batch, "merged", actor=actor, organisation=collector_org, quantity_g=total, occurred_at=occurred_at,
                 **place, data={"sources": sources, "waste_code": batch.waste_code,
                                "clock_from": clock_from.isoformat()})
    merged = _add_container(batch, collector_org.uscc, total, batch.packaging)
    append_event(batch, "split", actor=actor, organisation=collector_org, container=merged, quantity_g=total,
                 occurred_at=occurred_at, **place, data={"container": merged.code, "from": "merge"})
    for c in containers:
        CONTAINER.step(c, "merge", actor, collector_org, organisation_id=collector_org.id)
        append_event(c.batch, "merged", actor=actor, organisation=collector_org, container=c, quantity_g=c.quantity_g,
                     occurred_at=occurred_at, **place,
                     data={"merged_into_batch": batch.id, "merged_into_container": merged.code})
        if all(sibling.status == "merged" for sibling in c.batch.containers) and c.batch.status != "merged":
            BATCH.step(c.batch, "merge", system=True, organisation_id=c.batch.organisation_id)
    audit.record("batch.merge", batch, after={"sources": [c.code for c in containers], "container": merged.code},
                 organisation_id=collector_org.id)
    return batch


def lineage(batch: Batch) -> dict:
    """Where the batch came from (merge sources) and where its containers went (merge targets)."""
    sources, targets = [], []
    for event in db.session.scalars(select(LedgerEvent).where(
            LedgerEvent.batch_id == batch.id, LedgerEvent.event_type == "merged").order_by(LedgerEvent.seq)):
        sources.extend(event.data.get("sources", []))
        if "merged_into_batch" in event.data:
            targets.append(event.data)
    return {"sources": sources, "targets": targets}


CORRECTABLE = ("quantity_g", "occurred_at", "place", "note")


def correct_event(batch: Batch, seq: int, reason: str, *, actor, **corrections) -> LedgerEvent:
    """A correction is a new 'corrected' event naming the event it corrects; nothing is rewritten."""
    require_member_of(actor, batch.organisation_id, batch_district(batch))
    if not (reason or "").strip():
        raise _invalid("reason", _("Give the reason for the correction."))
    target = db.session.scalar(select(LedgerEvent).where(LedgerEvent.batch_id == batch.id, LedgerEvent.seq == seq))
    if target is None:
        raise _invalid("seq", _("This batch has no event with that number."))
    unknown = set(corrections) - set(CORRECTABLE)
    if unknown or not corrections:
        raise _invalid("corrections", _("Correct one of: %(fields)s.", fields=", ".join(CORRECTABLE)))
    values = dict(corrections)
    if "quantity_g" in values and (not isinstance(values["quantity_g"], int) or values["quantity_g"] <= 0):
        raise _invalid("quantity_g", _("The quantity must be greater than zero."))
    if isinstance(values.get("occurred_at"), datetime):
        values["occurred_at"] = values["occurred_at"].astimezone(UTC).isoformat()
    event = append_event(batch, "corrected", actor=actor, organisation=batch.organisation_id,
                         container=target.container_id, quantity_g=values.get("quantity_g"),
                         data={"corrects_seq": seq, "corrects_event_id": target.id, "reason": reason.strip(),
                               "corrections": values})
    audit.record("ledger.correct", batch, after={"seq": seq, "reason": reason.strip(), **values},
                 organisation_id=batch.organisation_id)
    return event


# --- lists -------------------------------------------------------------------------------------

def batches_query(user, *, organisation_id: int | None = None, waste_code: str | None = None,
                  status: str | None = None, site_id: int | None = None, date_from: date | None = None,
                  date_to: date | None = None, district: str | None = None):
    """A select() of the batches the user may see, newest first, with the list filters applied."""
    district_col = func.coalesce(Site.district_code, Organisation.district_code)
    query = (select(Batch).join(Organisation, Batch.organisation_id == Organisation.id)
             .outerjoin(Site, Batch.site_id == Site.id).order_by(Batch.created_at.desc(), Batch.id.desc()))
    query = scope_to_viewer(query, user, Batch.organisation_id, district_col)
    if organisation_id is not None:
        query = query.where(Batch.organisation_id == organisation_id)
    if waste_code:
        entry_code = normalise_code(waste_code)
        query = query.where(func.replace(Batch.waste_code, "-", "") == entry_code)
    if status:
        query = query.where(Batch.status == status)
    if site_id:
        query = query.where(Batch.site_id == site_id)
    if date_from:
        query = query.where(Batch.generated_on >= date_from)
    if date_to:
        query = query.where(Batch.generated_on <= date_to)
    if district:
        query = query.where(district_col == district)
    return query


def sites_query(user, *, organisation_id: int | None = None, district: str | None = None):
    query = scope_to_viewer(select(Site).order_by(Site.name, Site.id), user, Site.organisation_id,
                            Site.district_code)
    if organisation_id is not None:
        query = query.where(Site.organisation_id == organisation_id)
    if district:
        query = query.where(Site.district_code == district)
    return query


def scoped_stock_query(user, *, organisation_id: int | None = None, district: str | None = None, **filters):
    query = scope_to_viewer(stock_query(organisation_id=organisation_id, **filters), user,
                            StorageFacility.organisation_id, Site.district_code)
    if district:
        query = query.where(Site.district_code == district)
    return query
