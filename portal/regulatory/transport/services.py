"""Carriers' records and the one answer to "may this leg carry this hazardous waste today?".

Plates (GA 36-2018 《中华人民共和国机动车号牌》, with the 2016 new-energy plates) are normalised and checked
here; the manifest's pick-up and take-over call require_leg_documents.

The plate rule, character by character:
- 1: the province's one-character abbreviation (京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼);
- 2: the issuing authority's letter (发牌机关代号), a Latin letter other than I;
- then the serial (序号), in which the letters I and O are never used (they read as 1 and 0):
  - ordinary plate: 5 letters or digits (豫M12345, 豫MD1234 — a D here is just a letter);
  - small new-energy plate: 6 characters, D (battery electric) or F (other new energy) first, then a letter
    or digit, then 4 digits (豫MD12345, 豫MF1A234 is not valid: the last four must be digits);
  - large new-energy plate: 6 characters, 5 digits then D or F (豫M12345D);
  - trailer plate: 4 letters or digits and 挂 (豫M1234挂): the tank semi-trailers of dangerous goods trucks.
Police, embassy, learner, Hong Kong/Macao plates are not for hazardous waste carriers and are refused.
Spaces, the middle dot printed on plates (豫M·12345) and hyphens are dropped; letters are upper-cased.
"""
import re
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from ... import audit, auth
from ...accounts.models import Organisation
from ...clock import china_today
from ...errors import Conflict, DomainError, Forbidden
from ...extensions import db
from .models import VEHICLE_TYPES, WORKER_KINDS, TransportLicence, TransportWorker, Vehicle

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_S = "[A-HJ-NP-Z0-9]"  # a serial character: digits and letters other than I and O
PLATE = re.compile(rf"^[{PROVINCES}][A-HJ-Z](?:{_S}{{5}}|[DF]{_S}\d{{4}}|\d{{5}}[DF]|{_S}{{4}}挂)$")
_PLATE_NOISE = re.compile(r"[\s·•.\-_]+")
# GB 6944-2012: classes 1–9; the divisions a licence or a waste may name instead of the whole class
DANGEROUS_GOODS = ("1", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2", "2.1", "2.2", "2.3", "3", "4", "4.1", "4.2",
                   "4.3", "5", "5.1", "5.2", "6", "6.1", "6.2", "7", "8", "9")
_DG_SPLIT = re.compile(r"[\s,;，、；]+")
_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# a document ending within this many days is shown with a warning on the fleet pages
EXPIRY_WARNING_DAYS = 30

VEHICLE_FIELDS = ("plate", "vehicle_type", "rated_load_kg", "permit_number", "permit_valid_until", "gps_device_id",
                  "active")
WORKER_FIELDS = ("kind", "name", "phone", "id_number", "certificate_number", "certificate_valid_until", "active")
LICENCE_FIELDS = ("number", "issuing_authority", "valid_from", "valid_until", "dangerous_goods", "general_freight")


def _invalid(field: str, message, code: str = "invalid") -> DomainError:
    return DomainError(message, fields={field: message}, code=code)


# --- values --------------------------------------------------------------------------------------

def normalise_plate(text) -> str:
    """The plate as stored (豫MD12345), or a field error naming the rule it breaks."""
    plate = _PLATE_NOISE.sub("", str(text or "")).upper()
    if not PLATE.match(plate):
        raise _invalid("plate", _("%(plate)s is not a Chinese vehicle plate: province, authority letter and 5 "
                                  "characters, or 6 for a new-energy plate (D or F first for small vehicles, last "
                                  "for large ones), or 4 and 挂 for a trailer; no I or O.", plate=text or "—"),
                       code="invalid_plate")
    return plate


def parse_dangerous_goods(value, field: str = "dangerous_goods") -> list[str]:
    """Classes and divisions of GB 6944 (\"3, 6.1, 8\" or a list), in order, each once."""
    tokens = value if isinstance(value, list | tuple) else _DG_SPLIT.split(str(value or "").strip())
    tokens = [str(t).strip().removesuffix("类").removesuffix("项") for t in tokens if str(t).strip()]
    unknown = [t for t in tokens if t not in DANGEROUS_GOODS]
    if unknown:
        raise _invalid(field, _("%(value)s is not a dangerous goods class (1–9) or division (such as 6.1).",
                                value=", ".join(unknown)))
    return sorted(set(tokens), key=DANGEROUS_GOODS.index)


