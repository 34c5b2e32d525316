"""Emergency pages: the plan library (look-up, writing, filing), templates, incidents with their response
scheme, and the registers the scheme draws on (resources, sensitive places, handling guidance)."""
from datetime import UTC

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import auth
from ..accounts.forms import county_choices
from ..accounts.models import Organisation
from ..admin.forms import DEPARTMENT_LABELS
from ..auth import admin_required, login_required, regulator_required
from ..clock import CHINA
from ..errors import DomainError, Forbidden, put_errors
from ..extensions import db
from ..regulatory.catalogue import HAZARDS
from . import incidents, pdf, services
from .forms import (
    WASTE_ROWS,
    CloseForm,
    GuidanceForm,
    IncidentForm,
    NoteForm,
    PlanActionForm,
    PlanFilterForm,
    PlanForm,
    RulesForm,
    SchemeForm,
    TemplateForm,
    place_form,
    resource_form,
)
from .models import EmergencyResource, HazardGuidance, PlanTemplate, SensitivePlace

bp = Blueprint("emergency", __name__, url_prefix="/emergency")
PER_PAGE = 25
GRAMS_PER_KG = 1000


@bp.context_processor
def labels():
    return {"kind_labels": services.KIND_LABELS, "status_labels": services.STATUS_LABELS,
            "risk_labels": services.RISK_LABELS, "level_labels": services.LEVEL_LABELS,
            "event_type_labels": services.EVENT_TYPE_LABELS, "resource_labels": services.RESOURCE_LABELS,
            "place_labels": services.PLACE_LABELS, "incident_status_labels": services.INCIDENT_STATUS_LABELS,
            "scheme_status_labels": services.SCHEME_STATUS_LABELS, "timeline_labels": services.TIMELINE_LABELS, "criterion_labels": services.CRITERION_LABELS,
            "department_labels": {d.value: label for d, label in DEPARTMENT_LABELS.items()},
            "hazard_labels": {letter: name for letter, (_attr, name) in HAZARDS.items()}}


def _may_read_library(user) -> bool:
    return auth.regulator_of(user) is not None or auth.is_admin(user) or bool(user.memberships)


# --- the plan library ----------------------------------------------------------------------------

@bp.get("/plans")
@login_required
def plans():
    if not _may_read_library(current_user):
        raise Forbidden(_("You do not belong to an organisation."))
    form = PlanFilterForm(formdata=request.args)
    form.district.choices = [("", _("All districts"))] + county_choices()
    page = None
    if form.validate():
        query = services.plans_query(current_user, kind=form.kind.data or None, status=form.status.data or None,
                                     district=form.district.data or None,
                                     organisation=(form.organisation.data or "").strip() or None,
                                     waste_code=(form.waste_code.data or "").strip() or None,
                                     event_type=form.event_type.data or None)
        page = db.paginate(query, page=form.page.data or 1, per_page=PER_PAGE, error_out=False)
    org = auth.current_org()
    return render_template("emergency/plans.html", form=form, page=page, revision_due=services.revision_due,
                           may_write_enterprise=org is not None and auth.is_org_office(current_user, org.id),
                           may_write_government=auth.regulator_of(current_user) is not None
                           or auth.is_admin(current_user)), 200 if page is not None else 422


def _plan_form(plan=None) -> PlanForm:
    data = None
    if plan is not None and request.method != "POST":
        data = {"title": plan.title, "district_code": plan.district_code, "waste_codes": " ".join(plan.code_list),
                "event_types": plan.event_type_list, "response_levels": plan.level_list, "risk_q": plan.risk_q,
                "risk_m": plan.risk_m, "risk_e": plan.risk_e or "", "risk_level": plan.risk_level or "",
                "reviewed_on": plan.reviewed_on, "signed_on": plan.signed_on, "valid_until": plan.valid_until}
    form = PlanForm(data=data)
    form.district_code.choices = [("", "—")] + county_choices()
    return form


