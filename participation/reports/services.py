"""Filing reports, routing them to a department, the lifecycle, duplicates, hotspots and escalation.

Services never commit; the view or command that calls them does."""
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from portal import audit, auth
from portal.accounts.models import Department, Regulator
from portal.admin.forms import DEPARTMENT_LABELS
from portal.coordination.models import Case, CaseType
from portal.coordination.models import Source as CaseSource
from portal.coordination.services import apply_action as apply_case_action
from portal.coordination.services import existing_case, open_case
from portal.coordination.workflow import CASE, CITIZEN
from portal.errors import DomainError, Forbidden, NotFound
from portal.extensions import db
from portal.jurisdiction import jurisdiction_code
from portal.outbox import send_message
from portal.regulatory import geo
from portal.regulatory.models import Division
from portal.regulatory.trace import normalise
from portal.types import utcnow
from portal.workflow import Transition, Workflow

from .models import (
    DEFAULT_DEADLINES,
    DEFAULT_ROUTES,
    OPEN_STATUSES,
    STATUS_LABELS,
    Category,
    Moderation,
    Report,
    ReportEvent,
    ReportPhoto,
    RoutingRule,
    StageDeadline,
    Status,
)
from .photos import CleanPhoto, store_photo

# Tracking codes are read aloud on the phone and typed from paper: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MAX_PHOTOS = 5
DUPLICATE_RADIUS_M = 250
DUPLICATE_DAYS = 30
RESOLVED_PRECISION = Decimal("0.001")  # about 100 m: where, without pointing at a door


def department_name(department) -> str:
    return str(DEPARTMENT_LABELS.get(Department(department), department)) if department else ""


# --- routing and deadlines -------------------------------------------------------------------------

def route_report(category: Category, district_code: str | None) -> Department:
    """The responsible department: a rule for this district, else the category's citywide rule."""
    rules = db.session.scalars(select(RoutingRule).where(
        RoutingRule.category == category,
        or_(RoutingRule.district_code == district_code, RoutingRule.district_code.is_(None)))).all()
    for rule in sorted(rules, key=lambda r: r.district_code is None):
        return rule.department
    return DEFAULT_ROUTES[category]


def stage_days(stage: str) -> int:
    row = db.session.get(StageDeadline, stage)
    return row.working_days if row is not None else DEFAULT_DEADLINES[stage]


def stage_deadline(start: datetime, stage: str) -> datetime:
    from portal.calendar.services import deadline

    return deadline(start, stage_days(stage))


def seed_defaults() -> int:
    """Insert the default routing and deadline rows where none exist; returns the rows added."""
    added = 0
    for category, department in DEFAULT_ROUTES.items():
        exists = db.session.scalar(select(RoutingRule.id).where(RoutingRule.category == category,
                                                                RoutingRule.district_code.is_(None)))
        if exists is None:
            db.session.add(RoutingRule(category=category, district_code=None, department=department))
            added += 1
    for stage, days in DEFAULT_DEADLINES.items():
        if db.session.get(StageDeadline, stage) is None:
            db.session.add(StageDeadline(stage=stage, working_days=days))
            added += 1
    db.session.flush()
    return added


def set_route(category: Category, district_code: str | None, department: Department) -> RoutingRule:
    rule = db.session.scalar(select(RoutingRule).where(
        RoutingRule.category == category,
        RoutingRule.district_code.is_(None) if district_code is None else RoutingRule.district_code == district_code))
    before = audit.snapshot(rule, ("department",)) if rule else None
    if rule is None:
        rule = RoutingRule(category=category, district_code=district_code, department=department)
        db.session.add(rule)
    rule.department = department
    audit.record("report_route_set", rule, before=before,
                 after={"category": category.value, "district": district_code, "department": department.value})
    return rule


def delete_route(rule: RoutingRule) -> None:
    audit.record("report_route_deleted", rule, before={"category": rule.category.value,
                                                       "district": rule.district_code,
                                                       "department": rule.department.value})
    db.session.delete(rule)


