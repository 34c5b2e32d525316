"""Emergency plans: templates, the plan library with its filing (备案) loop and revision reminders, look-up
(预案调阅), and the reference data the response draws on (grading rules, guidance, resources, places)."""
import json
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from .. import audit, auth
from ..accounts.models import Membership, Organisation, Role
from ..clock import china_today
from ..errors import DomainError, Forbidden, NotFound
from ..extensions import db
from ..jurisdiction import in_jurisdiction, jurisdiction_code
from ..outbox import send_message
from ..regulatory.catalogue import lookup_waste_code
from ..regulatory.geo import district_at
from ..types import utcnow
from ..workflow import Transition, Workflow
from .models import (
    E_CLASSES,
    EVENT_TYPES,
    PLACE_KINDS,
    PLAN_KINDS,
    PLAN_STATUSES,
    RESOURCE_KINDS,
    RISK_LEVELS,
    EmergencyPlan,
    EmergencyResource,
    EventLevelRule,
    HazardGuidance,
    PlanTemplate,
    RiskGradingRule,
    SensitivePlace,
)

DATA_DIR = Path(__file__).parent / "data"
EDITABLE = ("draft", "returned")
STATUS_LABELS = {"draft": _l("Draft"), "submitted": _l("Submitted for filing"), "returned": _l("Returned"),
                 "filed": _l("Filed")}
KIND_LABELS = {"enterprise": _l("Enterprise plan"), "district": _l("District plan"), "city": _l("City plan")}
RISK_LABELS = {"general": _l("General risk"), "larger": _l("Larger risk"), "major": _l("Major risk")}
LEVEL_LABELS = {"I": _l("Level I (especially serious)"), "II": _l("Level II (serious)"),
                "III": _l("Level III (larger)"), "IV": _l("Level IV (general)")}
EVENT_TYPE_LABELS = {"leak": _l("Leak or spill"), "fire_explosion": _l("Fire or explosion"),
                     "illegal_dumping": _l("Illegal dumping"), "transport_accident": _l("Transport accident"),
                     "water_pollution": _l("Water pollution"), "other": _l("Other")}
INCIDENT_STATUS_LABELS = {"open": _l("Being handled"), "issued": _l("Scheme issued"), "closed": _l("Closed")}
SCHEME_STATUS_LABELS = {"draft": _l("Draft"), "issued": _l("Issued"), "superseded": _l("Superseded")}
TIMELINE_LABELS = {"recorded": _l("Recorded"), "drafted": _l("Scheme drafted"), "edited": _l("Scheme edited"),
                   "issued": _l("Scheme issued"), "note": _l("Note"), "closed": _l("Closed")}
RESOURCE_LABELS = {"store": _l("Material store"), "team": _l("Response team"), "equipment": _l("Equipment")}
PLACE_LABELS = {"water_source": _l("Drinking water source"), "school": _l("School"), "hospital": _l("Hospital"),
                "residential": _l("Residential area")}
CRITERION_LABELS = {"deaths": _l("Deaths"), "poisoned": _l("Poisoned or seriously injured"),
                    "evacuated": _l("People evacuated"), "loss_yuan": _l("Direct economic loss (yuan)")}
PLAN_FIELDS = ("title", "district_code", "status", "waste_codes", "event_types", "response_levels", "risk_q",
               "risk_m", "risk_e", "risk_level", "reviewed_on", "signed_on", "valid_until", "filing_number")


def _invalid(field: str, message) -> DomainError:
    return DomainError(message, fields={field: message})


# --- templates -----------------------------------------------------------------------------------

def load_templates() -> int:
    """Create the template of each plan kind from the shipped structure where none exists; returns how many."""
    shipped = json.loads((DATA_DIR / "templates.json").read_text(encoding="utf-8"))
    created = 0
    for kind, spec in shipped.items():
        if db.session.scalar(select(PlanTemplate.id).where(PlanTemplate.kind == kind).limit(1)) is None:
            db.session.add(PlanTemplate(kind=kind, name=spec["name"], source=spec["source"],
                                        sections=[{"key": k, "title": t} for k, t in spec["sections"]]))
            created += 1
    db.session.flush()
    return created


