"""Opening cases, the duty matrix, the time limits, the loop, reminders and escalation.

Services never commit; the view, API endpoint, job or command that calls them does."""
import csv
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, or_, select

from .. import audit, auth, images
from ..accounts.models import Department, Regulator, User
from ..calendar.services import deadline as working_day_deadline
from ..clock import CHINA, china_date
from ..errors import DomainError, NotFound
from ..extensions import db
from ..jurisdiction import in_jurisdiction, jurisdiction_code
from ..outbox import send_message
from ..types import utcnow
from .models import (
    OPEN_STATUSES,
    TIMED_STATUSES,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseMessage,
    CaseNotice,
    CaseType,
    DutyRule,
    Source,
    Status,
    TimeLimit,
    Urgency,
)
from .workflow import CASE, CITIZEN

DATA_DIR = Path(__file__).parent / "data"
STAGES = ("handle", "return", "remind")
UNITS = ("working_days", "hours")


# --- the duty matrix ------------------------------------------------------------------------------

def duty_for(case_type: CaseType, district_code: str | None) -> DutyRule | None:
    """The matrix row for this type in this district, else the type's row for every district."""
    rows = db.session.scalars(select(DutyRule).where(
        DutyRule.case_type == case_type,
        or_(DutyRule.district_code == district_code, DutyRule.district_code.is_(None)))).all()
    return next((r for r in rows if r.district_code is not None), None) or next(iter(rows), None)


def _departments(values) -> list[Department]:
    try:
        return [Department(v) for v in values or ()]
    except ValueError:
        raise DomainError(_l("Unknown department."), fields={"co_departments": _l("Unknown department.")}) from None


def set_duty(actor, case_type: str, district_code: str | None, lead: str, co: list[str]) -> DutyRule:
    """Create or change one row of the matrix (admins only)."""
    if not auth.is_admin(actor):
        raise NotFound(_l("Page not found."))
    try:
        kind, lead_department = CaseType(case_type), Department(lead)
    except ValueError:
        raise DomainError(_l("Unknown case type or department."),
                          fields={"lead_department": _l("Unknown case type or department.")}) from None
    co_departments = [d.value for d in _departments(co) if d != lead_department]
    row = db.session.scalars(select(DutyRule).where(
        DutyRule.case_type == kind, DutyRule.district_code.is_(None) if district_code is None
        else DutyRule.district_code == district_code)).first()
    before = audit.snapshot(row, ("lead_department", "co_departments")) if row else None
    if row is None:
        row = DutyRule(case_type=kind, district_code=district_code)
        db.session.add(row)
    row.lead_department, row.co_departments, row.updated_at = lead_department, co_departments, utcnow()
    db.session.flush()
    audit.record("case_duty_set", row, actor=actor, before=before,
                 after={"case_type": kind.value, "district": district_code, "lead_department": lead_department.value,
                        "co_departments": co_departments})
    return row


def delete_duty(actor, row: DutyRule) -> None:
    if not auth.is_admin(actor):
        raise NotFound(_l("Page not found."))
    audit.record("case_duty_deleted", row, actor=actor, before={"case_type": row.case_type.value,
                                                                "district": row.district_code})
    db.session.delete(row)


def duty_matrix() -> list[DutyRule]:
    return list(db.session.scalars(select(DutyRule).order_by(DutyRule.case_type, DutyRule.district_code)))


# --- time limits ----------------------------------------------------------------------------------