def set_stage_days(stage: str, days: int) -> StageDeadline:
    if stage not in DEFAULT_DEADLINES:
        raise DomainError(_l("Unknown stage."), fields={"stage": _l("Unknown stage.")})
    if not 1 <= days <= 60:
        raise DomainError(_l("Between 1 and 60 working days."), fields={"working_days": _l("Between 1 and 60 working days.")})
    row = db.session.get(StageDeadline, stage) or StageDeadline(stage=stage, working_days=DEFAULT_DEADLINES[stage])
    before = {"working_days": row.working_days}
    row.working_days = days
    db.session.add(row)
    audit.record("report_deadline_set", object_type="report_stage_deadlines", object_id=stage,
                 before=before, after={"working_days": days})
    return row


# --- filing ----------------------------------------------------------------------------------------

@dataclass
class NewReport:
    category: str
    description: str
    lat: Decimal | None = None
    lon: Decimal | None = None
    district_code: str | None = None
    address: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    container_code: str | None = None
    manifest_number: str | None = None
    photos: list[CleanPhoto] = field(default_factory=list)
    source: str = "web"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_tracking_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.session.scalar(select(Report.id).where(Report.tracking_code == code)) is None:
            return code


def _locate(data: NewReport) -> str:
    """The district of the report: point-in-polygon for a point, else the district the reporter chose."""
    if data.lat is not None and data.lon is not None:
        district = geo.district_at(data.lat, data.lon)
        if district is None:
            message = _l("This place is outside Sanmenxia. Reports can only be handled inside the city.")
            raise DomainError(message, fields={"place": message})
        return district
    if data.district_code and data.address:
        division = db.session.get(Division, data.district_code)
        if division is None or division.parent_code != jurisdiction_code():
            raise DomainError(_l("Choose a district."), fields={"district_code": _l("Choose a district.")})
        return data.district_code
    message = _l("Put a pin on the map, use your location, or choose the district and type the address.")
    raise DomainError(message, fields={"place": message})


def _validate(data: NewReport) -> Category:
    errors = {}
    try:
        category = Category(data.category)
    except ValueError:
        category = None
        errors["category"] = _l("Choose one of the listed categories.")
    if not (data.description or "").strip():
        errors["description"] = _l("Describe what you saw.")
    # A photo helps the department find and judge the place, but a citizen without one (at night, from a
    # moving car, a photo that failed to upload) must still be able to report.
    if len(data.photos) > MAX_PHOTOS:
        errors["photos"] = _l("Add at most %(n)s photos.", n=MAX_PHOTOS)
    if errors:
        raise DomainError(next(iter(errors.values())), fields=errors)
    return category


def submit_report(data: NewReport) -> tuple[Report, str]:
    """File a report; returns it with the secret of its follow-up link (shown once, stored hashed)."""
    category = _validate(data)
    district = _locate(data)
    now = utcnow()
    secret = secrets.token_urlsafe(24)
    department = route_report(category, district)
    report = Report(tracking_code=_new_tracking_code(), secret_hash=hash_secret(secret), token=secrets.token_hex(16),
                    category=category, description=data.description.strip(), lat=data.lat, lon=data.lon,
                    address=(data.address or "").strip() or None, district_code=district, department=department,
                    status=Status.SUBMITTED, moderation=Moderation.PENDING,
                    contact_email=data.contact_email or None, contact_phone=data.contact_phone or None,
                    container_code=data.container_code or None, manifest_number=data.manifest_number or None,
                    source=data.source, created_at=now, updated_at=now,
                    accept_due=stage_deadline(now, "accept"), finish_due=stage_deadline(now, "finish"))
    db.session.add(report)
    for photo in data.photos:
        _attach(report, photo, "report")
    _event(report, "submit")
    _open_case(report)
    audit.record("report_submitted", report, after={"tracking_code": report.tracking_code,
                                                    "department": report.department.value, "district": district})
    _notify(report, _("Your report %(code)s was received. Follow it here: %(url)s", code=report.tracking_code,
                      url=follow_url(report, secret)))
    return report, secret


# the coordination case type of each report category: burning, industrial and hazardous waste have their own
# duties in the matrix; construction, household and other waste dumped is illegal dumping
CASE_TYPES = {Category.BURNING: CaseType.OPEN_BURNING, Category.HAZARDOUS: CaseType.HAZARDOUS_WASTE,
              Category.INDUSTRIAL: CaseType.INDUSTRIAL_WASTE}