def template_for(kind: str) -> PlanTemplate | None:
    return db.session.scalar(select(PlanTemplate).where(PlanTemplate.kind == kind)
                             .order_by(PlanTemplate.id.desc()).limit(1))


def update_template(user, template: PlanTemplate, name: str, sections_text: str) -> PlanTemplate:
    """An admin renames the template or changes its sections, one title per line; the keys of sections whose
    title is kept stay, so the plans written in them keep their text."""
    if not auth.is_admin(user):
        raise Forbidden(_("Only platform administrators manage the plan templates."))
    titles = [line.strip() for line in (sections_text or "").splitlines() if line.strip()]
    if not titles:
        raise _invalid("sections", _("List at least one section."))
    if not (name or "").strip():
        raise _invalid("name", _("Enter the template's name."))
    by_title = {s["title"]: s["key"] for s in template.sections}
    used = set(by_title.values())
    sections = []
    for number, title in enumerate(titles, 1):
        key = by_title.get(title)
        if key is None:
            key = f"s{number}"
            while key in used:
                key += "x"
            used.add(key)
        sections.append({"key": key, "title": title[:300]})
    before = {"name": template.name, "sections": template.sections}
    template.name, template.sections = name.strip()[:200], sections
    audit.record("emergency_template.updated", template, before=before,
                 after={"name": template.name, "sections": sections}, actor=user)
    return template


# --- the filing loop -----------------------------------------------------------------------------

def _author(plan: EmergencyPlan, user, _org) -> bool:
    """The enterprise's office writes its plan; a regulator of the area writes a government plan."""
    if plan.kind == "enterprise":
        return auth.is_org_office(user, plan.organisation_id)
    return auth.jurisdiction_covers(user, plan.district_code) or auth.is_admin(user)


def _filer(plan: EmergencyPlan, user, _org) -> bool:
    return auth.jurisdiction_covers(user, plan.district_code) or auth.is_admin(user)


def _complete(plan: EmergencyPlan, _user, _org, _fields: dict) -> None:
    missing = [s["title"] for s in (plan.template.sections if plan.template else [])
               if not (plan.sections or {}).get(s["key"], "").strip()]
    if missing:
        raise _invalid("sections", _("Write every section before submitting: %(missing)s.",
                                     missing="、".join(missing)))
    if plan.kind == "enterprise" and not plan.risk_level:
        raise _invalid("risk_level", _("State the risk level the risk assessment concludes."))
    if plan.kind != "enterprise" and not plan.response_levels:
        raise _invalid("response_levels", _("Choose the response levels this plan covers."))


def _filing_number(plan: EmergencyPlan, _user, _org, fields: dict) -> dict:
    number = str(fields.get("filing_number") or "").strip()
    if not number:
        raise _invalid("filing_number", _("Enter the filing number."))
    taken = db.session.scalar(select(EmergencyPlan.id).where(EmergencyPlan.filing_number == number,
                                                             EmergencyPlan.id != plan.id))
    if taken is not None:
        raise _invalid("filing_number", _("This filing number is already given to another plan."))
    return {"filing_number": number[:60]}


def _with_reason(_plan, _user, _org, fields: dict) -> dict:
    reason = str(fields.get("reason") or "").strip()
    if not reason:
        raise _invalid("reason", _("Give the reason for returning the plan."))
    return {"reason": reason}


PLAN = Workflow("emergency_plan", EmergencyPlan, PLAN_STATUSES, [
    Transition("draft", "submit", "submitted", "author", _complete),
    Transition("returned", "submit", "submitted", "author", _complete),
    Transition("submitted", "file", "filed", "filer", _filing_number),
    Transition("submitted", "return", "returned", "filer", _with_reason),
    Transition("filed", "revise", "draft", "author"),
], parties={"author": _author, "filer": _filer}, label=_l("emergency plan"), state_labels=STATUS_LABELS,
    refusals={"author": _l("Only the plan's enterprise (or, for a government plan, its regulators) writes it."),
              "filer": _l("Only a regulator of the plan's district files it.")})


