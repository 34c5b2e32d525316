"""Manifests: drafts, number allocation, label scans, sealing, ledger events and the lists.

The state machine itself (who may take which step when) is in states.py; its guards and effects in steps.py.
"""
import hashlib
import json
import re
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import case, exists, func, or_, select

from ... import audit, auth
from ...accounts.models import Organisation
from ...clock import china_date, china_today
from ...errors import Conflict, DomainError, Forbidden, NotFound
from ...extensions import db
from ...inputs import MAX_RECORD_GRAMS
from ...jurisdiction import area_prefix, jurisdiction_code, manifest_region
from ...types import utcnow
from ..batches.models import Batch, Container
from ..batches.services import container_by_code, derive_batch_status, move_containers, parse_container_code
from ..catalogue import lookup_waste_code, normalise_code
from ..counters import next_serial
from ..ledger.services import append_events
from ..licences.services import normalise_method, require_method_licensed
from ..transport.services import leg_records, parse_dangerous_goods
from .models import STATES, TRANSIT_STATES, Manifest, ManifestCarrier, ManifestLine, ManifestNumberCounter

MAX_CARRIERS = 5
# a scale reading above 150 % of what was shipped is a typing error, not a weighing difference
PLAUSIBLE_NUM, PLAUSIBLE_DEN = 3, 2
CARRIER_FIELDS = ("vehicle_plate", "driver_name", "driver_phone", "escort_name")
MANIFEST_FIELDS = ("planned_pickup_on", "planned_delivery_on", "origin", "via_points", "destination",
                   "emergency_measures")
_SCAN_SPLIT = re.compile(r"[\s,;，；]+")


def invalid(field: str, message, code: str = "invalid") -> DomainError:
    return DomainError(message, fields={field: message}, code=code)


# --- sealing -------------------------------------------------------------------------------------

def canonical_json(payload: dict) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the exact bytes a signature hashes."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def seal_hash(*, manifest_id: int, action: str, organisation_id: int, user_id: int | None, signed_at: datetime,
              sealed: dict) -> str:
    payload = {"manifest_id": manifest_id, "action": action, "organisation_id": organisation_id,
               "user_id": user_id, "signed_at": signed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
               "fields": sealed}
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


def _org_json(org: Organisation) -> dict:
    return {"id": org.id, "uscc": org.uscc, "name": org.name}


def manifest_content(manifest: Manifest) -> dict:
    """Everything submission seals: the parties, the lines, the plan. JSON-native values only."""
    return {
        "number": manifest.number,
        "generator": _org_json(manifest.generator), "receiver": _org_json(manifest.receiver),
        "carriers": [{"position": c.position, "organisation": _org_json(c.organisation),
                      **{name: getattr(c, name) for name in CARRIER_FIELDS}} for c in manifest.carriers],
        "lines": [{"position": line.position, "batch_id": line.batch_id,
                   "container": line.container.code if line.container is not None else None,
                   "waste_code": line.waste_code, "hazards": line.hazards, "form": line.form,
                   "packaging": line.packaging, "quantity_g": line.quantity_g,
                   # absent rather than null when no method was planned, so earlier seals still match
                   **({"planned_method": line.planned_method} if line.planned_method else {}),
                   **({"dangerous_goods_class": line.dangerous_goods_class} if line.dangerous_goods_class else {})}
                  for line in manifest.lines],
        **{name: _plain(getattr(manifest, name)) for name in MANIFEST_FIELDS},
    }


def _plain(value):
    return value.isoformat() if isinstance(value, date) else value


def content_sealed(manifest: Manifest) -> bool:
    """True when the content still equals what the last submission or applied revision sealed."""
    seals = [s for s in manifest.signatures if s.action == "submit" or (s.sealed or {}).get("content")]
    if not seals:
        return True
    last = seals[-1]
    sealed = last.sealed if last.action == "submit" else last.sealed["content"]
    return sealed == json.loads(canonical_json(manifest_content(manifest)))


# --- numbers -------------------------------------------------------------------------------------