def _open_case(report: Report) -> Case:
    """Every report opens a coordination case, dispatched by the duty matrix; the report then follows the lead
    department the matrix names (its own routing table is the fallback when the matrix has no row)."""
    case = open_case(case_type=CASE_TYPES.get(report.category, CaseType.ILLEGAL_DUMPING), source=CaseSource.REPORT,
                     source_ref=report.tracking_code, title=_("Public report %(code)s: %(category)s",
                                                             code=report.tracking_code,
                                                             category=report.category_label),
                     description=report.description, district_code=report.district_code, urgency="ordinary",
                     opened_by=None, address=report.address, lat=report.lat, lon=report.lon,
                     contact_email=report.contact_email, contact_phone=report.contact_phone)
    if case.lead_department is not None:
        report.department = case.lead_department
    return case


def case_of(report: Report) -> Case | None:
    """The coordination case the report opened (reports filed before cases existed have none)."""
    return existing_case(CaseSource.REPORT, report.tracking_code)


def citizen_may_rate(case: Case | None) -> bool:
    return case is not None and "rate" in CASE.allowed_actions(case, CITIZEN)


def rate_case(report: Report, rating: int | None, note: str | None = None) -> Case:
    """The citizen rates the handling of the report's case (回访 · 评价), through the follow link."""
    case = case_of(report)
    if case is None:
        raise NotFound(_l("This report has no case."))
    return apply_case_action(case, "rate", CITIZEN, rating=rating, note=note)


def _attach(report: Report, photo: CleanPhoto, kind: str) -> ReportPhoto:
    row = ReportPhoto(report=report, kind=kind, filename=store_photo(photo), width=photo.width, height=photo.height)
    db.session.add(row)
    return row


def _event(report: Report, action: str, note: str | None = None, public: bool = True) -> ReportEvent:
    event = ReportEvent(report=report, action=action, status=report.status, department=report.department,
                        note=note, public=public)
    db.session.add(event)
    return event


def _link(endpoint: str, **values) -> str:
    """An absolute link for messages, also from commands and scans that run outside a request."""
    if has_request_context():
        return current_app.config["BASE_URL"] + url_for(endpoint, **values)
    with current_app.test_request_context():
        return current_app.config["BASE_URL"] + url_for(endpoint, **values)


def follow_url(report: Report, secret: str) -> str:
    return _link("reports.follow", code=report.tracking_code, secret=secret)


def status_url(report: Report) -> str:
    return _link("reports.status", code=report.tracking_code)


def _notify(report: Report, body: str) -> None:
    subject = _("Report %(code)s", code=report.tracking_code)
    if report.contact_email:
        send_message(report.contact_email, subject, body)
    if report.contact_phone:
        send_message(report.contact_phone, subject, body, channel="sms")


def nearby_reports(category: str, lat: Decimal, lon: Decimal, now: datetime | None = None,
                   exclude_id: int | None = None) -> list[Report]:
    """Public reports of the same category within 250 m over the last 30 days: likely the same dump."""
    now = now or utcnow()
    # a bounding box narrows the candidates in SQL; the exact distance is checked in Python
    d_lat = Decimal("0.0025")
    d_lon = Decimal("0.0032")
    query = select(Report).where(Report.category == category, Report.created_at >= now - timedelta(days=DUPLICATE_DAYS),
                                 Report.lat.between(lat - d_lat, lat + d_lat), Report.lon.between(lon - d_lon, lon + d_lon),
                                 Report.status.not_in([Status.DUPLICATE, Status.REJECTED]))
    if exclude_id:
        query = query.where(Report.id != exclude_id)
    return [r for r in db.session.scalars(query.order_by(Report.created_at.desc()))
            if geo.haversine_m(float(lat), float(lon), float(r.lat), float(r.lon)) <= DUPLICATE_RADIUS_M]


# --- looking reports up ------------------------------------------------------------------------------

