"""Pages of the cases: the list, one case with its timeline and steps, opening by hand, the duty matrix,
the time limits, the 12345 import and the overview with the statistics."""
import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from .. import auth
from ..accounts.forms import county_choices
from ..accounts.models import Department
from ..admin.forms import DEPARTMENT_LABELS
from ..auth import admin_required, login_required
from ..clock import CHINA
from ..errors import DomainError, Forbidden
from ..extensions import db
from ..jurisdiction import jurisdiction_code
from . import meetings, services
from .forms import (
    STAGE_LABELS,
    UNIT_LABELS,
    CaseFilterForm,
    DutyForm,
    HotlineImportForm,
    MeetingForm,
    NewCaseForm,
    OutcomeForm,
    StepForm,
    TimeLimitForm,
)
from .models import CASE_TYPE_LABELS, STATUS_LABELS, URGENCY_LABELS, DutyRule, Meeting, Source
from .statistics import case_statistics
from .workflow import CASE

bp = Blueprint("cases", __name__, url_prefix="/cases")
PER_PAGE = 25
# the buttons of the steps, in the order they appear
BUTTON_LABELS = {
    "dispatch": _l("Dispatch"), "assign": _l("Assign a handler"), "reply": _l("Report the result"),
    "close": _l("Close the case"), "return": _l("Return to dispatch"), "feedback": _l("Add co-handling feedback"),
    "redo": _l("Send back for more handling"), "visit": _l("Record the call-back"), "rate": _l("Record the rating"),
    "supervise": _l("Supervise"), "reopen": _l("Reopen"), "reject": _l("Do not accept"), "comment": _l("Comment"),
}
# what each step's form shows (the guards decide what is required)
STEP_INPUTS = {"dispatch": ("department", "co_departments", "note"), "assign": ("assignee",),
               "rate": ("rating", "note")}
EVENT_LABELS = {
    "open": _l("Opened"), "dispatch": _l("Dispatched"), "reject": _l("Not accepted"),
    "assign": _l("Handler assigned"), "return": _l("Returned to dispatch"), "reply": _l("Result reported"),
    "redo": _l("Sent back for more handling"), "close": _l("Closed"), "visit": _l("Call-back recorded"),
    "rate": _l("Rated"), "reopen": _l("Reopened"), "comment": _l("Comment"), "feedback": _l("Co-handling feedback"),
    "supervise": _l("Supervised by the command centre"),
    "escalate": _l("Overdue: escalated to the head of the department"), "remind": _l("Reminder sent"),
}
DEADLINE_LABELS = {"ok": _l("On time"), "soon": _l("Due soon"), "overdue": _l("Overdue"),
                   "no_limit": _l("Time limit missing: the city has to set it"), "closed": _l("Finished")}
DELIVERY_LABELS = {"sent": _l("Sent"), "pending": _l("Waiting in the outbox"), "failed": _l("Failed")}


@bp.app_template_global("case_event_label")
def event_label(action: str) -> str:
    return str(EVENT_LABELS.get(action, action))


@bp.app_template_global("case_department_label")
def department_label(value) -> str:
    return str(DEPARTMENT_LABELS.get(value, value or "—")) if value else "—"


def _labels() -> dict:
    return {"event": EVENT_LABELS, "deadline": DEADLINE_LABELS, "delivery": DELIVERY_LABELS,
            "button": BUTTON_LABELS, "type": CASE_TYPE_LABELS, "status": STATUS_LABELS, "urgency": URGENCY_LABELS,
            "stage": STAGE_LABELS, "unit": UNIT_LABELS}


def _may_see_cases() -> None:
    if not (auth.is_admin(current_user) or auth.regulator_of(current_user)):
        raise Forbidden(_("Cases are for the command centre and the departments."))


def _district_choices() -> list:
    regulator = auth.regulator_of(current_user)
    only = None if regulator is None or regulator.jurisdiction_code == jurisdiction_code() else regulator.jurisdiction_code
    return county_choices(only)


@bp.get("")
@login_required
def index():
    _may_see_cases()
    form = CaseFilterForm(formdata=request.args)
    form.district.choices = [("", _("All districts"))] + _district_choices()
    page = None
    if form.validate():
        query = services.filter_cases(services.cases_for(current_user), status=form.status.data or None,
                                      case_type=form.case_type.data or None, department=form.department.data or None,
                                      district=form.district.data or None, overdue=form.overdue.data,
                                      open_only=form.open.data)
        page = db.paginate(query, page=form.page.data or 1, per_page=PER_PAGE, error_out=False)
    notices = services.unread_notices(current_user)
    return (render_template("coordination/index.html", form=form, page=page, notices=notices,
                            deadline_state=services.deadline_state, labels=_labels(),
                            is_admin=auth.is_admin(current_user)),
            200 if page is not None else 422)


