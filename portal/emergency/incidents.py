"""Incidents (突发环境事件) and their response schemes (处置方案).

A regulator records where, what and which wastes; draft_scheme() gathers within one request what the response
needs: the applicable plans, the response level the event-level rules suggest, each waste's hazards with the
knowledge base's guidance, the nearest licensed facilities able to take each code, resources by distance,
sensitive places within the radius and similar past incidents. The regulator edits it (each edit a new
version) and issues it: the departments and enterprises named are told through the outbox and a case is
opened for each department's task.
"""
import math
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from .. import audit, auth
from ..accounts.models import Department, Organisation, OrgStatus, Regulator, User
from ..clock import china_today
from ..coordination.models import CaseType, Source, Urgency
from ..coordination.services import open_case
from ..errors import DomainError, Forbidden, NotFound
from ..extensions import db
from ..jurisdiction import jurisdiction_code
from ..outbox import send_message
from ..regulatory.catalogue import HAZARDS, lookup_waste_code
from ..regulatory.geo import EARTH_RADIUS_M, district_at, haversine_m
from ..regulatory.licences.models import Licence, LicenceScope
from ..regulatory.licences.services import licence_capacity
from ..types import utcnow
from ..workflow import SYSTEM, Transition, Workflow
from .models import (
    EVENT_CRITERIA,
    EVENT_LEVELS,
    EVENT_TYPES,
    INCIDENT_STATUSES,
    SCHEME_STATUSES,
    EmergencyPlan,
    EmergencyResource,
    EventLevelRule,
    HazardGuidance,
    Incident,
    IncidentEvent,
    IncidentWaste,
    ResponseScheme,
    SensitivePlace,
)
from .services import INCIDENT_STATUS_LABELS, SCHEME_STATUS_LABELS, enterprise_emails

MAX_WASTES = 20
MAX_RADIUS_M = 50_000
FACILITIES_PER_CODE = 10
NEAREST_RESOURCES = 10
SIMILAR_INCIDENTS = 5


def _invalid(field: str, message) -> DomainError:
    return DomainError(message, fields={field: message})


def _handler(incident: Incident, user, _org) -> bool:
    """A regulator whose jurisdiction covers the incident's district, or an admin."""
    return auth.is_admin(user) or auth.jurisdiction_covers(user, incident.district_code)


def _with_summary(_incident, _user, _org, fields: dict) -> dict:
    summary = str(fields.get("closing_summary") or "").strip()
    if not summary:
        raise _invalid("closing_summary", _("Write the closing summary."))
    return {"closing_summary": summary}


def _written(scheme, _user, _org, _fields: dict) -> None:
    if not (scheme.instructions or "").strip():
        raise _invalid("instructions", _("Write the instructions of the scheme."))


HANDLER_REFUSAL = _l("Only a regulator of the incident's district handles it.")
# an issued incident stays issued when a later version is issued; closing ends the response
INCIDENT = Workflow("emergency_incident", Incident, INCIDENT_STATUSES, [
    Transition("open", "issue", "issued", "handler"),
    Transition("issued", "issue", None, "handler"),
    Transition("open", "close", "closed", "handler", _with_summary),
    Transition("issued", "close", "closed", "handler", _with_summary),
], parties={"handler": _handler}, label=_l("incident"), state_labels=INCIDENT_STATUS_LABELS,
    refusals={"handler": HANDLER_REFUSAL})
# each edit is a new version; the one before is superseded by the platform, never by a user
SCHEME = Workflow("response_scheme", ResponseScheme, SCHEME_STATUSES, [
    Transition("draft", "issue", "issued", "handler", _written),
    Transition("draft", "supersede", "superseded", SYSTEM),
    Transition("issued", "supersede", "superseded", SYSTEM),
], parties={"handler": lambda scheme, user, org: _handler(scheme.incident, user, org)},
    label=_l("response scheme"), state_labels=SCHEME_STATUS_LABELS, refusals={"handler": HANDLER_REFUSAL})