def get_by_code(code: str) -> Report:
    report = db.session.scalar(select(Report).where(Report.tracking_code == normalise(code)))
    if report is None:
        raise NotFound(_l("No report has this tracking code."))
    return report


def get_for_reporter(code: str, secret: str) -> Report:
    report = get_by_code(code)
    if not hmac.compare_digest(report.secret_hash, hash_secret(secret or "")):
        raise NotFound(_l("No report has this tracking code."))
    return report


def public_reports():
    """A select() of the reports cleared by moderation, newest first."""
    return select(Report).where(Report.moderation == Moderation.PUBLIC).order_by(Report.created_at.desc())


def public_point(report: Report) -> tuple[Decimal, Decimal] | None:
    """Where the public map shows a report: rounded once it is resolved or closed."""
    if report.lat is None or report.lon is None:
        return None
    if report.is_open:
        return report.lat, report.lon
    return report.lat.quantize(RESOLVED_PRECISION), report.lon.quantize(RESOLVED_PRECISION)


def reports_for_staff(user):
    """A select() of the reports in the user's inbox: its department within its jurisdiction (all for admins)."""
    query = select(Report)
    if auth.is_admin(user):
        return query
    regulator = auth.regulator_of(user)
    if regulator is None:
        return query.where(Report.id.is_(None))
    query = query.where(Report.department == regulator.department)
    if regulator.jurisdiction_code != jurisdiction_code():
        query = query.where(Report.district_code == regulator.jurisdiction_code)
    return query


def get_for_staff(user, report_id: int) -> Report:
    report = db.session.get(Report, report_id)
    if report is None or not auth.can_handle_case(user, report.department, report.district_code):
        raise NotFound(_l("Report not found."))
    return report


# --- the lifecycle ---------------------------------------------------------------------------------

# Whoever holds a report's secret follow-up link acts as its reporter (no account is needed).
REPORTER = object()


def _staff(report: Report, user, _org) -> bool:
    """A regulator of the report's department whose jurisdiction covers its district."""
    return user is not REPORTER and auth.can_handle_case(user, report.department, report.district_code)


def _reporter(_report: Report, actor, _org) -> bool:
    return actor is REPORTER


def _needs(*names: str):
    """A guard requiring the named inputs of the step (a note, a photo, a rating …)."""
    def guard(_report: Report, _actor, _org, fields: dict) -> dict:
        missing = {name: _l("Required for this step.") for name in names if not fields.get(name)}
        if missing:
            raise DomainError(_l("Some required information is missing."), fields=missing)
        return {}
    guard.__name__ = "needs_" + "_".join(names)
    return guard


def _duplicate_guard(report: Report, actor, org, fields: dict) -> dict:
    _needs("duplicate_of")(report, actor, org, fields)
    original = get_by_code(fields["duplicate_of"])
    if original.id == report.id:
        raise DomainError(_l("A report cannot duplicate itself."), fields={"duplicate_of": _l("A report cannot duplicate itself.")})
    return {"original": original}


def _transfer_guard(report: Report, actor, org, fields: dict) -> dict:
    _needs("department")(report, actor, org, fields)
    try:
        target = Department(fields["department"])
    except ValueError:
        raise DomainError(_l("Unknown department."), fields={"department": _l("Unknown department.")}) from None
    if target == report.department:
        raise DomainError(_l("The report is already with this department."),
                          fields={"department": _l("The report is already with this department.")})
    return {"department": target}


def _rating_guard(report: Report, actor, org, fields: dict) -> dict:
    _needs("rating")(report, actor, org, fields)
    if not 1 <= int(fields["rating"]) <= 5:
        raise DomainError(_l("Rate from 1 to 5."), fields={"rating": _l("Rate from 1 to 5.")})
    return {"rating": int(fields["rating"])}