def allocate_number(now: datetime | None = None) -> str:
    """The next 14-digit number YYYY + province + prefecture of the jurisdiction (4112 for Sanmenxia) + serial,
    from a counter row locked until the caller commits."""
    prefix = f"{china_date(now or utcnow()).year}{manifest_region()}"
    serial = next_serial(ManifestNumberCounter, prefix)
    if serial is None:
        raise Conflict(_("No manifest numbers are left for %(year)s.", year=prefix[:4]))
    return f"{prefix}{serial:06d}"


# --- quantities and scans ------------------------------------------------------------------------

def grams_from_kg(value, field: str, *, allow_zero: bool = True) -> int:
    """Kilograms as typed (a string or Decimal) to integer grams; refuses negatives and sub-gram dust."""
    try:
        grams = Decimal(str(value).strip()) * 1000
    except (InvalidOperation, ValueError):
        raise invalid(field, _("Enter a number.")) from None
    if not grams.is_finite() or grams < 0 or (grams == 0 and not allow_zero):
        raise invalid(field, _("The quantity cannot be negative."))
    if grams != grams.to_integral_value():
        raise invalid(field, _("The quantity cannot be finer than one gram."))
    return int(grams)


def require_grams(value, field: str, *, allow_zero: bool = True) -> int:
    """A whole number of grams from the API, zero or more (more than zero unless allow_zero)."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(field, _("Give a whole number of grams."))
    if value < 0:
        raise invalid(field, _("The quantity cannot be negative."))
    if value > MAX_RECORD_GRAMS:
        raise invalid(field, _("At most %(tonnes)s t in one record.", tonnes=MAX_RECORD_GRAMS // 1_000_000))
    if value == 0 and not allow_zero:
        raise invalid(field, _("The quantity must be greater than zero."))
    return value


def plausible(received_g: int, shipped_g: int) -> bool:
    return received_g * PLAUSIBLE_DEN <= shipped_g * PLAUSIBLE_NUM


def expected_codes(manifest: Manifest) -> list[str]:
    return sorted({code for line in manifest.lines for code in line.container_codes})


def scanned_codes(text: str) -> list[str]:
    """The codes in a text of scanned labels, one a line (or separated by commas or spaces)."""
    return [c for c in _SCAN_SPLIT.split((text or "").strip().upper()) if c]


def check_scans(manifest: Manifest, scanned, *, required: bool = True) -> dict:
    """Compare scanned labels (a list or a text, one code a line) with the containers listed.
    A code that is not a container, or not on this manifest, is an error; a missing one is a mismatch."""
    if isinstance(scanned, str):
        codes = scanned_codes(scanned)
    elif isinstance(scanned, list | tuple):
        codes = [str(c).strip().upper() for c in scanned if str(c).strip()]
    elif scanned is None:
        codes = []
    else:
        raise invalid("scanned", _("Send the scanned container codes as a list."))
    codes = list(dict.fromkeys(codes))
    if required and not codes:
        raise invalid("scanned", _("Scan or type at least one container label."))
    expected = set(expected_codes(manifest))
    for code in codes:
        try:
            parse_container_code(code)
        except DomainError:
            raise invalid("scanned", _("%(code)s is not a valid container code.", code=code)) from None
    foreign = [code for code in codes if code not in expected]
    if foreign:  # every code that does not belong is named, so the driver can put those containers back at once
        raise invalid("scanned", _("Not on this manifest: %(codes)s.", codes=", ".join(foreign)),
                      code="not_on_manifest")
    missing = sorted(expected - set(codes))
    return {"scanned": sorted(codes), "expected": len(expected), "missing": missing, "mismatch": bool(missing)}


def flag_mismatch(manifest: Manifest, action: str, scan: dict) -> None:
    if not scan.get("mismatch"):
        return
    manifest.count_mismatch = True
    note = f"{action}: {len(scan['scanned'])}/{scan['expected']} — " + ", ".join(scan["missing"])
    manifest.count_mismatch_note = "\n".join(filter(None, [manifest.count_mismatch_note, note]))


# --- ledger --------------------------------------------------------------------------------------

_LEDGER_QUEUE = "wufei.manifests.ledger_queue"


def append_line_events(manifest: Manifest, event_type: str, *, actor, organisation, quantities: dict | None = None,
                       place: str | None = None, occurred_at: datetime | None = None, data: dict | None = None,
                       line_data: dict | None = None):
    """One ledger event per line, on the line's batch chain (and container, for a container line).
    quantities maps line id → grams; without it each line's shipped quantity is used; 0 skips the line.
    line_data maps line id → data for that line's event only (the exceptions about its containers).
    Inside a step (queued_ledger_events) the events wait for the end of the step, so that they are appended
    together, after the step's own rows, in one flush."""
    events = []
    for line in manifest.lines:
        grams = line.quantity_g if quantities is None else quantities.get(line.id, 0)
        if quantities is not None and not grams:
            continue
        events.append((line.batch, dict(
            event_type=event_type, actor=actor, organisation=organisation, container=line.container,
            quantity_g=grams, place=place, occurred_at=occurred_at,
            data={"manifest": manifest.number, "manifest_id": manifest.id, "line": line.position,
                  **(data or {}), **((line_data or {}).get(line.id) or {})})))
    add_ledger_events(events)