@bp.post("/notices/read")
@login_required
def read_notices():
    services.mark_notices_read(current_user)
    db.session.commit()
    return redirect(url_for(".index"))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _may_see_cases()
    form = NewCaseForm()
    form.district.choices = _district_choices()
    if form.validate_on_submit():
        try:
            case = services.open_case(
                case_type=form.case_type.data, source=Source.MANUAL, source_ref=None, title=form.title.data,
                description=form.description.data, district_code=form.district.data, urgency=form.urgency.data,
                opened_by=current_user, address=form.address.data or None,
                contact_phone=form.contact_phone.data or None)
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc, "title")
        else:
            db.session.commit()
            flash(_("Case %(number)s is open.", number=case.number), "success")
            return redirect(url_for(".detail", case_id=case.id))
    return render_template("coordination/new.html", form=form), 422 if form.errors else 200


def _field_errors(form, exc: DomainError, default: str) -> None:
    for name, message in (exc.fields or {default: exc.message}).items():
        target = form[name] if name in form else form[default]
        target.errors = [*target.errors, str(message)]


def _assignee_choices(case) -> list | None:
    """The people of the lead department who may handle the case (None while it has no lead department)."""
    if case.lead_department is None:
        return None
    return [("", "—")] + [(u.id, u.name) for u in services.department_users(case.lead_department,
                                                                             case.district_code)]


def _step_form(case, assignees: list | None = None) -> StepForm:
    form = StepForm()
    choices = assignees if assignees is not None else _assignee_choices(case)
    if choices is not None:
        form.assignee.choices = choices
    return form


@bp.get("/<int:case_id>")
@login_required
def detail(case_id: int):
    return _render_detail(services.get_case(current_user, case_id), None)


def _with_ids_of(form: StepForm, action: str) -> StepForm:
    """The step forms share one page: each gets ids of its own (the names, which the POST reads, stay)."""
    for field in form:
        field.id = field.label.field_id = f"{action}-{field.name}"
    return form


def _render_detail(case, form: StepForm | None, status: int = 200, failed: str | None = None):
    actions = [a for a in BUTTON_LABELS if a in CASE.allowed_actions(case, current_user)]
    assignees = _assignee_choices(case)  # read once for all the step forms of the page
    forms = {action: _with_ids_of(form if action == failed else _step_form(case, assignees), action)
             for action in actions}
    messages = [(m, services.delivery_state(m)) for m in services.messages_of(case)]
    return render_template("coordination/detail.html", case=case, form=form, forms=forms, actions=actions,
                           failed=failed, inputs=STEP_INPUTS, messages=messages, labels=_labels(),
                           meetings=db.session.scalars(select(Meeting).where(Meeting.case_id == case.id)
                                                       .order_by(Meeting.starts_at)).all(),
                           is_admin=auth.is_admin(current_user),
                           deadline=services.deadline_state(case)), status


@bp.post("/<int:case_id>/step/<action>")
@login_required
def step(case_id: int, action: str):
    case = services.get_case(current_user, case_id)
    form = _step_form(case)
    if not form.validate_on_submit():
        return _render_detail(case, form, 422, action)
    try:
        services.apply_action(case, action, current_user, note=form.note.data, department=form.department.data,
                              co_departments=form.co_departments.data, assignee_id=form.assignee.data,
                              rating=form.rating.data, files=request.files.getlist("files"))
    except DomainError as exc:
        db.session.rollback()
        if exc.status != 422:
            raise
        case = services.get_case(current_user, case_id)
        _field_errors(form, exc, "note")
        return _render_detail(case, form, 422, action)
    db.session.commit()
    flash(_("Done: %(step)s.", step=BUTTON_LABELS.get(action, action)), "success")
    return redirect(url_for(".detail", case_id=case.id))