# The lifecycle as data: (state, action) → next state, who may take it, the guard naming what it needs.
# A next state of None keeps the state.
REPORT = Workflow("report", Report, tuple(Status), [
    Transition("submitted", "accept", "accepted", "staff"),
    Transition("accepted", "assign", "assigned", "staff"),
    Transition("assigned", "start", "in_progress", "staff"),
    Transition("accepted", "start", "in_progress", "staff"),
    Transition("in_progress", "resolve", "resolved", "staff", _needs("note", "photo")),
    Transition("assigned", "resolve", "resolved", "staff", _needs("note", "photo")),
    Transition("assigned", "return", "accepted", "staff", _needs("note")),
    Transition("in_progress", "return", "accepted", "staff", _needs("note")),
    Transition("resolved", "dispute", "in_progress", "reporter", _needs("note", "photo")),
    Transition("resolved", "rate", None, "reporter", _rating_guard),
    *(Transition(state, "reject", "rejected", "staff", _needs("note")) for state in OPEN_STATUSES),
    *(Transition(state, "duplicate", "duplicate", "staff", _duplicate_guard) for state in OPEN_STATUSES),
    *(Transition(state, "transfer", "submitted", "staff", _transfer_guard) for state in OPEN_STATUSES),
], parties={"staff": _staff, "reporter": _reporter}, label=_l("report"), state_labels=STATUS_LABELS,
    refusals={"staff": _l("Only the responsible department may handle this report."),
              "reporter": _l("Only the reporter, through the follow-up link, takes this step.")})
TRANSITIONS = REPORT.table


def allowed_actions(report: Report, role: str) -> list[str]:
    return [t.action for (state, _action), t in REPORT.table.items() if state == report.status and t.party == role]


def apply_action(report: Report, action: str, role: str, *, user=None, note: str | None = None,
                 photo: CleanPhoto | None = None, rating: int | None = None, duplicate_of: str | None = None,
                 department: str | None = None, assignee_id: int | None = None) -> Report:
    """Move a report along its lifecycle as the table REPORT allows, with audit, timeline and notice.
    role is "staff" (user is the regulator) or "reporter" (the holder of the follow-up link)."""
    note = (note or "").strip() or None
    fields = {"note": note, "photo": photo, "rating": rating, "duplicate_of": duplicate_of, "department": department}
    actor = REPORTER if role == "reporter" else user
    now = utcnow()
    row = REPORT.table.get((report.status.value, action))
    changes_status = row is not None and row.target is not None
    step = REPORT.step(report, action, actor, fields=fields, values={"updated_at": now}, organisation_id=None,
                       audit_after={"department": department, "duplicate_of": duplicate_of, "rating": rating})
    public_note = note
    if action == "duplicate":
        report.duplicate_of = step.sealed["original"]
        public_note = _("Merged into report %(code)s.", code=step.sealed["original"].tracking_code)
    elif action == "transfer":
        report.department, report.assignee_id = step.sealed["department"], None
    elif action == "rate":
        report.rating = step.sealed["rating"]
    elif action == "assign":
        report.assignee_id = assignee_id or getattr(user, "id", None)
    if photo is not None:
        _attach(report, photo, "after" if action == "resolve" else "dispute")
    if changes_status:
        report.status_note = public_note
    report.closed_at = now if report.status not in OPEN_STATUSES else None
    _event(report, action, public_note if action not in ("rate",) else None)
    db.session.flush()
    if changes_status and role == "staff":
        _notify(report, _("Your report %(code)s is now: %(status)s. %(note)s Details: %(url)s",
                          code=report.tracking_code, status=STATUS_LABELS[report.status], note=public_note or "",
                          url=status_url(report)))
    return report


def moderate_report(report: Report, user, decision: str) -> Report:
    """Staff clear a report for the public map and list, or keep it off them."""
    if not auth.can_handle_case(user, report.department, report.district_code):
        raise Forbidden(_l("Only the responsible department may handle this report."))
    try:
        target = Moderation(decision)
    except ValueError:
        raise DomainError(_l("Unknown decision."), fields={"moderation": _l("Unknown decision.")}) from None
    before = {"moderation": report.moderation.value}
    report.moderation = target
    audit.record("report_moderated", report, before=before, after={"moderation": target.value})
    return report


BULK_ACTIONS = ("accept", "publish", "hide")