def search_radius_m() -> int:
    """How far the scheme looks for licensed facilities and resources (a setting: the city spans ~150 km)."""
    return int(current_app.config.get("EMERGENCY_SEARCH_RADIUS_KM", 300)) * 1000


# --- distance ------------------------------------------------------------------------------------

def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(south, north, west, east) of a box holding every point within radius_m: the SQL prefilter that lets an
    index narrow the rows before the exact haversine distance is computed for the few left."""
    d_lat = math.degrees(radius_m / EARTH_RADIUS_M)
    d_lon = math.degrees(radius_m / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 1e-6)))
    return tuple(Decimal(f"{v:.6f}") for v in (lat - d_lat, lat + d_lat, lon - d_lon, lon + d_lon))


def _within_box(lat_column, lon_column, lat: float, lon: float, radius_m: float):
    south, north, west, east = bounding_box(lat, lon, radius_m)
    return (lat_column.between(south, north)) & (lon_column.between(west, east))


def _distance(lat: float, lon: float, row_lat, row_lon) -> int:
    return round(haversine_m(lat, lon, float(row_lat), float(row_lon)))


# --- recording -----------------------------------------------------------------------------------

def _count(fields: dict, name: str) -> int | None:
    value = fields.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**12:
        raise _invalid(name, _("Enter a whole number of zero or more."))
    return value


def _wastes(lines: list[dict]) -> list[IncidentWaste]:
    if len(lines) > MAX_WASTES:
        raise _invalid("wastes", _("Name at most %(n)s wastes.", n=MAX_WASTES))
    wastes, seen = [], set()
    for index, line in enumerate(lines):
        entry = lookup_waste_code(str(line.get("waste_code") or ""))
        if entry is None:
            raise _invalid(f"wastes[{index}].waste_code", _("%(code)s is not in the waste catalogue.",
                                                            code=line.get("waste_code") or "—"))
        grams = line.get("estimated_g")
        if grams is not None and (isinstance(grams, bool) or not isinstance(grams, int) or grams < 0):
            raise _invalid(f"wastes[{index}].estimated_g", _("Enter zero or more."))
        if entry.code not in seen:
            seen.add(entry.code)
            wastes.append(IncidentWaste(waste_code=entry.code, estimated_g=grams))
    return wastes


def _place(lat, lon) -> tuple[Decimal, Decimal, str]:
    try:
        lat, lon = Decimal(str(lat)), Decimal(str(lon))
    except InvalidOperation:
        raise _invalid("lat", _("Choose the place on the map or enter its coordinates.")) from None
    district = district_at(lat, lon) if lat.is_finite() and lon.is_finite() else None
    if district is None:
        raise _invalid("lat", _("The place lies outside the city's districts."))
    return lat.quantize(Decimal("0.000001")), lon.quantize(Decimal("0.000001")), district


def record_incident(user, *, title: str, event_type: str, lat, lon, reporter: str, occurred_at: datetime,
                    wastes: list[dict], radius_m: int = 5000, organisation_id: int | None = None,
                    address=None, description=None, **estimates) -> Incident:
    """A regulator records an incident at a point of the city; the district is the one the point lies in."""
    if auth.regulator_of(user) is None and not auth.is_admin(user):
        raise Forbidden(_("Only regulators record incidents."))
    if not (title or "").strip():
        raise _invalid("title", _("Enter a short title."))
    if event_type not in EVENT_TYPES:
        raise _invalid("event_type", _("Choose from the list."))
    if not (reporter or "").strip():
        raise _invalid("reporter", _("Enter who reported it."))
    if isinstance(radius_m, bool) or not isinstance(radius_m, int) or not 100 <= radius_m <= MAX_RADIUS_M:
        raise _invalid("radius_m", _("Enter a radius from 100 m to 50 km."))
    if occurred_at is None or occurred_at.tzinfo is None or occurred_at > utcnow():
        raise _invalid("occurred_at", _("Enter when it happened (not in the future)."))
    lat, lon, district = _place(lat, lon)
    if not (auth.jurisdiction_covers(user, district) or auth.is_admin(user)):
        raise Forbidden(_("The place lies outside your jurisdiction."))
    if organisation_id is not None and db.session.get(Organisation, organisation_id) is None:
        raise _invalid("organisation_id", _("Choose from the list."))
    incident = Incident(title=title.strip()[:200], event_type=event_type, lat=lat, lon=lon, district_code=district,
                        reporter=reporter.strip()[:200], occurred_at=occurred_at, radius_m=radius_m,
                        organisation_id=organisation_id, address=(address or "").strip()[:300] or None,
                        description=description, created_by_id=user.id, status="open", wastes=_wastes(wastes),
                        **{name: _count(estimates, name) for name in EVENT_CRITERIA})
    db.session.add(incident)
    db.session.flush()
    log(incident, user, "recorded")
    audit.record("emergency_incident.recorded", incident, actor=user,
                 after={"title": incident.title, "district_code": district,
                        "wastes": [w.waste_code for w in incident.wastes]})
    return incident


def log(incident: Incident, user, kind: str, note: str | None = None) -> IncidentEvent:
    event = IncidentEvent(incident=incident, actor_id=getattr(user, "id", None), kind=kind, note=note, at=utcnow())
    db.session.add(event)
    return event


def get_incident(user, incident_id: int) -> Incident:
    """Regulators whose jurisdiction covers the incident's district, and admins."""
    incident = db.session.get(Incident, incident_id)
    if incident is None or not (auth.is_admin(user) or auth.jurisdiction_covers(user, incident.district_code)):
        raise NotFound(_("Not found."))
    return incident