def _plan_fields(form: PlanForm) -> dict:
    return {"title": form.title.data, "district_code": form.district_code.data or None,
            "waste_codes": form.waste_codes.data, "event_types": form.event_types.data,
            "response_levels": form.response_levels.data, "risk_q": form.risk_q.data, "risk_m": form.risk_m.data,
            "risk_e": form.risk_e.data or None, "risk_level": form.risk_level.data or None,
            "reviewed_on": form.reviewed_on.data, "signed_on": form.signed_on.data,
            "valid_until": form.valid_until.data}


def _sections(template: PlanTemplate | None) -> dict:
    return {s["key"]: request.form.get(f"section_{s['key']}", "") for s in (template.sections if template else [])}


@bp.route("/plans/new", methods=["GET", "POST"])
@login_required
def new_plan():
    kind = request.args.get("kind", "enterprise")
    if kind not in services.KIND_LABELS:
        kind = "enterprise"
    org = auth.current_org() if kind == "enterprise" else None
    if kind == "enterprise" and (org is None or not auth.is_org_office(current_user, org.id)):
        raise Forbidden(_("Only the enterprise's administrators and staff write its emergency plan."))
    if kind != "enterprise" and auth.regulator_of(current_user) is None and not auth.is_admin(current_user):
        raise Forbidden(_("This page is for regulators."))
    template = services.template_for(kind)
    form = _plan_form()
    if form.validate_on_submit():
        try:
            plan = services.create_plan(current_user, kind, organisation=org, sections=_sections(template),
                                        **_plan_fields(form))
            db.session.commit()
            flash(_("The plan is saved as a draft."), "success")
            return redirect(url_for("emergency.plan_detail", plan_id=plan.id))
        except DomainError as exc:
            db.session.rollback()
            if exc.status == 403:
                raise
            put_errors(form, exc, "title")
    return render_template("emergency/plan_form.html", form=form, kind=kind, template=template, plan=None,
                           texts=_sections(template) if request.method == "POST" else {}), \
        422 if request.method == "POST" else 200


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@login_required
def edit_plan(plan_id: int):
    plan = services.get_plan(current_user, plan_id)
    if "submit" not in services.allowed_actions(current_user, plan):
        return redirect(url_for("emergency.plan_detail", plan_id=plan.id))
    form = _plan_form(plan)
    if form.validate_on_submit():
        try:
            services.update_plan(current_user, plan, sections=_sections(plan.template), **_plan_fields(form))
            if "submit" in request.form:
                services.take_action(current_user, plan, "submit")
            db.session.commit()
            flash(_("The plan is submitted for filing.") if "submit" in request.form else _("The plan is saved."),
                  "success")
            return redirect(url_for("emergency.plan_detail", plan_id=plan.id))
        except DomainError as exc:
            db.session.rollback()
            if exc.status == 403:
                raise
            plan = services.get_plan(current_user, plan_id)
            put_errors(form, exc, "title")
    texts = _sections(plan.template) if request.method == "POST" else plan.sections
    return render_template("emergency/plan_form.html", form=form, kind=plan.kind, template=plan.template,
                           plan=plan, texts=texts), 422 if request.method == "POST" else 200


@bp.get("/plans/<int:plan_id>")
@login_required
def plan_detail(plan_id: int, action_form: PlanActionForm | None = None, status: int = 200):
    plan = services.get_plan(current_user, plan_id)
    graded = services.grade_risk(plan.risk_q, plan.risk_m, plan.risk_e)
    return render_template("emergency/plan.html", plan=plan, actions=services.allowed_actions(current_user, plan),
                           action_form=action_form or PlanActionForm(), graded=graded,
                           rules_entered=services.risk_rules_entered(),
                           revision_due=services.revision_due(plan)), status