def normalise_id_number(text) -> str:
    """An 18-character 居民身份证号码 with its ISO 7064 MOD 11-2 check character (GB 11643-1999)."""
    number = str(text or "").strip().upper()
    if _ID_NUMBER.match(number):
        total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
        if "10X98765432"[total % 11] == number[17]:
            return number
    raise _invalid("id_number", _("Enter the 18-character ID card number; its last character does not match."))


def _text(values: dict, name: str, limit: int, *, required: bool = True) -> str | None:
    value = values.get(name)
    if value is not None and not isinstance(value, str):
        raise _invalid(name, _("Enter text."))
    value = (value or "").strip()
    if required and not value:
        raise _invalid(name, _("This field is required."))
    if len(value) > limit:
        raise _invalid(name, _("At most %(n)s characters.", n=limit))
    return value or None


def _day(values: dict, name: str) -> date:
    value = values.get(name)
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise _invalid(name, _("Use the date format YYYY-MM-DD.")) from None


# --- who keeps the records -----------------------------------------------------------------------

def require_keeper(user, org: Organisation) -> None:
    """A transport company's office (administrators and staff, not its drivers) keeps its records."""
    auth.require_view_org(user, org)
    if not org.is_transporter:
        raise Forbidden(_("Only a transport company keeps vehicles and drivers."))
    if not (auth.is_admin(user) or auth.is_org_office(user, org.id)):
        raise Forbidden(_("Only the transport company's office may change its vehicles and drivers."))


def _unique(model, column, value, own_id, field: str, message) -> None:
    query = select(model.id).where(column == value)
    if own_id is not None:
        query = query.where(model.id != own_id)
    if value is not None and db.session.scalar(query) is not None:
        raise Conflict(message, fields={field: message})


# --- the road transport licence ------------------------------------------------------------------

def _licence_values(values: dict) -> dict:
    result = {"number": _text(values, "number", 60), "issuing_authority": _text(values, "issuing_authority", 200),
              "valid_from": _day(values, "valid_from"), "valid_until": _day(values, "valid_until"),
              "dangerous_goods": parse_dangerous_goods(values.get("dangerous_goods")),
              "general_freight": bool(values.get("general_freight"))}
    if result["valid_until"] < result["valid_from"]:
        raise _invalid("valid_until", _("The end of validity cannot be before its start."))
    if not result["dangerous_goods"] and not result["general_freight"]:
        raise _invalid("dangerous_goods", _("Give the dangerous goods classes the licence permits, or general "
                                            "freight."))
    return result


def save_licence(user, org: Organisation, values: dict, licence: TransportLicence | None = None) -> TransportLicence:
    """Record or correct the carrier's 道路运输经营许可证."""
    require_keeper(user, org)
    fields = _licence_values(values)
    _unique(TransportLicence, TransportLicence.number, fields["number"], getattr(licence, "id", None), "number",
            _("This licence number is already recorded."))
    return _save(user, org, licence or TransportLicence(organisation=org), fields, LICENCE_FIELDS, "transport_licence")


def _save(user, org, record, fields: dict, audited, name: str):
    before = audit.snapshot(record, audited) if record.id is not None else None
    for key, value in fields.items():
        setattr(record, key, value)
    db.session.add(record)
    db.session.flush()
    audit.record(f"{name}.{'updated' if before else 'created'}", record, actor=user, organisation_id=org.id,
                 before=before, after=audit.snapshot(record, audited))
    return record


# --- vehicles and workers ------------------------------------------------------------------------

def _vehicle_values(values: dict) -> dict:
    load = values.get("rated_load_kg")
    if isinstance(load, bool) or not isinstance(load, int) or not 1 <= load <= 100_000:
        raise _invalid("rated_load_kg", _("Give a rated load above 0 and up to 100 t (100 000 kg)."))
    if values.get("vehicle_type") not in VEHICLE_TYPES:
        raise _invalid("vehicle_type", _("Choose a vehicle type."))
    return {"plate": normalise_plate(values.get("plate")), "vehicle_type": values["vehicle_type"],
            "rated_load_kg": load, "permit_number": _text(values, "permit_number", 40),
            "permit_valid_until": _day(values, "permit_valid_until"),
            "gps_device_id": _text(values, "gps_device_id", 40, required=False),
            "active": values.get("active", True) is not False}