def add_ledger_events(events: list) -> None:
    """(batch, append_event's keyword arguments with event_type) pairs: queued inside a step, else appended."""
    queue = db.session.info.get(_LEDGER_QUEUE)
    if queue is not None:
        queue.extend(events)
    else:
        _append_all(events)


def _append_all(events: list) -> None:
    """Append the events, each batch's in their order, with one append_events (two statements) per batch."""
    by_batch: dict[int, tuple] = {}
    for batch, fields in events:
        by_batch.setdefault(batch.id, (batch, []))[1].append(fields)
    for batch, items in by_batch.values():
        append_events(batch, items)


@contextmanager
def queued_ledger_events():
    """Hold back the ledger events of a step until the step has written its own rows, then append them; on a
    refusal they are dropped with the step."""
    queue = db.session.info[_LEDGER_QUEUE] = []
    try:
        yield
    finally:
        db.session.info.pop(_LEDGER_QUEUE, None)
    _append_all(queue)


CUSTODY_ACTIONS = {"in_transit": "pick_up", "received": "receive", "treated": "treat"}


def moves_custody(line: ManifestLine) -> bool:
    """Does this line's step move its containers? Not on a follow-up of a line the receiver partly accepted:
    its containers stay with the receiver, and only the ledger records the refused quantity leaving."""
    return line.follows_line is None or not line.follows_line.received_g


def set_custody_status(manifest: Manifest, status: str, *, lines=None) -> None:
    """Move the containers of the given lines along (in_transit, received, treated) in one conditional UPDATE
    of the container workflow's step, then derive their batches' status from their containers."""
    action = CUSTODY_ACTIONS[status]
    moving = [line for line in (lines if lines is not None else manifest.lines) if moves_custody(line)]
    containers: dict[int, Container] = {}
    for line in moving:
        for container in ([line.container] if line.container is not None else
                          [c for c in line.batch.containers if c.status != "merged"]):
            containers[container.id] = container
    audit_after = {"manifest_id": manifest.id}
    move_containers(list(containers.values()), action, organisation_id=manifest.generator_org_id,
                    audit_after=audit_after)
    derive_batch_status(list({line.batch_id: line.batch for line in moving}.values()), action,
                        audit_after=audit_after)


# --- drafts --------------------------------------------------------------------------------------

def _organisation(value, field: str) -> Organisation:
    org = value if isinstance(value, Organisation) else (
        db.session.get(Organisation, value) if isinstance(value, int) and not isinstance(value, bool) else None)
    if org is None:
        raise invalid(field, _("Choose an organisation."))
    return org


def _carriers(raw) -> list[ManifestCarrier]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple) or len(raw) > MAX_CARRIERS:
        raise invalid("carriers", _("List the carriers in transport order (at most %(n)s).", n=MAX_CARRIERS))
    carriers = []
    for position, item in enumerate(raw):
        if not isinstance(item, dict):
            raise invalid("carriers", _("Each carrier is an object."))
        field = f"carriers[{position}]"
        org = _organisation(item.get("organisation") or item.get("organisation_id"), f"{field}.organisation_id")
        if not org.is_transporter:
            raise invalid(f"{field}.organisation_id",
                          _("%(org)s is not registered as a transporter.", org=org.name))
        values = {}
        for name in CARRIER_FIELDS:
            value = item.get(name)
            if value is not None and not isinstance(value, str):
                raise invalid(f"{field}.{name}", _("Enter text."))
            values[name] = (value or "").strip()[:100]
        values["vehicle_plate"] = values["vehicle_plate"].upper()[:20]
        values["driver_phone"] = values["driver_phone"][:30]
        values["escort_name"] = values["escort_name"] or None
        values = leg_records(org, item, field, values)
        carriers.append(ManifestCarrier(position=position, organisation_id=org.id, organisation=org, **values))
    return carriers