def load_default_time_limits() -> int:
    """Bring the bundled time limits (data/time_limits.csv, with their sources) into the table where a row is
    missing; a limit the city already set is kept. Returns the number of rows added."""
    added = 0
    with (DATA_DIR / "time_limits.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if db.session.get(TimeLimit, (Urgency(row["urgency"]), row["stage"])) is None:
                db.session.add(TimeLimit(urgency=Urgency(row["urgency"]), stage=row["stage"],
                                         amount=int(row["amount"]) if row["amount"] else None,
                                         unit=row["unit"], source=row["source"]))
                added += 1
    db.session.flush()
    return added


def time_limit(urgency: Urgency, stage: str) -> TimeLimit | None:
    return db.session.get(TimeLimit, (Urgency(urgency), stage))


def time_limits() -> list[TimeLimit]:
    return list(db.session.scalars(select(TimeLimit).order_by(TimeLimit.urgency, TimeLimit.stage)))


def set_time_limit(actor, urgency: str, stage: str, amount: int | None, unit: str) -> TimeLimit:
    """The city sets a time limit (admins only); an empty amount marks it missing again."""
    if not auth.is_admin(actor):
        raise NotFound(_l("Page not found."))
    if stage not in STAGES or unit not in UNITS or urgency not in tuple(Urgency):
        raise DomainError(_l("Unknown stage or unit."), fields={"unit": _l("Unknown stage or unit.")})
    if amount is not None and not 0 < amount <= 365:
        raise DomainError(_l("Enter a number from 1 to 365."), fields={"amount": _l("Enter a number from 1 to 365.")})
    row = time_limit(urgency, stage)
    before = audit.snapshot(row, ("amount", "unit")) if row else None
    if row is None:
        row = TimeLimit(urgency=Urgency(urgency), stage=stage)
        db.session.add(row)
    row.amount, row.unit, row.source = amount, unit, _("Set by the city")
    db.session.flush()
    audit.record("case_time_limit_set", actor=actor, object_type="case_time_limits",
                 object_id=f"{urgency}:{stage}", before=before, after={"amount": amount, "unit": unit})
    return row


def due_after(start: datetime, urgency: Urgency, stage: str) -> datetime | None:
    """When a stage started at start must be done; None when the city has not set that limit yet."""
    limit = time_limit(urgency, stage)
    if limit is None or limit.amount is None:
        return None
    if limit.unit == "hours":
        return start + timedelta(hours=limit.amount)
    return working_day_deadline(start, limit.amount)


def remind_before(urgency: Urgency) -> timedelta | None:
    limit = time_limit(urgency, "remind")
    if limit is None or limit.amount is None:
        return None
    return timedelta(hours=limit.amount) if limit.unit == "hours" else timedelta(days=limit.amount)


# --- opening a case -------------------------------------------------------------------------------

def _check_opening(case_type, source, title: str, description: str, district_code: str, urgency) -> tuple:
    errors = {}
    try:
        case_type = CaseType(case_type)
    except ValueError:
        errors["case_type"] = _l("Unknown case type.")
    try:
        source = Source(source)
    except ValueError:
        errors["source"] = _l("Unknown source.")
    try:
        urgency = Urgency(urgency)
    except ValueError:
        errors["urgency"] = _l("Choose urgent or ordinary.")
    if not (title or "").strip():
        errors["title"] = _l("Required.")
    if not (description or "").strip():
        errors["description"] = _l("Required.")
    if not in_jurisdiction(district_code) or district_code == jurisdiction_code():
        errors["district_code"] = _l("Choose a district of the city.")
    if errors:
        raise DomainError(next(iter(errors.values())), fields=errors)
    return case_type, source, urgency


def existing_case(source, source_ref: str | None) -> Case | None:
    if not source_ref:
        return None
    return db.session.scalars(select(Case).where(Case.source == Source(source),
                                                 Case.source_ref == source_ref)).first()


def open_case(*, case_type, source, source_ref: str | None, title: str, description: str, district_code: str,
              urgency="ordinary", opened_by=None, address: str | None = None, lat: Decimal | None = None,
              lon: Decimal | None = None, contact_phone: str | None = None, contact_email: str | None = None,
              lead_department: str | None = None, co_departments=None, parent: Case | None = None) -> Case:
    """Open a case (受理) and dispatch it (派单) to the lead department the duty matrix names — or the one given.

    Idempotent on (source, source_ref): the same hotline order, report or alert opens one case, and a second
    call answers that case. Without a matrix row and without a department, the case waits for the platform to
    dispatch it by hand. The caller commits."""
    case_type, source, urgency = _check_opening(case_type, source, title, description, district_code, urgency)
    source_ref = (source_ref or "").strip() or None
    found = existing_case(source, source_ref)
    if found is not None:
        return found
    now = utcnow()
    case = Case(number="new-" + secrets.token_hex(6), case_type=case_type, source=source, source_ref=source_ref,
                title=title.strip()[:200], description=description.strip(), district_code=district_code,
                address=address, lat=lat, lon=lon, urgency=urgency, status=Status.RECEIVED,
                opened_by_id=getattr(opened_by, "id", None), contact_phone=contact_phone,
                contact_email=contact_email, opened_at=now, updated_at=now, co_departments=[],
                parent_id=getattr(parent, "id", None))
    db.session.add(case)
    db.session.flush()
    case.number = f"{china_date(now):%Y%m%d}{case.id:06d}"
    add_event(case, "open", actor=opened_by, public=True)
    audit.record("case_opened", case, actor=opened_by,
                 after={"number": case.number, "type": case_type.value, "source": source.value,
                        "source_ref": source_ref, "district": district_code, "urgency": urgency.value})
    lead, co = _route(case, lead_department, co_departments)
    if lead is not None:
        dispatch(case, lead, co, actor=None)
    return case


def _route(case: Case, lead_department, co_departments) -> tuple[Department | None, list[Department]]:
    if lead_department:
        return _departments([lead_department])[0], _departments(co_departments)
    rule = duty_for(case.case_type, case.district_code)
    if rule is None:
        return None, []
    return rule.lead_department, _departments(rule.co_departments)


# --- timeline and messages ------------------------------------------------------------------------

def add_event(case: Case, action: str, *, actor=None, note: str | None = None, public: bool = False,
              department: Department | None = None) -> CaseEvent:
    event = CaseEvent(case=case, action=action, status=case.status, actor_id=getattr(actor, "id", None),
                      department=department or _department_of(actor) or case.lead_department, note=note,
                      public=public, at=utcnow())
    db.session.add(event)
    return event


def _department_of(actor) -> Department | None:
    regulator = auth.regulator_of(actor) if isinstance(actor, User) else None
    return regulator.department if regulator else None


def department_users(department: Department, district_code: str, *, heads_only: bool = False) -> list[User]:
    """The regulators of a department whose jurisdiction covers the district (the city's or the district's)."""
    query = select(Regulator).where(Regulator.department == department,
                                    Regulator.jurisdiction_code.in_([jurisdiction_code(), district_code]))
    if heads_only:
        query = query.where(Regulator.is_head.is_(True))
    return [r.user for r in db.session.scalars(query) if r.user.active]


def notify(case: Case, users, subject: str, body: str, *, email: bool = False, sms: bool = False) -> None:
    """An in-app notice to each user; for what asks a person to act (an assignment, a deadline, an escalation)
    also an e-mail and an SMS to those with an address or mobile number. E-mail and SMS go through the outbox,
    whose row keeps the delivery state."""
    for user in dict.fromkeys(users):
        db.session.add(CaseNotice(user_id=user.id, case_id=case.id, body=body))
        if email and user.email:
            _link_message(case, send_message(user.email, subject, body, user=user))
        if sms and user.mobile:
            _link_message(case, send_message(user.mobile, subject, body, channel="sms", user=user))


def notify_contact(case: Case, subject: str, body: str) -> None:
    """Tell the caller or filer who left a contact (hotline orders, reports)."""
    if case.contact_email:
        _link_message(case, send_message(case.contact_email, subject, body))
    if case.contact_phone:
        _link_message(case, send_message(case.contact_phone, subject, body, channel="sms"))


def _link_message(case: Case, message) -> None:
    db.session.add(CaseMessage(case_id=case.id, outbox_id=message.id))


# --- dispatching (used by open_case and by the platform's hand) ------------------------------------

def dispatch(case: Case, lead: Department, co: list[Department], *, actor=None, designated: bool = False) -> Case:
    """Hand the case to its lead department (派单) and start its clocks."""
    now = utcnow()
    values = {"lead_department": lead, "co_departments": [d.value for d in co if d != lead],
              "dispatched_at": now, "return_due": due_after(now, case.urgency, "return"),
              "due_at": due_after(now, case.urgency, "handle"), "updated_at": now, "escalated_at": None,
              "reminded_at": None, "assignee_id": None, "designated": designated}
    CASE.step(case, "route" if actor is None else "dispatch", actor, system=actor is None, values=values,
              fields={"department": lead.value},
              audit_after={"lead_department": lead.value})
    add_event(case, "dispatch", actor=actor, public=True, department=lead)
    notify(case, department_users(lead, case.district_code),
           _("New case %(number)s", number=case.number),
           _("Case %(number)s (%(type)s) was dispatched to your department: %(title)s",
             number=case.number, type=case.type_label, title=case.title))
    return case


def get_case(user, case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None or not can_view(user, case):
        raise NotFound(_l("Case not found."))
    return case


def can_view(user, case: Case) -> bool:
    """Admins (the command centre) see every case; a regulator sees the cases its department leads or
    co-handles in its jurisdiction, and every case of its jurisdiction when it is a department head."""
    if auth.is_admin(user):
        return True
    regulator = auth.regulator_of(user)
    if regulator is None or not auth.jurisdiction_covers(user, case.district_code):
        return False
    return (regulator.department == case.lead_department
            or regulator.department.value in (case.co_departments or []))


def _co_handles(department: Department):
    # the JSON list as text, on SQLite and PostgreSQL alike: ["ecology", "police"]
    return cast(Case.co_departments, String).like(f'%"{department.value}"%')


def cases_for(user):
    """A select() of the cases the user may see (see can_view)."""
    query = select(Case)
    if auth.is_admin(user):
        return query
    regulator = auth.regulator_of(user)
    if regulator is None:
        return query.where(Case.id.is_(None))
    query = query.where(or_(Case.lead_department == regulator.department, _co_handles(regulator.department)))
    if regulator.jurisdiction_code != jurisdiction_code():
        query = query.where(Case.district_code == regulator.jurisdiction_code)
    return query


# --- the loop -------------------------------------------------------------------------------------

# the steps the citizen who filed a report sees on the follow page
PUBLIC_ACTIONS = ("open", "dispatch", "assign", "reply", "close", "visit", "rate", "reopen", "redo")


def apply_action(case: Case, action: str, actor, *, note: str | None = None, department: str | None = None,
                 co_departments=None, assignee_id: int | None = None, rating: int | None = None,
                 files=()) -> Case:
    """Take one step of the loop as the table CASE allows (403 → 409 → 422), with timeline, audit and notices.
    actor is a user, or workflow.CITIZEN for the holder of a report's follow link (who only rates)."""
    note = (note or "").strip() or None
    if action == "dispatch":
        return _dispatch_by_hand(case, actor, department, co_departments, note)
    fields = {"note": note, "rating": rating, "assignee": assignee_id}
    CASE.check(case, action, actor)  # 404 → 403 → 409 before the inputs are looked at
    if action == "assign":
        _assignee(case, assignee_id)
    now = utcnow()
    values = {"updated_at": now, **_step_values(case, action, now, assignee_id, rating, note)}
    user = None if actor is CITIZEN else actor
    CASE.step(case, action, actor, fields=fields, values=values,
              audit_after={"note": note, "rating": rating, "assignee_id": assignee_id})
    event = add_event(case, action, actor=user, note=note, public=action in PUBLIC_ACTIONS)
    attach_files(case, event, files)
    _after_step(case, action, actor, note)
    return case


def _assignee(case: Case, assignee_id: int | None) -> User:
    """The handler a dispatcher picks: a regulator of the lead department covering the case's district."""
    user = db.session.get(User, assignee_id) if assignee_id else None
    if user is None or user not in department_users(case.lead_department, case.district_code):
        raise DomainError(_l("Choose a person of the lead department."),
                          fields={"assignee": _l("Choose a person of the lead department.")})
    return user


def _step_values(case: Case, action: str, now: datetime, assignee_id, rating, note) -> dict:
    if action == "assign":
        return {"assignee_id": assignee_id}
    if action == "return":
        return {"lead_department": None, "co_departments": [], "assignee_id": None, "due_at": None,
                "return_due": None}
    if action == "reply":
        return {"replied_at": now}
    if action == "close":
        return {"closed_at": now}
    if action == "rate":
        return {"rating": rating, "rating_note": note}
    if action in ("reopen", "redo"):
        return {"closed_at": None, "replied_at": None, "rating": None, "rating_note": None, "escalated_at": None,
                "reminded_at": None, "due_at": due_after(now, case.urgency, "handle") if action == "reopen"
                else case.due_at}
    if action == "supervise":
        return {"escalated_at": now}
    return {}


def _dispatch_by_hand(case: Case, actor, department, co_departments, note) -> Case:
    """The platform dispatches a received case (a new one, or one a department returned). After a return the
    department it names is designated: it may not return the case again (潍坊 第二十二条)."""
    CASE.check(case, "dispatch", actor)
    try:
        lead = Department(department) if department else None
    except ValueError:
        raise DomainError(_l("Unknown department."), fields={"department": _l("Unknown department.")}) from None
    if lead is None:
        raise DomainError(_l("Choose the lead department."), fields={"department": _l("Choose the lead department.")})
    was_returned = any(e.action == "return" for e in case.events)
    dispatch(case, lead, _departments(co_departments), actor=actor, designated=was_returned)
    if note:
        add_event(case, "comment", actor=actor, note=note)
    return case


def _after_step(case: Case, action: str, actor, note: str | None) -> None:
    """Who hears of the step: the assignee, the lead department, the platform, the caller."""
    subject = _("Case %(number)s", number=case.number)
    if action == "assign" and case.assignee is not None:
        notify(case, [case.assignee], subject, _("Case %(number)s is assigned to you: %(title)s",
                                                  number=case.number, title=case.title), email=True, sms=True)
    elif action == "return":
        notify(case, platform_users(), subject, _("Case %(number)s was returned for dispatch: %(note)s",
                                                  number=case.number, note=note or ""))
    elif action in ("reply", "close"):
        notify_contact(case, subject, _("Your request %(number)s is now: %(status)s. %(note)s",
                                        number=case.number, status=case.status_label, note=note or ""))
        if action == "reply":
            notify(case, platform_users(), subject, _("Case %(number)s has its result: %(note)s",
                                                      number=case.number, note=note or ""))
    elif action in ("redo", "reopen", "supervise") and case.lead_department is not None:
        notify(case, department_users(case.lead_department, case.district_code), subject,
               _("Case %(number)s needs your department again: %(note)s", number=case.number, note=note or ""),
               email=True)


def platform_users() -> list[User]:
    """The command centre: the platform's administrators."""
    return list(db.session.scalars(select(User).where(User.is_platform_admin.is_(True), User.active.is_(True))))


# --- deadlines: reminders and escalation (督办) -----------------------------------------------------

def deadline_state(case: Case, now: datetime | None = None) -> str:
    """'closed', 'no_limit' (the city has not set it), 'overdue', 'soon' (within the reminder time) or 'ok'."""
    if case.status not in TIMED_STATUSES:
        return "closed" if case.status not in OPEN_STATUSES else "ok"
    if case.due_at is None:
        return "no_limit"
    now = now or utcnow()
    if case.due_at < now:
        return "overdue"
    before = remind_before(case.urgency)
    return "soon" if before is not None and case.due_at - before < now else "ok"


def remind_due(now: datetime | None = None) -> int:
    """Remind the handler (or, with none yet, the lead department) of each case close to its limit, once."""
    now = now or utcnow()
    count = 0
    for case in db.session.scalars(select(Case).where(Case.status.in_(TIMED_STATUSES), Case.due_at.is_not(None),
                                                      Case.due_at >= now, Case.reminded_at.is_(None))).all():
        if deadline_state(case, now) != "soon":
            continue
        case.reminded_at = now
        users = [case.assignee] if case.assignee else department_users(case.lead_department, case.district_code)
        notify(case, users, _("Case %(number)s is due soon", number=case.number),
               _("Case %(number)s (%(title)s) is due at %(due)s.", number=case.number, title=case.title,
                 due=f"{case.due_at.astimezone(CHINA):%Y-%m-%d %H:%M}"), email=True, sms=True)
        add_event(case, "remind")
        count += 1
    return count


def escalate_overdue(now: datetime | None = None) -> int:
    """Escalate each case past its limit, once, to the heads of its lead department (督办)."""
    now = now or utcnow()
    count = 0
    for case in db.session.scalars(select(Case).where(Case.status.in_(TIMED_STATUSES), Case.due_at < now,
                                                      Case.escalated_at.is_(None))).all():
        CASE.step(case, "escalate", system=True, values={"escalated_at": now, "updated_at": now})
        add_event(case, "escalate", department=case.lead_department)
        heads = department_users(case.lead_department, case.district_code, heads_only=True)
        notify(case, heads + platform_users(), _("Overdue case %(number)s", number=case.number),
               _("Case %(number)s (%(title)s) is overdue and escalated to you.", number=case.number,
                 title=case.title), email=True, sms=True)
        count += 1
    return count


def scan_deadlines(now: datetime | None = None) -> dict:
    """The job and CLI: reminders, then escalation. The caller commits."""
    return {"reminded": remind_due(now), "escalated": escalate_overdue(now)}


# --- the 12345 hotline: orders pushed through the API or imported from the hotline's export -------------

HOTLINE_COLUMNS = ("order_number", "title", "description", "district_code", "urgency", "case_type",
                   "contact_phone", "address")


def open_hotline_order(actor, order: dict) -> tuple[Case, bool]:
    """Open the case of one 12345 order, keyed on the hotline's order number; answers (case, created).
    Pushing or importing the same order again changes nothing (idempotent)."""
    if not auth.is_admin(actor):
        raise NotFound(_l("Page not found."))
    number = (order.get("order_number") or "").strip()
    if not number:
        raise DomainError(_l("The hotline's order number is required."),
                          fields={"order_number": _l("The hotline's order number is required.")})
    found = existing_case(Source.HOTLINE, number)
    if found is not None:
        return found, False
    case = open_case(case_type=order.get("case_type") or CaseType.HOTLINE, source=Source.HOTLINE,
                     source_ref=number, title=order.get("title") or "", description=order.get("description") or "",
                     district_code=(order.get("district_code") or "").strip(),
                     urgency=order.get("urgency") or Urgency.ORDINARY, opened_by=actor,
                     contact_phone=(order.get("contact_phone") or "").strip() or None,
                     address=(order.get("address") or "").strip() or None)
    return case, True


def import_hotline_file(actor, stream) -> dict:
    """Import a CSV export of 12345 orders (UTF-8, the HOTLINE_COLUMNS as header). Each row is opened in a
    savepoint so that one bad row is reported with its line number without stopping the others."""
    reader = csv.DictReader(stream)
    missing = {"order_number", "title", "description", "district_code"} - set(reader.fieldnames or ())
    if missing:
        message = _("Missing columns: %(columns)s", columns=", ".join(sorted(missing)))
        raise DomainError(message, fields={"file": message})
    counts = {"created": 0, "existing": 0, "errors": []}
    for line, row in enumerate(reader, start=2):
        try:
            with db.session.begin_nested():
                _case, created = open_hotline_order(actor, row)
        except DomainError as error:
            counts["errors"].append({"line": line, "message": str(error.message), "fields": {
                k: str(v) for k, v in (error.fields or {}).items()}})
            continue
        counts["created" if created else "existing"] += 1
    return counts


def filter_cases(query, *, status=None, case_type=None, department=None, district=None, overdue=None,
                 open_only=None, now: datetime | None = None):
    """Narrow a cases_for() query by the list's filters; newest first."""
    if status:
        query = query.where(Case.status == Status(status))
    if case_type:
        query = query.where(Case.case_type == CaseType(case_type))
    if department:
        query = query.where(Case.lead_department == department)
    if district:
        query = query.where(Case.district_code == district)
    if overdue:
        query = query.where(Case.status.in_(TIMED_STATUSES), Case.due_at < (now or utcnow()))
    if open_only:
        query = query.where(Case.status.in_(OPEN_STATUSES))
    return query.order_by(Case.opened_at.desc(), Case.id.desc())


# --- photos and documents on the timeline ------------------------------------------------------------

ATTACHMENT_FOLDER = "cases"
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5


def attach_files(case: Case, event: CaseEvent, uploads) -> list[CaseAttachment]:
    """Photos (re-encoded, metadata stripped) and PDF documents sent with a step or comment."""
    uploads = [u for u in uploads if getattr(u, "filename", None)]
    if len(uploads) > MAX_ATTACHMENTS:
        message = _("Attach at most %(n)s files.", n=MAX_ATTACHMENTS)
        raise DomainError(message, fields={"files": message})
    rows = []
    for upload in uploads:
        name = images.store_document(
            upload.stream, ATTACHMENT_FOLDER, field="files", max_bytes=MAX_ATTACHMENT_BYTES,
            too_large=_l("A file may be at most %(mb)s MB.", mb=MAX_ATTACHMENT_BYTES // (1024 * 1024)),
            not_a_document=_l("Attach JPEG, PNG or WebP photos or PDF documents."), max_side=2400, quality=85)
        path = images.upload_dir(ATTACHMENT_FOLDER) / name
        row = CaseAttachment(case=case, event=event, kind="document" if name.endswith(".pdf") else "photo",
                             filename=name, original_name=(upload.filename or name)[:200], size=path.stat().st_size)
        db.session.add(row)
        rows.append(row)
    return rows


def attachment_path(user, attachment_id: int):
    row = db.session.get(CaseAttachment, attachment_id)
    if row is None or not can_view(user, row.case):
        raise NotFound(_l("File not found."))
    return images.upload_dir(ATTACHMENT_FOLDER) / row.filename, row


def messages_of(case: Case) -> list:
    """The e-mails and SMS sent about the case, with their delivery state (pending, sent, failed)."""
    return [link.outbox for link in db.session.scalars(
        select(CaseMessage).where(CaseMessage.case_id == case.id).order_by(CaseMessage.id))]


def delivery_state(message) -> str:
    if message.sent_at is not None:
        return "sent"
    return "failed" if message.error else "pending"


def unread_notices(user) -> list[CaseNotice]:
    return list(db.session.scalars(select(CaseNotice).where(CaseNotice.user_id == user.id,
                                                            CaseNotice.read_at.is_(None))
                                   .order_by(CaseNotice.id.desc()).limit(50)))


def mark_notices_read(user) -> int:
    notices = unread_notices(user)
    for notice in notices:
        notice.read_at = utcnow()
    return len(notices)
