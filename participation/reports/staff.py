"""The staff workbench: a department's inbox, report handling, moderation, hotspots; the admin tables."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from portal import audit, auth
from portal.accounts.forms import county_choices
from portal.accounts.models import Department
from portal.auth import admin_required, regulator_required
from portal.errors import DomainError, attempt
from portal.extensions import db
from portal.jurisdiction import jurisdiction_code
from portal.types import utcnow

from . import services
from .forms import (
    BulkForm,
    DeadlineForm,
    InboxFilterForm,
    ModerationForm,
    ReplyTemplateForm,
    RouteForm,
    StaffActionForm,
)
from .models import (
    CATEGORY_LABELS,
    DEFAULT_DEADLINES,
    OPEN_STATUSES,
    STATUS_LABELS,
    Category,
    ReplyTemplate,
    Report,
    RoutingRule,
    Status,
)
from .photos import clean_photo

bp = Blueprint("report_staff", __name__, url_prefix="/staff/reports")


@bp.context_processor
def labels():
    return {"category_labels": CATEGORY_LABELS, "status_labels": STATUS_LABELS}


def _district_choices(blank):
    regulator = auth.regulator_of(current_user)
    only = None if regulator is None or regulator.jurisdiction_code == jurisdiction_code() else regulator.jurisdiction_code
    return [("", blank)] + county_choices(only)


def _filtered(form: InboxFilterForm):
    query = services.reports_for_staff(current_user)
    now = utcnow()
    status = form.status.data
    if not status:
        query = query.where(Report.status.in_(OPEN_STATUSES))
    elif status != "all":
        query = query.where(Report.status == status)
    if form.q.data:
        query = query.where(Report.tracking_code == form.q.data.strip().upper())
    if form.category.data:
        query = query.where(Report.category == form.category.data)
    if form.district.data:
        query = query.where(Report.district_code == form.district.data)
    if form.moderation.data:
        query = query.where(Report.moderation == form.moderation.data)
    if form.due.data:
        limit = now if form.due.data == "overdue" else now + services.timedelta(days=1)
        query = query.where(Report.status.in_(OPEN_STATUSES), or_(
            (Report.status == Status.SUBMITTED) & (Report.accept_due < limit),
            (Report.status != Status.SUBMITTED) & (Report.finish_due < limit)))
    return query.order_by(Report.finish_due, Report.id)


@bp.get("/")
@regulator_required
def inbox():
    form = InboxFilterForm(request.args)
    form.district.choices = _district_choices(_("All"))
    form.validate()
    page = db.paginate(_filtered(form), per_page=25, error_out=False)
    return render_template("participation/staff_inbox.html", form=form, page=page, bulk=BulkForm(),
                           deadline_state=services.deadline_state, counts=services.count_by_status(current_user),
                           department_name=services.department_name)


@bp.post("/bulk")
@regulator_required
def bulk():
    form = BulkForm()
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    if not form.validate_on_submit() or not ids:
        flash(_("Select at least one report and an action."), "error")
        return redirect(request.referrer or url_for(".inbox"))
    done, skipped = services.bulk_apply(current_user, ids, form.action.data)
    db.session.commit()
    flash(_("%(done)s reports updated, %(skipped)s skipped.", done=done, skipped=skipped), "success")
    return redirect(request.referrer or url_for(".inbox"))


def _templates_for(report: Report):
    return db.session.scalars(select(ReplyTemplate).where(or_(
        ReplyTemplate.department.is_(None), ReplyTemplate.department == report.department)).order_by(
        ReplyTemplate.title)).all()


def _action_form(report: Report) -> StaffActionForm:
    form = StaffActionForm()
    form.template.choices = [("", _("None"))] + [(str(t.id), t.title) for t in _templates_for(report)]
    return form


def _render_detail(report: Report, form: StaffActionForm | None = None, status: int = 200):
    candidates = []
    if report.lat is not None and report.is_open:
        candidates = services.nearby_reports(report.category, report.lat, report.lon, exclude_id=report.id)
    return render_template("participation/staff_report.html", report=report, form=form or _action_form(report),
                           actions=services.allowed_actions(report, "staff"), moderation=ModerationForm(),
                           candidates=candidates[:10], deadline_state=services.deadline_state(report),
                           department=services.department_name(report.department),
                           department_name=services.department_name), status


@bp.get("/<int:report_id>")
@regulator_required
def detail(report_id):
    return _render_detail(services.get_for_staff(current_user, report_id))


@bp.post("/<int:report_id>/act")
@regulator_required
def act(report_id):
    report = services.get_for_staff(current_user, report_id)
    form = _action_form(report)
    if form.validate_on_submit():
        note = form.note.data
        if not (note or "").strip() and form.template.data:
            chosen = next((t for t in _templates_for(report) if str(t.id) == form.template.data), None)
            note = chosen.body if chosen else note
        try:
            uploads = [f for f in request.files.getlist("photo") if f and f.filename]
            photo = clean_photo(uploads[0].stream, "photo") if uploads else None
            services.apply_action(report, form.action.data, "staff", user=current_user, note=note, photo=photo,
                                  duplicate_of=form.duplicate_of.data, department=form.department.data or None)
        except DomainError as exc:
            db.session.rollback()
            for name, message in (exc.fields or {"note": exc.message}).items():
                target = form[name] if name in form else form.note
                target.errors = [*target.errors, str(message)]
            return _render_detail(report, form, 422)
        db.session.commit()
        flash(_("Report %(code)s: %(status)s.", code=report.tracking_code, status=report.status_label), "success")
        if auth.can_handle_case(current_user, report.department, report.district_code):
            return redirect(url_for(".detail", report_id=report.id))
        return redirect(url_for(".inbox"))
    return _render_detail(report, form, 422)


@bp.post("/<int:report_id>/moderate")
@regulator_required
def moderate(report_id):
    report = services.get_for_staff(current_user, report_id)
    form = ModerationForm()
    if form.validate_on_submit():
        services.moderate_report(report, current_user, form.decision.data)
        db.session.commit()
        flash(_("Publication updated."), "success")
    return redirect(url_for(".detail", report_id=report.id))


@bp.get("/hotspots")
@regulator_required
def hotspots():
    spots = services.hotspots(current_user)
    return render_template("participation/staff_hotspots.html", spots=spots)


# --- admin tables: routing, deadlines, reply templates --------------------------------------------

@bp.get("/settings")
@admin_required
def settings():
    return _render_settings()


def _route_form():
    form = RouteForm(prefix="route")
    form.district.choices = [("", _("Every district"))] + county_choices()
    return form


def _render_settings(route_form=None, template_form=None, status=200):
    rules = db.session.scalars(select(RoutingRule).order_by(RoutingRule.category, RoutingRule.district_code)).all()
    deadlines = [DeadlineForm(prefix=stage, stage=stage, working_days=services.stage_days(stage))
                 for stage in DEFAULT_DEADLINES]
    templates = db.session.scalars(select(ReplyTemplate).order_by(ReplyTemplate.title)).all()
    return render_template("participation/staff_settings.html", rules=rules, route_form=route_form or _route_form(),
                           deadlines=deadlines, templates=templates,
                           template_form=template_form or ReplyTemplateForm(prefix="tpl"),
                           department_name=services.department_name), status


@bp.post("/settings/defaults")
@admin_required
def seed_defaults():
    added = services.seed_defaults()
    db.session.commit()
    flash(_("%(n)s default rows added.", n=added), "success")
    return redirect(url_for(".settings"))


@bp.post("/settings/routes")
@admin_required
def save_route():
    form = _route_form()
    if not form.validate_on_submit():
        return _render_settings(route_form=form, status=422)
    services.set_route(Category(form.category.data), form.district.data or None, Department(form.department.data))
    db.session.commit()
    flash(_("Routing saved."), "success")
    return redirect(url_for(".settings"))


@bp.post("/settings/routes/<int:rule_id>/delete")
@admin_required
def delete_route(rule_id):
    services.delete_route(auth.get_or_404(RoutingRule, rule_id))
    db.session.commit()
    flash(_("Routing rule removed."), "success")
    return redirect(url_for(".settings"))


@bp.post("/settings/deadlines/<stage>")
@admin_required
def save_deadline(stage):
    form = DeadlineForm(prefix=stage)
    if form.validate_on_submit():
        attempt(lambda: services.set_stage_days(stage, form.working_days.data), _("Deadline saved."))
    else:
        flash(_("Enter a number of working days between 1 and 60."), "error")
    return redirect(url_for(".settings"))


@bp.post("/settings/templates")
@admin_required
def save_template():
    form = ReplyTemplateForm(prefix="tpl")
    if not form.validate_on_submit():
        return _render_settings(template_form=form, status=422)
    template = ReplyTemplate(department=Department(form.department.data) if form.department.data else None,
                             title=form.title.data, body=form.body.data)
    db.session.add(template)
    audit.record("report_template_added", template, after={"title": template.title})
    db.session.commit()
    flash(_("Reply template added."), "success")
    return redirect(url_for(".settings"))


@bp.post("/settings/templates/<int:template_id>/delete")
@admin_required
def delete_template(template_id):
    template = auth.get_or_404(ReplyTemplate, template_id)
    audit.record("report_template_deleted", template, before={"title": template.title})
    db.session.delete(template)
    db.session.commit()
    flash(_("Reply template removed."), "success")
    return redirect(url_for(".settings"))