def _line_source(item, generator: Organisation, position: int) -> tuple[Batch, Container | None]:
    field = f"lines[{position}]"
    if not isinstance(item, dict):
        raise invalid(field, _("Each line names a batch or a container."))
    container = item.get("container")
    if container is not None:
        if not isinstance(container, Container):
            container = container_by_code(str(container)) if isinstance(container, str) else None
        if container is None:
            raise invalid(f"{field}.container", _("Unknown container code %(code)s.", code=item.get("container")))
        batch = container.batch
    else:
        batch = item.get("batch") or item.get("batch_id")
        if not isinstance(batch, Batch):
            batch = db.session.get(Batch, batch) if isinstance(batch, int) and not isinstance(batch, bool) else None
        if batch is None:
            raise invalid(f"{field}.batch_id", _("Choose one of your batches."))
    if batch.organisation_id != generator.id:
        raise invalid(f"{field}.batch_id", _("Only the generator's own batches can be listed."))
    if not batch.is_hazardous:
        raise invalid(f"{field}.batch_id", _("%(code)s is general industrial solid waste, not hazardous waste: it "
                                             "moves on a general waste transfer record, not on a hazardous waste "
                                             "manifest.", code=batch.waste_code), code="not_hazardous")
    return batch, container


def _planned_method(item: dict, position: int) -> str | None:
    value = item.get("planned_method")
    if value is None or value == "":
        return None
    return normalise_method(value, f"lines[{position}].planned_method")


def _dangerous_goods_class(item: dict, position: int) -> str | None:
    """The GB 6944 class or division the generator declares for the line (one, or none)."""
    classes = parse_dangerous_goods(item.get("dangerous_goods_class") or "",
                                    f"lines[{position}].dangerous_goods_class")
    if len(classes) > 1:
        raise invalid(f"lines[{position}].dangerous_goods_class", _("Give one class or division per line."))
    return classes[0] if classes else None


def require_planned_methods(manifest: Manifest) -> None:
    """Every line's planned method must be one the receiver's licence permits for its code."""
    on_date = max(manifest.planned_delivery_on, china_today())
    for line in manifest.lines:
        if line.planned_method:
            require_method_licensed(manifest.receiver, line.waste_code, line.planned_method, on_date,
                                    f"lines[{line.position}].planned_method")


def _lines(raw, generator: Organisation, manifest_id: int | None) -> list[ManifestLine]:
    if raw is None:
        return []
    if not isinstance(raw, list | tuple):
        raise invalid("lines", _("List the batches or containers to transfer."))
    lines, whole_batches, container_ids, batches_in_part = [], set(), set(), set()
    for position, item in enumerate(raw):
        batch, container = _line_source(item, generator, position)
        if container is not None:
            duplicate = container.id in container_ids or batch.id in whole_batches
            container_ids.add(container.id)
            batches_in_part.add(batch.id)
        else:
            duplicate = batch.id in whole_batches or batch.id in batches_in_part
            whole_batches.add(batch.id)
        if duplicate:
            raise invalid(f"lines[{position}]", _("This batch or container is listed twice."))
        available = [container] if container is not None else [c for c in batch.containers if c.status != "merged"]
        if any(c.status not in ("created", "stored", "retrieved") for c in available) or batch.status != "open":
            raise invalid(f"lines[{position}]", _("This waste is no longer at the generator."))
        _require_not_on_other_manifest(batch, container, manifest_id, position)
        entry = batch.catalogue_entry
        quantity = container.quantity_g if container is not None else (
            sum(c.quantity_g for c in available) or batch.quantity_g)
        lines.append(ManifestLine(position=position, batch=batch, batch_id=batch.id, container=container,
                                  container_id=getattr(container, "id", None), waste_code=batch.waste_code,
                                  waste_name=entry.description, hazards=batch.hazards, form=batch.form,
                                  packaging=container.packaging if container is not None else batch.packaging,
                                  quantity_g=quantity, planned_method=_planned_method(item, position),
                                  dangerous_goods_class=_dangerous_goods_class(item, position)))
    return lines