def incidents_query(user, *, status=None, event_type=None, district=None):
    query = auth.scope_to_viewer(select(Incident), user, Incident.organisation_id, Incident.district_code)
    if auth.regulator_of(user) is None and not auth.is_admin(user):
        query = query.where(Incident.id.is_(None))  # enterprises do not read the regulators' incidents
    if status:
        query = query.where(Incident.status == status)
    if event_type:
        query = query.where(Incident.event_type == event_type)
    if district:
        query = query.where(Incident.district_code == district)
    return query.order_by(Incident.occurred_at.desc(), Incident.id.desc())


# --- drafting the scheme -------------------------------------------------------------------------

def applicable_plans(incident: Incident) -> list[dict]:
    """The filed plans that apply: the enterprise's own, the district's, the city's."""
    wanted = [EmergencyPlan.kind == "city",
              (EmergencyPlan.kind == "district") & (EmergencyPlan.district_code == incident.district_code)]
    if incident.organisation_id:
        wanted.append((EmergencyPlan.kind == "enterprise")
                      & (EmergencyPlan.organisation_id == incident.organisation_id))
    plans = db.session.scalars(select(EmergencyPlan).where(EmergencyPlan.status == "filed", or_(*wanted))
                               .order_by(EmergencyPlan.kind.desc(), EmergencyPlan.id)).all()
    order = {"enterprise": 0, "district": 1, "city": 2}
    return [{"id": p.id, "kind": p.kind, "title": p.title, "filing_number": p.filing_number,
             "response_levels": p.level_list, "risk_level": p.risk_level,
             "valid_until": p.valid_until.isoformat() if p.valid_until else None}
            for p in sorted(plans, key=lambda p: order[p.kind])]


def suggest_level(incident: Incident) -> dict:
    """The most serious level whose thresholds the estimates reach, the reasons, and the levels for which the
    city has entered no thresholds (then the regulator judges)."""
    rules = db.session.scalars(select(EventLevelRule)).all()
    reasons, level = [], None
    for candidate in EVENT_LEVELS:
        for rule in (r for r in rules if r.level == candidate):
            value = getattr(incident, rule.criterion, None)
            if value is not None and value >= rule.min_value:
                reasons.append({"criterion": rule.criterion, "value": value, "min_value": rule.min_value,
                                "level": candidate})
        if reasons:
            level = candidate
            break
    missing = [lv for lv in EVENT_LEVELS if not any(r.level == lv for r in rules)]
    return {"level": level, "reasons": reasons, "missing_levels": missing}