def allowed_actions(user, plan: EmergencyPlan) -> list[str]:
    return PLAN.allowed_actions(plan, user)


def take_action(user, plan: EmergencyPlan, action: str, *, filing_number=None, reason=None) -> EmergencyPlan:
    """Submit, file (with the filing number), return (with a reason) or reopen for revision."""
    step = PLAN.step(plan, action, user, fields={"filing_number": filing_number, "reason": reason})
    now = utcnow()
    if action == "submit":
        plan.submitted_at, plan.return_reason = now, None
    elif action == "file":
        plan.filing_number, plan.filed_at, plan.filed_by_id = step.sealed["filing_number"], now, user.id
        plan.reminded_at = None
    elif action == "return":
        plan.return_reason = step.sealed["reason"]
    return plan


# --- writing a plan ------------------------------------------------------------------------------

def _codes(text: str) -> str:
    codes = []
    for raw in (text or "").replace("，", ",").replace("、", ",").replace(" ", ",").split(","):
        if not raw.strip():
            continue
        entry = lookup_waste_code(raw.strip())
        if entry is None:
            raise _invalid("waste_codes", _("%(code)s is not in the waste catalogue.", code=raw.strip()))
        if entry.code not in codes:
            codes.append(entry.code)
    return ",".join(codes)[:500]


def _choice_list(values, allowed, field: str) -> str:
    values = [v for v in (values or []) if v]
    if any(v not in allowed for v in values):
        raise _invalid(field, _("Choose from the list."))
    return ",".join(v for v in allowed if v in values)