def _require_not_on_other_manifest(batch: Batch, container: Container | None, manifest_id, position: int) -> None:
    # a line refused whole, or a return that arrived, no longer holds the waste: it may be shipped again
    query = (select(Manifest.id).join(ManifestLine, ManifestLine.manifest_id == Manifest.id)
             .where(ManifestLine.batch_id == batch.id, Manifest.state.notin_(("cancelled", "refused")),
                    or_(ManifestLine.received_g.is_(None), ManifestLine.received_g > 0),
                    ~((Manifest.follow_up_kind == "return") & (Manifest.state == "received"))))
    if manifest_id is not None:
        query = query.where(Manifest.id != manifest_id)
    if container is not None:
        query = query.where(or_(ManifestLine.container_id.is_(None), ManifestLine.container_id == container.id))
    if db.session.scalar(query.limit(1)) is not None:
        raise invalid(f"lines[{position}]", _("This waste is already on another manifest."))


def _text(values: dict, name: str, limit: int | None = None) -> str | None:
    value = values.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid(name, _("Enter text."))
    value = value.strip()
    return value[:limit] if limit else value


def _date(values: dict, name: str) -> date | None:
    value = values.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise invalid(name, _("Use the date format YYYY-MM-DD.")) from None


def _apply_plan(manifest: Manifest, values: dict) -> None:
    for name in ("planned_pickup_on", "planned_delivery_on"):
        if (day := _date(values, name)) is not None:
            setattr(manifest, name, day)
    if manifest.planned_delivery_on < manifest.planned_pickup_on:
        raise invalid("planned_delivery_on", _("The delivery cannot be planned before the pickup."))
    for name, limit in (("origin", 300), ("destination", 300), ("via_points", None), ("emergency_measures", None)):
        if (value := _text(values, name, limit)) is not None:
            setattr(manifest, name, value)


def _require_receiver(org: Organisation) -> Organisation:
    if not org.is_receiver:
        raise invalid("receiver_id", _("%(org)s is not registered as a licensed receiver.", org=org.name))
    return org


def _require_generator(generator_org: Organisation, receiver_org: Organisation, actor, deal_ref) -> None:
    """Only a generator's member creates its manifests, whichever door (page, API, deal) the request came
    through; the buyer accepting a deal opens the seller's draft for it."""
    if not (auth.is_member(actor, generator_org.id) or (deal_ref and auth.is_member(actor, receiver_org.id))):
        raise NotFound(_("Not found."))
    if not generator_org.is_generator:
        message = _("Only a generator creates transfer manifests.")
        raise Forbidden(message, fields={"generator": message})


def create_manifest_draft(*, generator_org: Organisation, receiver_org, carriers, lines, actor, deal_ref=None,
                          **plan) -> Manifest:
    """A draft (no number yet) from the generator's batches or containers. The marketplace calls this when
    a deal on hazardous waste is accepted, so the actor may also be a member of the receiver."""
    receiver_org = _require_receiver(_organisation(receiver_org, "receiver_id"))
    _require_generator(generator_org, receiver_org, actor, deal_ref)
    today = china_today()
    manifest = Manifest(generator=generator_org, generator_org_id=generator_org.id, receiver=receiver_org,
                        receiver_org_id=receiver_org.id, origin_district_code=generator_org.district_code,
                        destination_district_code=receiver_org.district_code, deal_ref=deal_ref, state="draft",
                        origin=generator_org.address, destination=receiver_org.address, emergency_measures="",
                        planned_pickup_on=today, planned_delivery_on=today, created_by_id=getattr(actor, "id", None))
    _apply_plan(manifest, plan)
    manifest.carriers = _carriers(carriers)
    manifest.lines = _lines(lines, generator_org, None)
    require_planned_methods(manifest)
    db.session.add(manifest)
    db.session.flush()
    audit.record("manifest.create", manifest, actor=actor, organisation_id=generator_org.id,
                 after=manifest_content(manifest))
    return manifest