def save_vehicle(user, org: Organisation, values: dict, vehicle: Vehicle | None = None) -> Vehicle:
    require_keeper(user, org)
    fields = _vehicle_values(values)
    own = getattr(vehicle, "id", None)
    _unique(Vehicle, Vehicle.plate, fields["plate"], own, "plate", _("A vehicle with this plate is already recorded."))
    _unique(Vehicle, Vehicle.gps_device_id, fields["gps_device_id"], own, "gps_device_id",
            _("This GPS terminal is already fitted to another vehicle."))
    return _save(user, org, vehicle or Vehicle(organisation=org), fields, VEHICLE_FIELDS, "vehicle")


def _worker_values(values: dict) -> dict:
    if values.get("kind") not in WORKER_KINDS:
        raise _invalid("kind", _("Choose driver or escort."))
    return {"kind": values["kind"], "name": _text(values, "name", 100), "phone": _text(values, "phone", 30),
            "id_number": normalise_id_number(values.get("id_number")),
            "certificate_number": _text(values, "certificate_number", 40),
            "certificate_valid_until": _day(values, "certificate_valid_until"),
            "active": values.get("active", True) is not False}


def save_worker(user, org: Organisation, values: dict, worker: TransportWorker | None = None) -> TransportWorker:
    require_keeper(user, org)
    fields = _worker_values(values)
    query = select(TransportWorker.id).where(TransportWorker.organisation_id == org.id,
                                             TransportWorker.kind == fields["kind"],
                                             TransportWorker.id_number == fields["id_number"])
    if worker is not None:
        query = query.where(TransportWorker.id != worker.id)
    if db.session.scalar(query) is not None:
        message = _("This person is already recorded.")
        raise Conflict(message, fields={"id_number": message})
    return _save(user, org, worker or TransportWorker(organisation=org), fields, WORKER_FIELDS, "transport_worker")


# --- reading -------------------------------------------------------------------------------------

def _visible(model, user):
    query = select(model).join(Organisation, model.organisation_id == Organisation.id)
    return auth.scope_to_viewer(query, user, model.organisation_id, Organisation.district_code)


def fleet_queries(user, *, org_id: int | None = None, expiring_within: int | None = None, q: str | None = None,
                  today: date | None = None) -> dict:
    """select()s of the vehicles, drivers/escorts and licences the user may see, with the fleet page's filters:
    one carrier, documents ending within some days (or already ended), a plate, name or number."""
    today = today or china_today()
    queries = {"vehicles": (_visible(Vehicle, user), Vehicle.permit_valid_until, (Vehicle.plate,
                                                                                Vehicle.permit_number)),
               "workers": (_visible(TransportWorker, user), TransportWorker.certificate_valid_until,
                           (TransportWorker.name, TransportWorker.certificate_number)),
               "licences": (_visible(TransportLicence, user), TransportLicence.valid_until,
                            (TransportLicence.number,))}
    result = {}
    for name, (query, valid_until, texts) in queries.items():
        model = query.column_descriptions[0]["entity"]
        if org_id is not None:
            query = query.where(model.organisation_id == org_id)
        if expiring_within is not None:
            query = query.where(valid_until <= today + timedelta(days=expiring_within))
        if q:
            needle = q.strip()
            query = query.where(or_(*(column.icontains(needle, autoescape=True) for column in texts),
                                    Organisation.name.icontains(needle, autoescape=True)))
        result[name] = query.order_by(valid_until, model.id)
    return result


def expiry_state(valid_until: date, today: date | None = None) -> str:
    """expired, expiring (within EXPIRY_WARNING_DAYS) or valid: what the fleet pages colour."""
    today = today or china_today()
    if valid_until < today:
        return "expired"
    return "expiring" if valid_until <= today + timedelta(days=EXPIRY_WARNING_DAYS) else "valid"