def hazards_of(code: str) -> dict:
    """The catalogue entry's hazard characteristics with the guidance for the code and for each hazard."""
    entry = lookup_waste_code(code)
    letters = list(entry.hazards) if entry is not None else []
    guidance = db.session.scalars(select(HazardGuidance).where(or_(
        HazardGuidance.waste_code == code, HazardGuidance.hazard.in_(letters or ["-"])))).all()
    guidance = sorted(guidance, key=lambda g: (g.waste_code is None, letters.index(g.hazard) if g.hazard in letters
                                               else 0, g.id))
    return {"waste_code": code, "description": entry.description if entry else None,
            "category": f"{entry.category.code} {entry.category.name}" if entry else None,
            "hazardous": bool(entry and entry.hazardous), "hazards": letters,
            "hazard_names": [str(HAZARDS[letter][1]) for letter in letters if letter in HAZARDS],
            "guidance": [{"id": g.id, "title": g.title, "text": g.guidance, "hazard": g.hazard,
                          "waste_code": g.waste_code} for g in guidance]}


def licensed_facilities(code: str, lat: float, lon: float, radius_m: int | None = None,
                        limit: int = FACILITIES_PER_CODE) -> list[dict]:
    """The verified receivers within radius_m whose licence in force today covers the code (by code or by its
    category), nearest first, with the licence, the permitted methods and the remaining annual capacity."""
    entry = lookup_waste_code(code)
    if entry is None or not entry.hazardous:
        return []
    radius_m = radius_m or search_radius_m()
    today = china_today()
    rows = db.session.execute(
        select(Licence, LicenceScope, Organisation)
        .join(LicenceScope, LicenceScope.licence_id == Licence.id)
        .join(Organisation, Licence.organisation_id == Organisation.id)
        .where(or_(LicenceScope.waste_code == entry.code, LicenceScope.category_code == entry.category.code),
               Licence.status == "active", Licence.valid_from <= today, Licence.valid_until >= today,
               Organisation.status == OrgStatus.VERIFIED, Organisation.lat.is_not(None),
               _within_box(Organisation.lat, Organisation.lon, lat, lon, radius_m))
        .order_by(Licence.id, LicenceScope.position)).all()
    best: dict[int, dict] = {}
    for licence, scope, org in rows:
        distance = _distance(lat, lon, org.lat, org.lon)
        if distance > radius_m or org.id in best:
            continue
        capacity = licence_capacity(licence)
        remaining = capacity.remaining_g
        for own_scope, usage in capacity.scopes:
            if own_scope.id == scope.id:
                remaining = min(remaining, usage.remaining_g)
        best[org.id] = {"organisation_id": org.id, "name": org.name, "address": org.address,
                        "phone": org.contact_phone, "licence_id": licence.id, "licence": licence.number,
                        "valid_until": licence.valid_until.isoformat(), "methods": scope.method_list,
                        "remaining_g": remaining, "distance_m": distance,
                        "lat": float(org.lat), "lon": float(org.lon)}
    return sorted(best.values(), key=lambda f: (f["distance_m"], f["organisation_id"]))[:limit]


def nearest_resources(lat: float, lon: float, radius_m: int | None = None) -> list[dict]:
    radius_m = radius_m or search_radius_m()
    resources = db.session.scalars(select(EmergencyResource).where(
        _within_box(EmergencyResource.lat, EmergencyResource.lon, lat, lon, radius_m))).all()
    found = [{"id": r.id, "kind": r.kind, "name": r.name, "details": r.details, "contact": r.contact,
              "phone": r.phone, "distance_m": _distance(lat, lon, r.lat, r.lon), "lat": float(r.lat),
              "lon": float(r.lon)} for r in resources]
    return sorted((r for r in found if r["distance_m"] <= radius_m), key=lambda r: r["distance_m"])[:NEAREST_RESOURCES]


def places_within(lat: float, lon: float, radius_m: int) -> list[dict]:
    places = db.session.scalars(select(SensitivePlace).where(
        _within_box(SensitivePlace.lat, SensitivePlace.lon, lat, lon, radius_m))).all()
    found = [{"id": p.id, "kind": p.kind, "name": p.name, "distance_m": _distance(lat, lon, p.lat, p.lon),
              "lat": float(p.lat), "lon": float(p.lon)} for p in places]
    return sorted((p for p in found if p["distance_m"] <= radius_m), key=lambda p: p["distance_m"])