def update_manifest_draft(manifest: Manifest, actor, org: Organisation, *, carriers=None, lines=None,
                          receiver_org=None, **plan) -> Manifest:
    """Edit a draft. Once submitted its fields are sealed: only a revision approved by every party changes them."""
    if org is None or org.id != manifest.generator_org_id or not auth.is_member(actor, org.id):
        raise auth_forbidden()
    if manifest.state != "draft":
        raise Conflict(_("A submitted manifest is sealed: propose a revision instead."), code="sealed")
    if manifest.follow_up_kind is not None and (lines is not None or receiver_org is not None):
        raise Conflict(_("The refused waste and the receiver of a follow-up manifest are set when it is started: "
                         "cancel it and start another."), code="follow_up_fixed")
    before = manifest_content(manifest)
    if receiver_org is not None:
        manifest.receiver = _require_receiver(_organisation(receiver_org, "receiver_id"))
        manifest.receiver_org_id = manifest.receiver.id
        manifest.destination_district_code = manifest.receiver.district_code
    _apply_plan(manifest, plan)
    if carriers is not None:
        manifest.carriers = []
        db.session.flush()
        manifest.carriers = _carriers(carriers)
    if lines is not None:
        new_lines = _lines(lines, manifest.generator, manifest.id)
        manifest.lines = []
        db.session.flush()
        manifest.lines = new_lines
    require_planned_methods(manifest)
    db.session.flush()
    audit.record("manifest.update", manifest, actor=actor, organisation_id=org.id, before=before,
                 after=manifest_content(manifest))
    return manifest


def auth_forbidden():
    from ...errors import Forbidden

    return Forbidden(_("Only the generator may edit its draft."))


# --- reading -------------------------------------------------------------------------------------

def get_manifest(user, manifest_id: int, *, org_id: int | None = None) -> Manifest:
    """The manifest if the user may see it (404 otherwise); org_id narrows to one acting organisation."""
    manifest = db.session.get(Manifest, manifest_id)
    if manifest is None:
        raise NotFound(_("Not found."))
    parties = manifest.party_org_ids if manifest.state != "draft" else [manifest.generator_org_id]
    if manifest.state == "draft" and manifest.deal_ref:  # the buyer agreed to a deal's draft: it may open it
        parties.append(manifest.receiver_org_id)
    if org_id is not None and not (auth.is_admin(user) or auth.regulator_of(user)):
        parties = [p for p in parties if p == org_id]
    # a draft is the generator's working copy: regulators see a manifest from its submission on
    districts = [] if manifest.state == "draft" else [manifest.origin_district_code,
                                                       manifest.destination_district_code]
    auth.require_view_shared(user, parties, districts, districts[1] if districts else None)
    return manifest


def _party_clause(org_ids: list[int]):
    carrier = exists().where(ManifestCarrier.manifest_id == Manifest.id, ManifestCarrier.organisation_id.in_(org_ids))
    return or_(Manifest.generator_org_id.in_(org_ids),
               (Manifest.state != "draft") & or_(Manifest.receiver_org_id.in_(org_ids), carrier))