@bp.post("/plans/<int:plan_id>/action")
@login_required
def plan_action(plan_id: int):
    plan = services.get_plan(current_user, plan_id)
    form = PlanActionForm()
    if form.validate_on_submit():
        try:
            services.take_action(current_user, plan, form.action.data, filing_number=form.filing_number.data,
                                 reason=form.reason.data)
            db.session.commit()
            flash(_("The plan is now: %(status)s.", status=services.STATUS_LABELS[plan.status]), "success")
            return redirect(url_for("emergency.plan_detail", plan_id=plan.id))
        except DomainError as exc:
            db.session.rollback()
            if exc.status in (403, 404):
                raise
            plan = services.get_plan(current_user, plan_id)
            put_errors(form, exc, "reason")
    return plan_detail(plan_id, action_form=form, status=422)


# --- templates (模板管理) -------------------------------------------------------------------------

@bp.get("/templates")
@admin_required
def templates():
    rows = db.session.scalars(select(PlanTemplate).order_by(PlanTemplate.kind, PlanTemplate.id)).all()
    return render_template("emergency/templates.html", templates=rows)


@bp.route("/templates/<int:template_id>", methods=["GET", "POST"])
@admin_required
def edit_template(template_id: int):
    template = auth.get_or_404(PlanTemplate, template_id)
    form = TemplateForm(data=None if request.method == "POST" else {
        "name": template.name, "sections": "\n".join(s["title"] for s in template.sections)})
    if form.validate_on_submit():
        try:
            services.update_template(current_user, template, form.name.data, form.sections.data)
            db.session.commit()
            flash(_("The template is saved."), "success")
            return redirect(url_for("emergency.templates"))
        except DomainError as exc:
            db.session.rollback()
            put_errors(form, exc, "sections")
    return render_template("emergency/template_form.html", form=form, template=template), \
        422 if request.method == "POST" else 200


@bp.route("/rules", methods=["GET", "POST"])
@admin_required
def rules():
    risk, events = services.rules_text()
    form = RulesForm(data=None if request.method == "POST" else {"risk_rules": risk, "event_rules": events})
    if form.validate_on_submit():
        try:
            services.replace_risk_rules(current_user, form.risk_rules.data)
            services.replace_event_rules(current_user, form.event_rules.data)
            db.session.commit()
            flash(_("The grading tables are saved."), "success")
            return redirect(url_for("emergency.rules"))
        except DomainError as exc:
            db.session.rollback()
            put_errors(form, exc, "risk_rules")
    return render_template("emergency/rules.html", form=form), 422 if request.method == "POST" else 200


# --- incidents -----------------------------------------------------------------------------------

@bp.get("/incidents")
@regulator_required
def incident_list():
    page = db.paginate(incidents.incidents_query(current_user, status=request.args.get("status") or None),
                       page=request.args.get("page", 1, type=int), per_page=PER_PAGE, error_out=False)
    return render_template("emergency/incidents.html", page=page)


def _waste_lines() -> tuple[list[dict], dict]:
    """The filled waste rows of the incident form (code, kg) and the row errors by field name."""
    lines, errors = [], {}
    for row in range(WASTE_ROWS):
        code = (request.form.get(f"waste_code_{row}") or "").strip()
        kg = (request.form.get(f"waste_kg_{row}") or "").strip()
        if not code:
            continue
        grams = None
        if kg:
            try:
                grams = int(round(float(kg) * GRAMS_PER_KG))
                if grams < 0 or grams > 10**13:
                    raise ValueError
            except ValueError:
                errors[f"waste_kg_{row}"] = _("Enter zero or more.")
        lines.append({"waste_code": code, "estimated_g": grams})
    return lines, errors


def _organisation_choices() -> list:
    orgs = db.session.scalars(auth.orgs_visible_to(current_user).where(Organisation.status == "verified")
                              .order_by(Organisation.name)).all()
    return [("", "—")] + [(str(o.id), o.name) for o in orgs]