def similar_incidents(incident: Incident) -> list[dict]:
    """Earlier incidents of the same type or with one of the same wastes, newest first."""
    codes = [w.waste_code for w in incident.wastes]
    shares_code = Incident.id.in_(select(IncidentWaste.incident_id).where(IncidentWaste.waste_code.in_(codes or ["-"])))
    found = db.session.scalars(select(Incident).where(
        Incident.id != incident.id, or_(Incident.event_type == incident.event_type, shares_code))
        .order_by(Incident.occurred_at.desc()).limit(SIMILAR_INCIDENTS)).all()
    return [{"id": i.id, "title": i.title, "event_type": i.event_type, "status": i.status,
             "occurred_at": i.occurred_at.isoformat(), "closing_summary": i.closing_summary} for i in found]


def draft(incident: Incident) -> dict:
    """Everything the platform can tell about the response, as JSON-safe facts kept with the version."""
    lat, lon = float(incident.lat), float(incident.lon)
    return {
        "plans": applicable_plans(incident),
        "level": suggest_level(incident),
        "wastes": [{**hazards_of(w.waste_code), "estimated_g": w.estimated_g,
                    "facilities": licensed_facilities(w.waste_code, lat, lon)} for w in incident.wastes],
        "resources": nearest_resources(lat, lon),
        "places": places_within(lat, lon, incident.radius_m),
        "similar": similar_incidents(incident),
        "drafted_at": utcnow().isoformat(),
    }


def _default_departments(incident: Incident) -> list[str]:
    """Ecology always; the police when the waste was dumped or spilled on a road; transport for road accidents."""
    departments = [Department.ECOLOGY.value]
    if incident.event_type in ("illegal_dumping", "transport_accident"):
        departments.append(Department.POLICE.value)
    if incident.event_type == "transport_accident":
        departments.append(Department.TRANSPORT.value)
    return departments


def draft_scheme(user, incident: Incident) -> ResponseScheme:
    """Draft (or redraft) the scheme: a new version with fresh facts, keeping what the regulator wrote."""
    require_handle(user, incident)
    if incident.status == "closed":
        raise _invalid("status", _("The incident is closed."))
    previous = incident.current_scheme
    facts = draft(incident)
    _supersede(previous)  # before the new version joins incident.schemes, so the step's flush sees one change
    scheme = ResponseScheme(
        incident=incident, version=(previous.version + 1) if previous else 1, status="draft", drafted=facts,
        response_level=previous.response_level if previous else facts["level"]["level"],
        instructions=previous.instructions if previous else "",
        departments=previous.departments if previous else ",".join(_default_departments(incident)),
        organisation_ids=list(previous.organisation_ids) if previous else
        ([incident.organisation_id] if incident.organisation_id else []),
        created_by_id=user.id)
    db.session.add(scheme)
    db.session.flush()
    log(incident, user, "drafted", _("Version %(v)s drafted.", v=scheme.version))
    return scheme


def _supersede(previous: ResponseScheme | None) -> None:
    if previous is not None and previous.status != "superseded":
        SCHEME.step(previous, "supersede", system=True)


def require_handle(user, incident: Incident) -> None:
    if not _handler(incident, user, None):
        raise Forbidden(HANDLER_REFUSAL)