def manifests_query(user, *, org_ids: list[int] | None = None, role: str | None = None, status: str | None = None,
                    waste_code: str | None = None, district: str | None = None, date_from: date | None = None,
                    date_to: date | None = None, party: str | None = None, number: str | None = None,
                    crossing: str | None = None, progress: str | None = None):
    """A select() of the manifests the user may see, newest first, with the list filters.
    role narrows an organisation's view: generator (outgoing), carrier (tasks), receiver (incoming);
    crossing keeps the transfers over the city's boundary: outgoing, incoming or both (any);
    progress keeps a carrier's open tasks (today's first, then by pickup day) or its finished ones."""
    query = select(Manifest).order_by(Manifest.created_at.desc(), Manifest.id.desc())
    regulator = auth.regulator_of(user)
    if (outside := auth.outside_regulator(user)) is not None and not auth.is_admin(user):
        # a regulator of another area reads what arrives in it, from submission on
        query = query.where(Manifest.destination_district_code.startswith(area_prefix(outside.jurisdiction_code)),
                            Manifest.state != "draft")
    elif auth.is_admin(user) or regulator is not None:
        if regulator is not None and not auth.is_admin(user) and regulator.jurisdiction_code != jurisdiction_code():
            code = regulator.jurisdiction_code
            query = query.where(or_(Manifest.origin_district_code == code, Manifest.destination_district_code == code))
        if regulator is not None and not auth.is_admin(user):
            query = query.where(Manifest.state != "draft")
    else:
        ids = org_ids if org_ids is not None else [m.organisation_id for m in user.memberships]
        query = query.where(_party_clause(ids))
        role_clause = {
            "generator": Manifest.generator_org_id.in_(ids),
            "receiver": Manifest.receiver_org_id.in_(ids),
            "carrier": exists().where(ManifestCarrier.manifest_id == Manifest.id,
                                      ManifestCarrier.organisation_id.in_(ids)),
        }.get(role)
        if role_clause is not None:
            query = query.where(role_clause)
    if status in STATES:
        query = query.where(Manifest.state == status)
    if waste_code:
        compact = normalise_code(waste_code)
        query = query.where(exists().where(ManifestLine.manifest_id == Manifest.id,
                                           func.replace(ManifestLine.waste_code, "-", "") == compact))
    if district:
        query = query.where(or_(Manifest.origin_district_code == district,
                                Manifest.destination_district_code == district))
    if date_from:
        query = query.where(Manifest.planned_pickup_on >= date_from)
    if date_to:
        query = query.where(Manifest.planned_pickup_on <= date_to)
    if party:
        query = query.where(_party_named(party.strip()))
    if number:
        query = query.where(Manifest.number.startswith(number.strip(), autoescape=True))
    if crossing in CROSSINGS:
        query = query.where(crossing_clause(crossing))
    if progress == "open":
        query = _open_tasks_first(query.where(Manifest.state.in_(CARRIER_OPEN_STATES)))
    elif progress == "finished":
        query = query.where(Manifest.state.not_in(CARRIER_OPEN_STATES + ("draft",)))
    return query


# a transport task is open from submission until the carrier delivers the waste to the receiver's gate
CARRIER_OPEN_STATES = ("submitted", *TRANSIT_STATES)
TASK_PROGRESS = ("open", "finished", "all")


def _open_tasks_first(query):
    """Today's pickups first, then the overdue and coming ones by pickup day: what a driver does next on top."""
    today = china_today()
    return query.order_by(None).order_by(case((Manifest.planned_pickup_on == today, 0), else_=1),
                                         Manifest.planned_pickup_on, Manifest.id)


CROSSINGS = ("outgoing", "incoming", "any")


def crossing_clause(crossing: str):
    """Manifests leaving the city (origin inside, destination outside), entering it, or either."""
    region = manifest_region()
    origin_inside = Manifest.origin_district_code.startswith(region)
    destination_inside = Manifest.destination_district_code.startswith(region)
    outgoing, incoming = origin_inside & ~destination_inside, ~origin_inside & destination_inside
    return {"outgoing": outgoing, "incoming": incoming, "any": or_(outgoing, incoming)}[crossing]


def _party_named(text: str):
    """Any party whose name contains, or whose credit code equals, the text."""
    matching = select(Organisation.id).where(or_(Organisation.name.icontains(text, autoescape=True),
                                                 Organisation.uscc == text.upper()))
    return or_(Manifest.generator_org_id.in_(matching), Manifest.receiver_org_id.in_(matching),
               exists().where(ManifestCarrier.manifest_id == Manifest.id,
                              ManifestCarrier.organisation_id.in_(matching)))


def require_known_code(code: str | None, field: str = "waste_code") -> str | None:
    if code and lookup_waste_code(code) is None:
        raise DomainError(_("%(code)s is not in the waste catalogue.", code=code),
                          fields={field: _("%(code)s is not in the waste catalogue.", code=code)},
                          status=400, code="bad_request")
    return code or None


def available_sources(org: Organisation):
    """The generator's batches still at its premises, with their containers, for a new manifest."""
    return list(db.session.scalars(select(Batch).where(Batch.organisation_id == org.id, Batch.status == "open",
                                                       Batch.stream == "hazardous")
                                   .order_by(Batch.created_at.desc()).limit(200)))