@bp.route("/incidents/new", methods=["GET", "POST"])
@regulator_required
def new_incident():
    form = IncidentForm()
    form.organisation.choices = _organisation_choices()
    waste_errors = {}
    if form.validate_on_submit():
        lines, waste_errors = _waste_lines()
        if not waste_errors:
            try:
                incident = incidents.record_incident(
                    current_user, title=form.title.data, event_type=form.event_type.data, lat=form.lat.data,
                    lon=form.lon.data, reporter=form.reporter.data, address=form.address.data,
                    occurred_at=form.occurred_at.data.replace(tzinfo=CHINA).astimezone(UTC), wastes=lines,
                    radius_m=int(form.radius_km.data * 1000), description=form.description.data,
                    organisation_id=int(form.organisation.data) if form.organisation.data else None,
                    deaths=form.deaths.data, poisoned=form.poisoned.data, evacuated=form.evacuated.data,
                    loss_yuan=form.loss_yuan.data)
                incidents.draft_scheme(current_user, incident)
                db.session.commit()
                flash(_("The incident is recorded and a response scheme drafted."), "success")
                return redirect(url_for("emergency.incident_detail", incident_id=incident.id))
            except DomainError as exc:
                db.session.rollback()
                if exc.status == 403:
                    raise
                _place_incident_errors(form, exc, waste_errors)
    return render_template("emergency/incident_form.html", form=form, rows=range(WASTE_ROWS),
                           waste_errors=waste_errors), 422 if request.method == "POST" else 200


def _place_incident_errors(form: IncidentForm, exc: DomainError, waste_errors: dict) -> None:
    """A waste row's refusal goes beside its row; the others on their field (or the title)."""
    for name, message in (exc.fields or {"title": exc.message}).items():
        if name.startswith("wastes["):
            waste_errors[f"waste_code_{int(name[7:name.index(']')])}"] = str(message)
        else:
            target = form[name] if name in form else form.title
            target.errors = [*target.errors, str(message)]


def _scheme_form(incident, data: bool = True) -> SchemeForm:
    scheme = incident.current_scheme
    form = SchemeForm(data={"response_level": scheme.response_level or "", "instructions": scheme.instructions,
                            "departments": scheme.department_list, "organisations": scheme.organisation_ids}
                      if data and scheme is not None else None)
    form.departments.choices = [(d.value, label) for d, label in DEPARTMENT_LABELS.items()]
    form.organisations.choices = [(int(v), label) for v, label in _organisation_choices() if v]
    return form


@bp.get("/incidents/<int:incident_id>")
@regulator_required
def incident_detail(incident_id: int, forms: dict | None = None, status: int = 200):
    incident = incidents.get_incident(current_user, incident_id)
    forms = {"scheme": _scheme_form(incident), "note": NoteForm(), "close": CloseForm(), **(forms or {})}
    return render_template("emergency/incident.html", incident=incident, scheme=incident.current_scheme,
                           forms=forms), status


def _incident_step(incident_id: int, form_name: str, form, work, message: str, default_field: str):
    incident = incidents.get_incident(current_user, incident_id)
    if form.validate_on_submit():
        try:
            work(incident, form)
            db.session.commit()
            flash(message, "success")
            return redirect(url_for("emergency.incident_detail", incident_id=incident.id))
        except DomainError as exc:
            db.session.rollback()
            if exc.status in (403, 404):
                raise
            put_errors(form, exc, default_field)
    return incident_detail(incident_id, forms={form_name: form}, status=422)


@bp.post("/incidents/<int:incident_id>/draft")
@regulator_required
def redraft(incident_id: int):
    incident = incidents.get_incident(current_user, incident_id)
    try:
        incidents.draft_scheme(current_user, incident)
        db.session.commit()
        flash(_("The facts of the scheme are drafted again."), "success")
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            raise
        flash(str(exc.message), "error")
    return redirect(url_for("emergency.incident_detail", incident_id=incident_id))