def carrier_records(org: Organisation) -> dict:
    """The active vehicles, drivers and escorts a manifest leg of this carrier may name."""
    vehicles = db.session.scalars(select(Vehicle).where(Vehicle.organisation_id == org.id, Vehicle.active)
                                  .order_by(Vehicle.plate))
    workers = list(db.session.scalars(select(TransportWorker).where(
        TransportWorker.organisation_id == org.id, TransportWorker.active).order_by(TransportWorker.name)))
    return {"vehicles": list(vehicles), "drivers": [w for w in workers if w.kind == "driver"],
            "escorts": [w for w in workers if w.kind == "escort"]}


def record_choices(carriers: list[Organisation]) -> dict[str, list[tuple[int, str]]]:
    """The manifest form's choices of vehicles, drivers and escorts, labelled with their carrier's name; the
    service checks that a choice belongs to the leg's carrier."""
    ids = [org.id for org in carriers]
    names = {org.id: org.name for org in carriers}
    vehicles = db.session.scalars(select(Vehicle).where(Vehicle.organisation_id.in_(ids), Vehicle.active)
                                  .order_by(Vehicle.organisation_id, Vehicle.plate).limit(2000))
    workers = list(db.session.scalars(select(TransportWorker).where(
        TransportWorker.organisation_id.in_(ids), TransportWorker.active)
        .order_by(TransportWorker.organisation_id, TransportWorker.name).limit(4000)))
    blank = [(0, _("— as typed below —"))]
    return {"vehicle_id": blank + [(v.id, f"{names[v.organisation_id]} · {v.plate}") for v in vehicles],
            **{f"{kind}_id": blank + [(w.id, f"{names[w.organisation_id]} · {w.name}") for w in workers
                                      if w.kind == kind] for kind in WORKER_KINDS}}


def valid_licence(org: Organisation, day: date) -> TransportLicence | None:
    """The carrier's licence in force that day (the one valid longest when it holds several)."""
    return db.session.scalars(select(TransportLicence).where(
        TransportLicence.organisation_id == org.id, TransportLicence.valid_from <= day,
        TransportLicence.valid_until >= day).order_by(TransportLicence.valid_until.desc())).first()


# --- the manifest's legs -------------------------------------------------------------------------

def _record(model, value, org: Organisation, field: str, kind: str | None = None):
    record = db.session.get(model, value) if isinstance(value, int) and not isinstance(value, bool) else None
    if record is None or record.organisation_id != org.id or not record.active or (
            kind is not None and record.kind != kind):
        raise _invalid(field, _("Choose one of %(org)s's recorded vehicles, drivers or escorts.", org=org.name))
    return record


def _by_plate(org: Organisation, text: str) -> Vehicle | None:
    plate = _PLATE_NOISE.sub("", text).upper()
    return db.session.scalar(select(Vehicle).where(Vehicle.organisation_id == org.id, Vehicle.plate == plate,
                                                   Vehicle.active))


def _worker_by(org: Organisation, kind: str, column, value: str) -> TransportWorker | None:
    matches = list(db.session.scalars(select(TransportWorker).where(
        TransportWorker.organisation_id == org.id, TransportWorker.kind == kind, TransportWorker.active,
        func.lower(column) == value.lower()).limit(2)))
    return matches[0] if len(matches) == 1 else None


def leg_records(org: Organisation, item: dict, field: str, text: dict) -> dict:
    """The records a manifest leg names — vehicle_id, driver_id, escort_id — with the leg's text columns filled
    from them (the sealed history reads the text). A leg given as text only is linked to the carrier's record
    with that plate, that driver's phone or that escort's name when there is exactly one, so clients of the
    text API keep working; otherwise it stays text and cannot be picked up."""
    vehicle = driver = escort = None
    if item.get("vehicle_id") is not None:
        vehicle = _record(Vehicle, item["vehicle_id"], org, f"{field}.vehicle_id")
    elif text["vehicle_plate"]:
        vehicle = _by_plate(org, text["vehicle_plate"])
    if item.get("driver_id") is not None:
        driver = _record(TransportWorker, item["driver_id"], org, f"{field}.driver_id", "driver")
    elif text["driver_phone"]:
        driver = _worker_by(org, "driver", TransportWorker.phone, text["driver_phone"])
    if item.get("escort_id") is not None:
        escort = _record(TransportWorker, item["escort_id"], org, f"{field}.escort_id", "escort")
    elif text["escort_name"]:
        escort = _worker_by(org, "escort", TransportWorker.name, text["escort_name"])
    values = dict(text)
    if vehicle is not None:
        values["vehicle_plate"] = vehicle.plate
    if driver is not None:
        values["driver_name"], values["driver_phone"] = driver.name, driver.phone
    if escort is not None:
        values["escort_name"] = escort.name
    return {**values, "vehicle": vehicle, "driver": driver, "escort": escort}