def _decimal(value, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise _invalid(field, _("Enter a number.")) from None
    if not number.is_finite() or number < 0 or number >= Decimal("1e8"):
        raise _invalid(field, _("Enter a number from 0 to 99999999."))
    return number.quantize(Decimal("0.0001"))


def _risk(fields: dict) -> dict:
    m = fields.get("risk_m")
    if m not in (None, "") and (isinstance(m, bool) or not isinstance(m, int) or not 0 <= m <= 1000):
        raise _invalid("risk_m", _("Enter the M score as a whole number from 0 to 1000."))
    e = fields.get("risk_e") or None
    if e is not None and e not in E_CLASSES:
        raise _invalid("risk_e", _("Choose E1, E2 or E3."))
    level = fields.get("risk_level") or None
    if level is not None and level not in RISK_LEVELS:
        raise _invalid("risk_level", _("Choose from the list."))
    return {"risk_q": _decimal(fields.get("risk_q"), "risk_q"), "risk_m": m if m != "" else None,
            "risk_e": e, "risk_level": level}


def _apply(plan: EmergencyPlan, fields: dict, sections: dict) -> None:
    title = str(fields.get("title") or "").strip()
    if not title:
        raise _invalid("title", _("Enter the plan's title."))
    keys = {s["key"] for s in (plan.template.sections if plan.template else [])}
    plan.title = title[:200]
    plan.sections = {k: str(v)[:20000] for k, v in (sections or {}).items() if k in keys}
    plan.waste_codes = _codes(fields.get("waste_codes") or "")
    plan.event_types = _choice_list(fields.get("event_types"), EVENT_TYPES, "event_types")
    for name in ("reviewed_on", "signed_on", "valid_until"):
        value = fields.get(name)
        if value is not None and not isinstance(value, date):
            raise _invalid(name, _("Enter a date as YYYY-MM-DD."))
        setattr(plan, name, value)
    if plan.kind == "enterprise":
        for name, value in _risk(fields).items():
            setattr(plan, name, value)
    else:
        plan.response_levels = _choice_list(fields.get("response_levels"), ("I", "II", "III", "IV"),
                                            "response_levels")


def _government_district(user, kind: str, district_code: str | None) -> str:
    city = jurisdiction_code()
    code = city if kind == "city" else (district_code or "")
    if kind == "district" and (not in_jurisdiction(code) or code == city):
        raise _invalid("district_code", _("Choose a district of the city."))
    if not (auth.jurisdiction_covers(user, code) or auth.is_admin(user)):
        raise Forbidden(_("Only a regulator of that area writes its plan."))
    return code


def create_plan(user, kind: str, *, organisation: Organisation | None = None, sections: dict | None = None,
                **fields) -> EmergencyPlan:
    """A new draft: an enterprise's (by its office) or a government plan (by a regulator of the area)."""
    if kind not in PLAN_KINDS:
        raise _invalid("kind", _("Choose from the list."))
    if kind == "enterprise":
        if organisation is None or not auth.is_org_office(user, organisation.id):
            raise Forbidden(_("Only the enterprise's administrators and staff write its emergency plan."))
        district = organisation.district_code
    else:
        district, organisation = _government_district(user, kind, fields.get("district_code")), None
    plan = EmergencyPlan(kind=kind, organisation=organisation, district_code=district, created_by_id=user.id,
                         template=template_for(kind), status="draft", sections={})
    _apply(plan, fields, sections or {})
    db.session.add(plan)
    db.session.flush()
    audit.record("emergency_plan.created", plan, after=audit.snapshot(plan, PLAN_FIELDS), actor=user,
                 organisation_id=plan.organisation_id)
    return plan


def update_plan(user, plan: EmergencyPlan, *, sections: dict | None = None, **fields) -> EmergencyPlan:
    if not _author(plan, user, None):
        raise Forbidden(_("Only the plan's enterprise (or, for a government plan, its regulators) writes it."))
    if plan.status not in EDITABLE:
        raise _invalid("status", _("A plan submitted or filed is not edited; reopen it for revision first."))
    before = audit.snapshot(plan, PLAN_FIELDS)
    _apply(plan, fields, sections or {})
    audit.record("emergency_plan.updated", plan, before=before, after=audit.snapshot(plan, PLAN_FIELDS),
                 actor=user, organisation_id=plan.organisation_id)
    return plan


# --- reading and look-up (预案调阅) ----------------------------------------------------------------

def _may_see(user, plan: EmergencyPlan) -> bool:
    if auth.is_admin(user):
        return True
    if plan.kind == "enterprise" and auth.is_member(user, plan.organisation_id):
        return True
    if plan.status == "draft" and plan.kind == "enterprise":
        return False
    return auth.jurisdiction_covers(user, plan.district_code) or (
        plan.kind != "enterprise" and plan.status == "filed" and auth.regulator_of(user) is not None)


def get_plan(user, plan_id: int) -> EmergencyPlan:
    plan = db.session.get(EmergencyPlan, plan_id)
    if plan is None or not _may_see(user, plan):
        raise NotFound(_("Not found."))
    return plan


def plans_query(user, *, kind=None, status=None, district=None, organisation=None, waste_code=None,
                event_type=None):
    """The plans the user may see, filtered as the look-up asks: enterprises see their own, regulators their
    area's (never an enterprise's draft) and every filed government plan."""
    query = select(EmergencyPlan)
    if not auth.is_admin(user):
        regulator = auth.regulator_of(user)
        own = [m.organisation_id for m in user.memberships]
        visible = EmergencyPlan.organisation_id.in_(own)
        if regulator is not None:
            area = (EmergencyPlan.district_code.is_not(None) if regulator.jurisdiction_code == jurisdiction_code()
                    else EmergencyPlan.district_code == regulator.jurisdiction_code)
            visible = or_(visible, (area & ~((EmergencyPlan.kind == "enterprise") & (EmergencyPlan.status == "draft"))),
                          (EmergencyPlan.kind != "enterprise") & (EmergencyPlan.status == "filed"))
        query = query.where(visible)
    if kind in PLAN_KINDS:
        query = query.where(EmergencyPlan.kind == kind)
    if status in PLAN_STATUSES:
        query = query.where(EmergencyPlan.status == status)
    if district:
        query = query.where(EmergencyPlan.district_code == district)
    if organisation:
        query = query.join(Organisation, EmergencyPlan.organisation_id == Organisation.id).where(
            Organisation.name.icontains(organisation, autoescape=True))
    if waste_code:
        entry = lookup_waste_code(waste_code)
        query = query.where(EmergencyPlan.waste_codes.contains(entry.code if entry else waste_code, autoescape=True))
    if event_type in EVENT_TYPES:
        query = query.where(EmergencyPlan.event_types.contains(event_type, autoescape=True))
    return query.order_by(EmergencyPlan.id.desc())


def revision_due(plan: EmergencyPlan, today: date | None = None) -> bool:
    """A filed plan whose validity ends within the reminder period (or has ended) is due for revision."""
    if plan.status != "filed" or plan.valid_until is None:
        return False
    days = current_app.config.get("EMERGENCY_PLAN_REMINDER_DAYS", 90)
    return plan.valid_until <= (today or china_today()) + timedelta(days=days)


def send_revision_reminders(today: date | None = None) -> int:
    """Remind each enterprise once per filing that its plan's validity runs out (outbox); returns how many."""
    plans = db.session.scalars(select(EmergencyPlan).where(
        EmergencyPlan.status == "filed", EmergencyPlan.kind == "enterprise", EmergencyPlan.reminded_at.is_(None),
        EmergencyPlan.valid_until.is_not(None))).all()
    sent = 0
    for plan in plans:
        if not revision_due(plan, today):
            continue
        for email in enterprise_emails(plan.organisation):
            send_message(email, _("Emergency plan due for revision"),
                         _("The emergency plan “%(title)s” (filing number %(number)s) is valid until %(until)s. "
                           "Revise it and file it again.", title=plan.title, number=plan.filing_number or "—",
                           until=plan.valid_until.isoformat()))
        plan.reminded_at = utcnow()
        sent += 1
    return sent


def enterprise_emails(org: Organisation | None) -> list[str]:
    """Where an enterprise is told: its contact address and its administrators'."""
    if org is None:
        return []
    emails = [org.contact_email] if org.contact_email else []
    admins = db.session.scalars(select(Membership).where(Membership.organisation_id == org.id,
                                                         Membership.role == Role.ADMIN)).all()
    emails += [m.user.email for m in admins if m.user.email]
    return list(dict.fromkeys(emails))


# --- grading rules (data) ------------------------------------------------------------------------

def load_event_rules() -> int:
    """The shipped event-level thresholds (see data/README.md), where the city has not entered its own."""
    shipped = json.loads((DATA_DIR / "event_levels.json").read_text(encoding="utf-8"))
    created = 0
    for row in shipped["rules"]:
        exists = db.session.scalar(select(EventLevelRule.id).where(EventLevelRule.level == row["level"],
                                                                   EventLevelRule.criterion == row["criterion"]))
        if exists is None:
            db.session.add(EventLevelRule(source=shipped["source"], **row))
            created += 1
    db.session.flush()
    return created


def grade_risk(q: Decimal | None, m: int | None, e: str | None) -> str | None:
    """The level the city's HJ 941-2018 matrix rows give for Q, M and E; None when the rows are missing or
    none matches (the page then says the matrix is not entered)."""
    if q is None or m is None or e is None:
        return None
    for rule in db.session.scalars(select(RiskGradingRule).where(RiskGradingRule.e_class == e)):
        if (rule.q_min <= q and (rule.q_max is None or q < rule.q_max)
                and rule.m_min <= m and (rule.m_max is None or m < rule.m_max)):
            return rule.level
    return None


def risk_rules_entered() -> bool:
    return db.session.scalar(select(RiskGradingRule.id).limit(1)) is not None


# --- registered points ---------------------------------------------------------------------------

def _point(fields: dict) -> tuple[Decimal, Decimal, str]:
    try:
        lat, lon = Decimal(str(fields.get("lat"))), Decimal(str(fields.get("lon")))
    except InvalidOperation:
        raise _invalid("lat", _("Choose the place on the map or enter its coordinates.")) from None
    district = district_at(lat, lon) if lat.is_finite() and lon.is_finite() else None
    if district is None:
        raise _invalid("lat", _("The place lies outside the city's districts."))
    return lat.quantize(Decimal("0.000001")), lon.quantize(Decimal("0.000001")), district


def _require_regulator(user) -> None:
    if auth.regulator_of(user) is None and not auth.is_admin(user):
        raise Forbidden(_("This page is for regulators."))


def register_resource(user, *, kind: str, name: str, organisation_id: int | None = None, details=None,
                      contact=None, phone=None, **point) -> EmergencyResource:
    """A regulator registers a material store, a team or equipment at a place."""
    _require_regulator(user)
    if kind not in RESOURCE_KINDS:
        raise _invalid("kind", _("Choose from the list."))
    if not (name or "").strip():
        raise _invalid("name", _("Enter the name."))
    lat, lon, district = _point(point)
    resource = EmergencyResource(kind=kind, name=name.strip()[:200], organisation_id=organisation_id,
                                 details=details, contact=contact, phone=phone, lat=lat, lon=lon,
                                 district_code=district)
    db.session.add(resource)
    audit.record("emergency_resource.registered", resource, after={"kind": kind, "name": resource.name},
                 actor=user)
    return resource


def register_place(user, *, kind: str, name: str, **point) -> SensitivePlace:
    """A regulator registers a water source, school, hospital or residential area as a map point."""
    _require_regulator(user)
    if kind not in PLACE_KINDS:
        raise _invalid("kind", _("Choose from the list."))
    if not (name or "").strip():
        raise _invalid("name", _("Enter the name."))
    lat, lon, district = _point(point)
    place = SensitivePlace(kind=kind, name=name.strip()[:200], lat=lat, lon=lon, district_code=district)
    db.session.add(place)
    audit.record("emergency_place.registered", place, after={"kind": kind, "name": place.name}, actor=user)
    return place


def save_guidance(user, guidance: HazardGuidance | None, *, title: str, text: str, hazard=None,
                  waste_code=None) -> HazardGuidance:
    """Add or change an entry of the handling knowledge base (regulators keep it)."""
    _require_regulator(user)
    if bool(hazard) == bool(waste_code):
        raise _invalid("hazard", _("Choose a hazard characteristic or enter a waste code, not both."))
    if hazard and hazard not in ("T", "C", "I", "R", "In"):
        raise _invalid("hazard", _("Choose from the list."))
    code = None
    if waste_code:
        entry = lookup_waste_code(waste_code)
        if entry is None:
            raise _invalid("waste_code", _("%(code)s is not in the waste catalogue.", code=waste_code))
        code = entry.code
    if not (title or "").strip() or not (text or "").strip():
        raise _invalid("guidance", _("Enter the title and the guidance."))
    before = None
    if guidance is None:
        guidance = HazardGuidance()
        db.session.add(guidance)
    else:
        before = {"title": guidance.title, "guidance": guidance.guidance}
    guidance.hazard, guidance.waste_code = hazard or None, code
    guidance.title, guidance.guidance = title.strip()[:200], text.strip()
    audit.record("emergency_guidance.saved", guidance, before=before,
                 after={"title": guidance.title, "guidance": guidance.guidance}, actor=user)
    return guidance


# --- the admins' grading tables ------------------------------------------------------------------

# How the tables are typed: the standards' own words and numerals (一般/较大/重大, Ⅰ–Ⅳ) and one letter per
# criterion, so that one text serves readers of either language.
RISK_WORDS = {"一般": "general", "较大": "larger", "重大": "major"}
ROMAN = {"Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "Ⅳ": "IV"}
CRITERION_CODES = {"D": "deaths", "P": "poisoned", "E": "evacuated", "L": "loss_yuan"}

def _line_error(field: str, number: int, message) -> DomainError:
    return _invalid(field, _("Line %(n)s: %(message)s", n=number, message=message))


def _bound(text: str, kind):
    return None if text in ("-", "—", "") else kind(text)


def replace_risk_rules(user, text: str) -> int:
    """An admin enters HJ 941-2018's matrix from the standard, one row per line:
    `E Qmin Qmax Mmin Mmax level` (Qmax, Mmax exclusive; - for no upper bound); returns the rows kept."""
    if not auth.is_admin(user):
        raise Forbidden(_("Only platform administrators change the grading tables."))
    rows = []
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            e, q_min, q_max, m_min, m_max, word = parts
            row = RiskGradingRule(e_class=e, q_min=Decimal(q_min), q_max=_bound(q_max, Decimal), m_min=int(m_min),
                                  m_max=_bound(m_max, int), level=RISK_WORDS.get(word, ""))
        except (ValueError, InvalidOperation):
            raise _line_error("risk_rules", number, _("write E, Q from, Q to, M from, M to and the level.")) from None
        if e not in E_CLASSES or row.level not in RISK_LEVELS:
            raise _line_error("risk_rules", number, _("E is E1, E2 or E3; the level is 一般, 较大 or 重大."))
        rows.append(row)
    return _replace(RiskGradingRule, rows, "emergency_risk_rules.replaced", user, text)


def replace_event_rules(user, text: str) -> int:
    """An admin edits the event-level thresholds, one per line: `level criterion minimum source`."""
    if not auth.is_admin(user):
        raise Forbidden(_("Only platform administrators change the grading tables."))
    rows, seen = [], set()
    for number, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=3)
        level, criterion = ROMAN.get(parts[0]), CRITERION_CODES.get(parts[1]) if len(parts) > 1 else None
        if (len(parts) < 3 or level is None or criterion is None or not parts[2].isdigit()
                or (level, criterion) in seen):
            raise _line_error("event_rules", number, _("write the level (Ⅰ–Ⅳ), the criterion's letter, the minimum "
                                                       "and the source, once per level and criterion."))
        seen.add((level, criterion))
        rows.append(EventLevelRule(level=level, criterion=criterion, min_value=int(parts[2]),
                                   source=parts[3] if len(parts) > 3 else ""))
    return _replace(EventLevelRule, rows, "emergency_event_rules.replaced", user, text)


def _replace(model, rows: list, action: str, user, text: str) -> int:
    before = [_rule_text(r) for r in db.session.scalars(select(model))]
    db.session.execute(model.__table__.delete())
    db.session.add_all(rows)
    db.session.flush()
    audit.record(action, None, before={"rows": before}, after={"rows": [_rule_text(r) for r in rows]}, actor=user,
                 object_type=model.__tablename__)
    return len(rows)


def _rule_text(rule) -> str:
    if isinstance(rule, RiskGradingRule):
        word = next((w for w, code in RISK_WORDS.items() if code == rule.level), rule.level)
        return " ".join(str(v if v is not None else "-") for v in
                        (rule.e_class, rule.q_min, rule.q_max, rule.m_min, rule.m_max, word))
    roman = next(r for r, code in ROMAN.items() if code == rule.level)
    letter = next(c for c, name in CRITERION_CODES.items() if name == rule.criterion)
    return f"{roman} {letter} {rule.min_value} {rule.source}".rstrip()


def rules_text() -> tuple[str, str]:
    """The two tables as the admin page shows them for editing."""
    risk = db.session.scalars(select(RiskGradingRule).order_by(RiskGradingRule.e_class, RiskGradingRule.q_min,
                                                               RiskGradingRule.m_min)).all()
    order = {lv: i for i, lv in enumerate(("I", "II", "III", "IV"))}
    events = sorted(db.session.scalars(select(EventLevelRule)), key=lambda r: (order[r.level], r.criterion))
    return "\n".join(_rule_text(r) for r in risk), "\n".join(_rule_text(r) for r in events)