@bp.post("/incidents/<int:incident_id>/scheme")
@regulator_required
def save_scheme(incident_id: int):
    incident = incidents.get_incident(current_user, incident_id)
    form = _scheme_form(incident, data=False)

    def work(incident, form):
        incidents.edit_scheme(current_user, incident, response_level=form.response_level.data or None,
                              instructions=form.instructions.data, departments=form.departments.data,
                              organisation_ids=form.organisations.data)
        if "issue" in request.form:
            incidents.issue_scheme(current_user, incident)
    message = _("The scheme is issued.") if "issue" in request.form else _("A new version of the scheme is saved.")
    return _incident_step(incident_id, "scheme", form, work, message, "instructions")


@bp.post("/incidents/<int:incident_id>/note")
@regulator_required
def note(incident_id: int):
    return _incident_step(incident_id, "note", NoteForm(),
                          lambda incident, form: incidents.add_note(current_user, incident, form.note.data),
                          _("The note is added to the timeline."), "note")


@bp.post("/incidents/<int:incident_id>/close")
@regulator_required
def close(incident_id: int):
    return _incident_step(incident_id, "close", CloseForm(),
                          lambda incident, form: incidents.close_incident(current_user, incident,
                                                                          form.closing_summary.data),
                          _("The incident is closed."), "closing_summary")


@bp.get("/incidents/<int:incident_id>/report.pdf")
@regulator_required
def report(incident_id: int):
    incident = incidents.get_incident(current_user, incident_id)
    return Response(pdf.render_report(incident), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="incident-{incident.id}.pdf"'})


# --- registers -----------------------------------------------------------------------------------

def _register(kind: str, form, model, save, order):
    if request.method == "POST" and form.validate_on_submit():
        try:
            save(form)
            db.session.commit()
            flash(_("Registered."), "success")
            return redirect(url_for(request.endpoint))
        except DomainError as exc:
            db.session.rollback()
            if exc.status == 403:
                raise
            put_errors(form, exc, "name")
    rows = db.paginate(select(model).order_by(*order), page=request.args.get("page", 1, type=int),
                       per_page=PER_PAGE, error_out=False)
    return render_template("emergency/register.html", form=form, page=rows, register=kind), \
        422 if request.method == "POST" else 200


@bp.route("/resources", methods=["GET", "POST"])
@regulator_required
def resources():
    return _register("resources", resource_form(), EmergencyResource, lambda form: services.register_resource(
        current_user, kind=form.kind.data, name=form.name.data, lat=form.lat.data, lon=form.lon.data,
        details=form.details.data or None, contact=form.contact.data or None, phone=form.phone.data or None),
        (EmergencyResource.kind, EmergencyResource.name))


@bp.route("/places", methods=["GET", "POST"])
@regulator_required
def places():
    return _register("places", place_form(), SensitivePlace, lambda form: services.register_place(
        current_user, kind=form.kind.data, name=form.name.data, lat=form.lat.data, lon=form.lon.data),
        (SensitivePlace.kind, SensitivePlace.name))


@bp.route("/guidance", methods=["GET", "POST"])
@regulator_required
def guidance():
    form = GuidanceForm()
    form.hazard.choices = [("", "—")] + [(letter, name) for letter, (_attr, name) in HAZARDS.items()]
    if form.validate_on_submit():
        try:
            services.save_guidance(current_user, None, hazard=form.hazard.data or None,
                                   waste_code=(form.waste_code.data or "").strip() or None, title=form.title.data,
                                   text=form.guidance.data)
            db.session.commit()
            flash(_("The guidance is saved."), "success")
            return redirect(url_for("emergency.guidance"))
        except DomainError as exc:
            db.session.rollback()
            if exc.status == 403:
                raise
            put_errors(form, exc, "guidance")
    rows = db.session.scalars(select(HazardGuidance).order_by(HazardGuidance.hazard, HazardGuidance.waste_code,
                                                              HazardGuidance.id)).all()
    return render_template("emergency/guidance.html", form=form, rows=rows), \
        422 if request.method == "POST" else 200


@bp.get("/")
@login_required
def index():
    if auth.regulator_of(current_user) is not None or auth.is_admin(current_user):
        return redirect(url_for("emergency.incident_list"))
    return redirect(url_for("emergency.plans"))