def bulk_apply(user, report_ids: list[int], action: str) -> tuple[int, int]:
    """Accept, publish or hide several reports; returns (done, skipped) — reports in another state are skipped."""
    if action not in BULK_ACTIONS:
        raise DomainError(_l("Unknown action."), fields={"action": _l("Unknown action.")})
    done = skipped = 0
    for report_id in report_ids:
        report = get_for_staff(user, report_id)
        if action == "accept":
            if (report.status.value, "accept") not in REPORT.table:
                skipped += 1
                continue
            apply_action(report, "accept", "staff", user=user)
        else:
            moderate_report(report, user, Moderation.PUBLIC if action == "publish" else Moderation.HIDDEN)
        done += 1
    return done, skipped


# --- deadlines and escalation ----------------------------------------------------------------------

def deadline_state(report: Report, now: datetime | None = None) -> str:
    """'overdue', 'soon' (within a day) or 'ok' for the stage the report is in; 'closed' when closed."""
    if not report.is_open:
        return "closed"
    now = now or utcnow()
    due = report.accept_due if report.status == Status.SUBMITTED else report.finish_due
    if due < now:
        return "overdue"
    return "soon" if due - now < timedelta(days=1) else "ok"


def overdue_reports(now: datetime):
    return select(Report).where(Report.escalated_at.is_(None), or_(
        (Report.status == Status.SUBMITTED) & (Report.accept_due < now),
        Report.status.in_(OPEN_STATUSES) & (Report.finish_due < now)))


def department_heads(department: Department, district_code: str) -> list[Regulator]:
    return list(db.session.scalars(select(Regulator).where(
        Regulator.department == department, Regulator.is_head.is_(True),
        Regulator.jurisdiction_code.in_([jurisdiction_code(), district_code]))))


def escalate_overdue(now: datetime | None = None) -> int:
    """Escalate each overdue report once to the heads of its department; returns how many were escalated."""
    now = now or utcnow()
    count = 0
    for report in db.session.scalars(overdue_reports(now)).all():
        report.escalated_at = now
        _event(report, "escalate")
        audit.record("report_escalated", report, after={"department": report.department.value})
        for head in department_heads(report.department, report.district_code):
            if head.user.email:
                send_message(head.user.email, _("Overdue report %(code)s", code=report.tracking_code),
                             _("Report %(code)s (%(category)s) is overdue and escalated to you.",
                               code=report.tracking_code, category=report.category_label), user=head.user)
        _raise_alert(report)
        count += 1
    return count


def _raise_alert(report: Report) -> None:
    from portal.regulatory.alerts.services import N_, raise_alert

    raise_alert("report_overdue", f"report_overdue:{report.id}",
                message_key=N_("Public report %(code)s is overdue."), params={"code": report.tracking_code},
                district_code=report.district_code, object_type="reports", object_id=report.id,
                department=report.department.value)


# --- hotspots ----------------------------------------------------------------------------------------

HOTSPOT_CELL = Decimal("0.005")  # about 500 m


def hotspots(user, days: int = 90, minimum: int = 3, now: datetime | None = None) -> list[dict]:
    """Places (cells of about 500 m) where dumping was reported at least `minimum` times recently."""
    now = now or utcnow()
    rows = db.session.execute(reports_for_staff(user).with_only_columns(
        Report.lat, Report.lon, Report.category, Report.district_code).where(
        Report.lat.is_not(None), Report.created_at >= now - timedelta(days=days),
        Report.status != Status.DUPLICATE)).all()
    cells: dict = {}
    for lat, lon, category, district in rows:
        key = ((lat / HOTSPOT_CELL).to_integral_value(), (lon / HOTSPOT_CELL).to_integral_value())
        cell = cells.setdefault(key, {"count": 0, "categories": {}, "district_code": district,
                                      "lat": key[0] * HOTSPOT_CELL, "lon": key[1] * HOTSPOT_CELL})
        cell["count"] += 1
        cell["categories"][category] = cell["categories"].get(category, 0) + 1
    return sorted((c for c in cells.values() if c["count"] >= minimum), key=lambda c: -c["count"])


def count_by_status(user) -> dict:
    rows = db.session.execute(reports_for_staff(user).with_only_columns(Report.status, func.count())
                              .group_by(Report.status)).all()
    return {status: n for status, n in rows}