@bp.get("/files/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    path, row = services.attachment_path(current_user, attachment_id)
    return send_file(io.BytesIO(path.read_bytes()), download_name=row.original_name,
                     mimetype="application/pdf" if row.kind == "document" else "image/jpeg",
                     as_attachment=row.kind == "document")


# --- administration: the duty matrix, the time limits, the 12345 import ------------------------------

@bp.route("/matrix", methods=["GET", "POST"])
@login_required
def matrix():
    _may_see_cases()
    form = DutyForm()
    form.district.choices = [("", _("Every district"))] + county_choices()
    if request.method == "POST" and (saved := _admin_save(
            form, lambda: services.set_duty(current_user, form.case_type.data, form.district.data or None,
                                            form.lead_department.data, form.co_departments.data),
            "lead_department", _("The duty matrix is saved."), ".matrix")):
        return saved
    return (render_template("coordination/matrix.html", form=form, rows=services.duty_matrix(), labels=_labels(),
                            is_admin=auth.is_admin(current_user)),
            422 if form.errors else 200)


@bp.post("/matrix/<int:rule_id>/delete")
@login_required
def delete_rule(rule_id: int):
    _admin_only()
    row = db.get_or_404(DutyRule, rule_id)
    services.delete_duty(current_user, row)
    db.session.commit()
    flash(_("The row is deleted."), "success")
    return redirect(url_for(".matrix"))


def _admin_only() -> None:
    if not auth.is_admin(current_user):
        raise Forbidden(_("Only administrators change this."))


def _admin_save(form, save, field: str, done: str, endpoint: str):
    """An administrator's POST to one of the loop's tables: validate, save, commit and go back to the table;
    None (the form holding its errors, the field named by a refusal) when it is not saved."""
    _admin_only()
    if not form.validate_on_submit():
        return None
    try:
        save()
    except DomainError as exc:
        db.session.rollback()
        _field_errors(form, exc, field)
        return None
    db.session.commit()
    flash(done, "success")
    return redirect(url_for(endpoint))


@bp.route("/limits", methods=["GET", "POST"])
@login_required
def limits():
    _may_see_cases()
    form = TimeLimitForm()
    if request.method == "POST" and (saved := _admin_save(
            form, lambda: services.set_time_limit(current_user, form.urgency.data, form.stage.data,
                                                  form.amount.data, form.unit.data),
            "amount", _("The time limit is saved."), ".limits")):
        return saved
    return (render_template("coordination/limits.html", form=form, rows=services.time_limits(), labels=_labels(),
                            is_admin=auth.is_admin(current_user)),
            422 if form.errors else 200)


@bp.route("/hotline", methods=["GET", "POST"])
@admin_required
def hotline_import():
    form = HotlineImportForm()
    result = None
    if form.validate_on_submit():
        try:
            text = io.TextIOWrapper(form.file.data.stream, encoding="utf-8-sig", newline="")
            result = services.import_hotline_file(current_user, text)
        except (DomainError, UnicodeDecodeError) as exc:
            db.session.rollback()
            form.file.errors = [*form.file.errors, str(getattr(exc, "message", _("The file is not UTF-8 text.")))]
        else:
            db.session.commit()
    return (render_template("coordination/hotline.html", form=form, result=result, columns=services.HOTLINE_COLUMNS),
            422 if form.errors else 200)


@bp.get("/overview")
@login_required
def overview():
    _may_see_cases()
    regulator = auth.regulator_of(current_user)
    division = None if regulator is None else regulator.jurisdiction_code
    stats = case_statistics(division=division)
    return render_template("coordination/overview.html", stats=stats, labels=_labels(),
                           districts=dict(county_choices()))


# --- coordination meetings ---------------------------------------------------------------------------

@bp.route("/<int:case_id>/meetings/new", methods=["GET", "POST"])
@admin_required
def new_meeting(case_id: int):
    case = services.get_case(current_user, case_id)
    form = MeetingForm()
    form.participants.choices = _participant_choices(case)
    if form.validate_on_submit():
        try:
            meeting = meetings.schedule_meeting(
                current_user, title=form.title.data, starts_at=form.starts_at.data.replace(tzinfo=CHINA),
                agenda=form.agenda.data, place=form.place.data, participant_ids=form.participants.data, case=case)
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc, "title")
        else:
            db.session.commit()
            flash(_("The meeting is scheduled and the participants are invited."), "success")
            return redirect(url_for(".meeting", meeting_id=meeting.id))
    return render_template("coordination/meeting_new.html", form=form, case=case), 422 if form.errors else 200


def _participant_choices(case) -> list:
    """The regulators of the departments on the case, in its district."""
    departments = [d for d in [case.lead_department, *case.co_departments] if d]
    people = {u.id: u for d in departments for u in services.department_users(Department(d), case.district_code)}
    return [(u.id, f"{u.name} · {department_label(u.regulator.department)}") for u in people.values()]


@bp.route("/meetings/<int:meeting_id>", methods=["GET", "POST"])
@login_required
def meeting(meeting_id: int):
    found = meetings.get_meeting(current_user, meeting_id)
    form = OutcomeForm()
    if request.method == "POST":
        _admin_only()
        if form.validate_on_submit():
            try:
                tasks = meetings.record_outcome(current_user, found, form.minutes.data, form.decisions())
            except DomainError as exc:
                db.session.rollback()
                _field_errors(form, exc, "minutes")
            else:
                db.session.commit()
                flash(_("The minutes are saved; %(n)s tasks are open as cases.", n=len(tasks)), "success")
                return redirect(url_for(".meeting", meeting_id=found.id))
    return (render_template("coordination/meeting.html", meeting=found, form=form,
                            is_admin=auth.is_admin(current_user)), 422 if form.errors else 200)
