"""The alert inbox: regulators see and handle their jurisdiction's alerts; organisations see their own."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ... import auth
from ...accounts.forms import county_choices
from ...auth import login_required
from ...errors import DomainError, Forbidden, attempt
from ...extensions import db
from ...jurisdiction import jurisdiction_code
from . import services
from .forms import STATUS_CHOICES, AlertFilterForm, CloseAlertForm
from .models import KIND_LABELS, Alert
from .subjects import alert_subject

bp = Blueprint("alerts", __name__, url_prefix="/alerts")
PER_PAGE = 25



@bp.app_template_global("alert_text")
def alert_text(alert: Alert) -> str:
    return services.alert_message(alert)


@bp.app_template_global("alert_kind_label")
def alert_kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


@bp.app_template_global("alert_status_label")
def alert_status_label(status: str) -> str:
    return str(dict(STATUS_CHOICES).get(status, status))


def _handler() -> bool:
    return bool(auth.regulator_of(current_user) or auth.is_admin(current_user))


@bp.get("")
@login_required
def inbox():
    form = AlertFilterForm(formdata=request.args)
    visible = services.alerts_visible_to(current_user)
    visible_rows = visible.subquery()
    kinds = db.session.scalars(select(visible_rows.c.kind).distinct()).all()
    # the labelled kinds are always offered, so that a link to a kind with no alert yet shows an empty list
    form.kind.choices = [("", _("Any"))] + [(k, alert_kind_label(k)) for k in sorted(set(kinds) | set(KIND_LABELS))]
    regulator = auth.regulator_of(current_user)
    only = None if regulator is None or regulator.jurisdiction_code == jurisdiction_code() else regulator.jurisdiction_code
    form.district.choices = [("", _("All districts"))] + county_choices(only)
    page = None
    if form.validate():
        query = visible.order_by(Alert.created_at.desc(), Alert.id.desc())
        if form.status.data:
            query = query.where(Alert.status == form.status.data)
        if form.kind.data:
            query = query.where(Alert.kind == form.kind.data)
        if form.severity.data:
            query = query.where(Alert.severity == form.severity.data)
        if form.district.data:
            query = query.where(Alert.district_code == form.district.data)
        page = db.paginate(query, page=form.page.data or 1, per_page=PER_PAGE, error_out=False)
    return (render_template("regulatory/alerts/inbox.html", form=form, page=page, handler=_handler()),
            200 if page is not None else 422)


@bp.route("/<int:alert_id>", methods=["GET", "POST"])
@login_required
def detail(alert_id: int):
    alert = services.get_alert(current_user, alert_id)
    form = CloseAlertForm()
    if request.method == "POST" and not _handler():
        raise Forbidden(_("Only regulators handle alerts."))
    if form.validate_on_submit():
        try:
            services.close_alert(current_user, alert, form.note.data)
            db.session.commit()
            flash(_("The alert is closed."), "success")
            return redirect(url_for("alerts.inbox"))
        except DomainError as exc:
            db.session.rollback()
            form.note.errors = [*form.note.errors, str(exc.fields.get("note", exc.message))]
    return (render_template("regulatory/alerts/detail.html", alert=alert, form=form, handler=_handler(),
                            subject=alert_subject(current_user, alert)),
            422 if form.errors else 200)


@bp.post("/<int:alert_id>/acknowledge")
@login_required
def acknowledge(alert_id: int):
    alert = services.get_alert(current_user, alert_id)
    attempt(lambda: services.acknowledge_alert(current_user, alert), _("The alert is acknowledged."))
    return redirect(url_for("alerts.detail", alert_id=alert.id))