def edit_scheme(user, incident: Incident, *, response_level: str | None, instructions: str,
                departments: list[str], organisation_ids: list[int]) -> ResponseScheme:
    """The regulator's edit: a new version with the same facts, so every issued text stays as it was."""
    require_handle(user, incident)
    if incident.status == "closed":
        raise _invalid("status", _("The incident is closed."))
    if response_level not in (None, "", *EVENT_LEVELS):
        raise _invalid("response_level", _("Choose from the list."))
    known = {d.value for d in Department}
    if not departments or any(d not in known for d in departments):
        raise _invalid("departments", _("Name at least one department."))
    if not (instructions or "").strip():
        raise _invalid("instructions", _("Write the instructions of the scheme."))
    orgs = db.session.scalars(select(Organisation.id).where(Organisation.id.in_(organisation_ids or []))).all()
    if len(set(orgs)) != len(set(organisation_ids or [])):
        raise _invalid("organisation_ids", _("Choose from the list."))
    previous = incident.current_scheme
    drafted = previous.drafted if previous else draft(incident)
    _supersede(previous)
    scheme = ResponseScheme(incident=incident, version=(previous.version + 1) if previous else 1, status="draft",
                            drafted=drafted,
                            response_level=response_level or None, instructions=instructions.strip(),
                            departments=",".join(d.value for d in Department if d.value in departments),
                            organisation_ids=sorted(set(organisation_ids or [])), created_by_id=user.id)
    db.session.add(scheme)
    db.session.flush()
    log(incident, user, "edited", _("Version %(v)s saved.", v=scheme.version))
    audit.record("emergency_scheme.edited", scheme, actor=user,
                 after={"version": scheme.version, "response_level": scheme.response_level,
                        "departments": scheme.departments, "organisation_ids": scheme.organisation_ids})
    return scheme


def _department_users(department: str, district_code: str) -> list[User]:
    """The department's regulators whose jurisdiction covers the district (the city's and the district's)."""
    return list(db.session.scalars(select(User).join(Regulator, Regulator.user_id == User.id).where(
        Regulator.department == Department(department),
        Regulator.jurisdiction_code.in_((jurisdiction_code(), district_code)))).all())


def issue_scheme(user, incident: Incident) -> ResponseScheme:
    """Issue the current version: tell each department and enterprise named, and open each department's case."""
    require_handle(user, incident)
    scheme = incident.current_scheme
    if scheme is None or scheme.status != "draft":
        raise _invalid("scheme", _("Draft or edit the scheme before issuing it."))
    SCHEME.step(scheme, "issue", user, values={"issued_at": utcnow(), "issued_by_id": user.id})
    INCIDENT.step(incident, "issue", user)
    subject = _("Emergency response scheme: %(title)s", title=incident.title)
    body = _scheme_text(incident, scheme)
    for department in scheme.department_list:
        for member in _department_users(department, incident.district_code):
            if member.email:
                send_message(member.email, subject, body, user=member)
        _open_task(user, incident, department, body)
    for org_id in scheme.organisation_ids:
        for email in enterprise_emails(db.session.get(Organisation, org_id)):
            send_message(email, subject, body)
    log(incident, user, "issued", _("Version %(v)s issued.", v=scheme.version))
    return scheme


def _open_task(user, incident: Incident, department: str, body: str):
    """The department's task as an urgent case; one per department and incident, so a re-issued version
    answers the case already open (open_case is idempotent on its source reference)."""
    return open_case(case_type=CaseType.EMERGENCY, source=Source.EMERGENCY,
                     source_ref=f"incident-{incident.id}-{department}", title=incident.title, description=body,
                     district_code=incident.district_code, urgency=Urgency.URGENT, opened_by=user,
                     address=incident.address, lat=incident.lat, lon=incident.lon, lead_department=department)


def _scheme_text(incident: Incident, scheme: ResponseScheme) -> str:
    level = scheme.response_level or "—"
    return _("%(title)s, %(address)s. Response level: %(level)s.\n\n%(instructions)s",
             title=incident.title, address=incident.address or "", level=level, instructions=scheme.instructions)


def add_note(user, incident: Incident, note: str) -> IncidentEvent:
    require_handle(user, incident)
    if not (note or "").strip():
        raise _invalid("note", _("Write the note."))
    return log(incident, user, "note", note.strip()[:4000])


def close_incident(user, incident: Incident, summary: str) -> Incident:
    """End the response with the closing summary, which the closing report prints."""
    step = INCIDENT.step(incident, "close", user, fields={"closing_summary": summary})
    incident.closing_summary, incident.closed_at = step.sealed["closing_summary"], utcnow()
    log(incident, user, "closed")
    return incident