def _expired(field: str, message) -> DomainError:
    return DomainError(message, fields={field: message}, code="transport_document_invalid")


def require_leg_documents(leg, day: date, classes: dict[int, str | None]) -> dict:
    """The leg's vehicle, driver (and escort, if named) must be records whose documents are valid on `day`, and
    the carrier's road transport licence must be valid and cover each line's dangerous goods class where the
    class is declared. classes maps line position → class or None. 422 naming the document and its expiry;
    otherwise the documents checked, for the signature to seal."""
    field, org = f"carriers[{leg.position}]", leg.organisation
    vehicle, driver, escort = leg.vehicle, leg.driver, leg.escort
    # a revision approved by every party changes the leg's text; the records it names then follow the text
    if vehicle is None or vehicle.plate != _PLATE_NOISE.sub("", leg.vehicle_plate or "").upper():
        vehicle = _by_plate(org, leg.vehicle_plate or "")
    if driver is None or driver.phone != (leg.driver_phone or ""):
        driver = _worker_by(org, "driver", TransportWorker.phone, leg.driver_phone or "")
    if escort is not None and escort.name != (leg.escort_name or ""):
        escort = _worker_by(org, "escort", TransportWorker.name, leg.escort_name or "")
    if vehicle is None or not vehicle.active:
        raise _invalid(f"{field}.vehicle_id", _("%(plate)s is not a recorded vehicle of %(org)s: choose one of its "
                                                "vehicles.", plate=leg.vehicle_plate or "—", org=org.name),
                       code="transport_record_missing")
    if driver is None or not driver.active:
        raise _invalid(f"{field}.driver_id", _("Choose one of %(org)s's recorded drivers.", org=org.name),
                       code="transport_record_missing")
    if vehicle.permit_valid_until < day:
        raise _expired(f"{field}.vehicle_id", _(
            "The road transport permit (道路运输证) %(number)s of %(plate)s expired on %(date)s.",
            number=vehicle.permit_number, plate=vehicle.plate, date=vehicle.permit_valid_until.isoformat()))
    for worker, name in ((driver, "driver_id"), (escort, "escort_id")):
        if worker is not None and worker.certificate_valid_until < day:
            raise _expired(f"{field}.{name}", _(
                "The qualification certificate (从业资格证) %(number)s of %(person)s expired on %(date)s.",
                number=worker.certificate_number, person=worker.name,
                date=worker.certificate_valid_until.isoformat()))
    licence = valid_licence(org, day)
    if licence is None:
        raise _expired(f"{field}.organisation_id", _(
            "%(org)s holds no road transport licence (道路运输经营许可证) valid on %(date)s.", org=org.name,
            date=day.isoformat()))
    for position, dg_class in sorted(classes.items()):
        if dg_class and not licence.covers(dg_class):
            raise _expired(f"{field}.organisation_id", _(
                "The road transport licence %(number)s of %(org)s does not cover dangerous goods class %(dg_class)s "
                "(line %(line)s).", number=licence.number, org=org.name, dg_class=dg_class, line=position + 1))
    return {"vehicle": {"id": vehicle.id, "plate": vehicle.plate, "permit": vehicle.permit_number,
                        "permit_valid_until": vehicle.permit_valid_until.isoformat()},
            "driver": _worker_seal(driver), "escort": _worker_seal(escort) if escort is not None else None,
            "licence": {"id": licence.id, "number": licence.number, "valid_until": licence.valid_until.isoformat()},
            "classes_undeclared": sorted(p for p, c in classes.items() if not c)}


def _worker_seal(worker: TransportWorker) -> dict:
    return {"id": worker.id, "name": worker.name, "certificate": worker.certificate_number,
            "valid_until": worker.certificate_valid_until.isoformat()}
