"""The per-stream thresholds of the manifest alerts (weight tolerance, treatment deadline) and the admin page
that edits them."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, DecimalField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from ... import audit
from ...auth import admin_required
from ...clock import china_today
from ...errors import DomainError, NotFound
from ...extensions import db
from ..batches.models import STREAMS
from .models import AlertSetting, RefusalFollowUpSetting

DEFAULT_TOLERANCE_BP = 500  # 5 %
DEFAULT_TREATMENT_DUE_DAYS = 20  # working days
MAX_TOLERANCE_BP = 10_000
MAX_TREATMENT_DUE_DAYS = 365
STREAM_LABELS = {"hazardous": _l("Hazardous waste"), "industrial": _l("General industrial solid waste"),
                 "medical": _l("Medical waste"), "construction": _l("Construction waste"),
                 "household": _l("Household waste"), "agricultural": _l("Agricultural waste")}


@dataclass(frozen=True)
class StreamThresholds:
    stream: str
    weight_tolerance_bp: int
    treatment_due_days: int
    customised: bool

    @property
    def tolerance_percent(self) -> Decimal:
        return (Decimal(self.weight_tolerance_bp) / 100).quantize(Decimal("0.01"))


def thresholds(stream: str) -> StreamThresholds:
    """The stream's thresholds: its settings row, or the defaults."""
    row = db.session.get(AlertSetting, stream)
    if row is None:
        return StreamThresholds(stream, DEFAULT_TOLERANCE_BP, DEFAULT_TREATMENT_DUE_DAYS, False)
    return StreamThresholds(stream, row.weight_tolerance_bp, row.treatment_due_days, True)


def all_thresholds() -> list[StreamThresholds]:
    rows = {row.stream: row for row in db.session.scalars(select(AlertSetting))}
    return [thresholds(stream) if stream in rows else StreamThresholds(
        stream, DEFAULT_TOLERANCE_BP, DEFAULT_TREATMENT_DUE_DAYS, False) for stream in STREAMS]


def _invalid(field: str, message: str) -> DomainError:
    return DomainError(message, fields={field: message})


def update_thresholds(actor, stream: str, *, weight_tolerance_bp: int, treatment_due_days: int) -> AlertSetting:
    """Set a stream's thresholds (audited). The caller commits."""
    if stream not in STREAMS:
        raise NotFound(_("Unknown waste stream."))
    if isinstance(weight_tolerance_bp, bool) or not isinstance(weight_tolerance_bp, int) \
            or not 0 <= weight_tolerance_bp <= MAX_TOLERANCE_BP:
        raise _invalid("weight_tolerance", _("Enter a percentage between 0 and 100."))
    if isinstance(treatment_due_days, bool) or not isinstance(treatment_due_days, int) \
            or not 1 <= treatment_due_days <= MAX_TREATMENT_DUE_DAYS:
        raise _invalid("treatment_due_days", _("Enter a number of working days between 1 and %(max)s.",
                                                max=MAX_TREATMENT_DUE_DAYS))
    row = db.session.get(AlertSetting, stream)
    before = None
    if row is None:
        row = AlertSetting(stream=stream)
        db.session.add(row)
    else:
        before = {"weight_tolerance_bp": row.weight_tolerance_bp, "treatment_due_days": row.treatment_due_days}
    row.weight_tolerance_bp, row.treatment_due_days = weight_tolerance_bp, treatment_due_days
    row.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record("alert_setting.update", row, actor=actor, object_id=stream, before=before,
                 after={"weight_tolerance_bp": weight_tolerance_bp, "treatment_due_days": treatment_due_days})
    return row


# --- refused waste: the follow-up deadline, versioned ------------------------------------------------

MAX_FOLLOW_UP_DAYS = 365


def refusal_follow_up_setting(on_date: date) -> RefusalFollowUpSetting | None:
    """The version of the city's rule in force on on_date (the latest that started on or before it)."""
    return db.session.scalar(select(RefusalFollowUpSetting).where(RefusalFollowUpSetting.in_force_from <= on_date)
                             .order_by(RefusalFollowUpSetting.in_force_from.desc(),
                                       RefusalFollowUpSetting.id.desc()).limit(1))


def refusal_follow_up_days(on_date: date) -> int | None:
    """Working days after a refusal for submitting its follow-up manifests; None: the city set none."""
    setting = refusal_follow_up_setting(on_date)
    return setting.working_days if setting is not None else None


def refusal_follow_up_versions() -> list[RefusalFollowUpSetting]:
    return list(db.session.scalars(select(RefusalFollowUpSetting).order_by(
        RefusalFollowUpSetting.in_force_from.desc(), RefusalFollowUpSetting.id.desc())))


def set_refusal_follow_up_days(actor, working_days: int, in_force_from: date) -> RefusalFollowUpSetting:
    """A new version of the rule from in_force_from on (audited); earlier refusals keep the rule of their day.
    The caller commits."""
    if isinstance(working_days, bool) or not isinstance(working_days, int) \
            or not 1 <= working_days <= MAX_FOLLOW_UP_DAYS:
        raise _invalid("working_days", _("Enter a number of working days between 1 and %(max)s.",
                                          max=MAX_FOLLOW_UP_DAYS))
    if not isinstance(in_force_from, date):
        raise _invalid("in_force_from", _("Use the date format YYYY-MM-DD."))
    row = RefusalFollowUpSetting(working_days=working_days, in_force_from=in_force_from,
                                 created_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    audit.record("refusal_follow_up_setting.create", row, actor=actor, object_id=row.id,
                 after={"working_days": working_days, "in_force_from": in_force_from.isoformat()})
    return row


# --- admin page ----------------------------------------------------------------------------------

bp = Blueprint("alert_settings", __name__, url_prefix="/admin/alert-settings")


class ThresholdsForm(FlaskForm):
    weight_tolerance = DecimalField(
        _l("Weight tolerance (%)"), places=2,
        validators=[InputRequired(_l("Enter a percentage.")),
                    NumberRange(min=0, max=100, message=_l("Enter a percentage between 0 and 100."))])
    treatment_due_days = IntegerField(
        _l("Treatment due within (working days after receipt)"),
        validators=[InputRequired(_l("Enter a number of working days.")),
                    NumberRange(min=1, max=MAX_TREATMENT_DUE_DAYS,
                                message=_l("Enter a number of working days between 1 and 365."))])


class RefusalFollowUpForm(FlaskForm):
    working_days = IntegerField(
        _l("Follow-up manifest due within (working days after the refusal)"),
        validators=[InputRequired(_l("Enter a number of working days.")),
                    NumberRange(min=1, max=MAX_FOLLOW_UP_DAYS,
                                message=_l("Enter a number of working days between 1 and 365."))])
    in_force_from = DateField(_l("In force from"), validators=[InputRequired(_l("Enter a date."))])


def _index(follow_up_form: RefusalFollowUpForm, status: int = 200):
    return render_template("regulatory/alerts/settings.html", rows=all_thresholds(), labels=STREAM_LABELS,
                           follow_up_form=follow_up_form, follow_up_versions=refusal_follow_up_versions(),
                           follow_up_now=refusal_follow_up_setting(china_today())), status


@bp.get("")
@admin_required
def index():
    return _index(RefusalFollowUpForm())


@bp.post("/refusal-follow-up")
@admin_required
def refusal_follow_up():
    form = RefusalFollowUpForm()
    if form.validate_on_submit():
        try:
            set_refusal_follow_up_days(current_user, form.working_days.data, form.in_force_from.data)
            db.session.commit()
            flash(_("The follow-up deadline for refused waste is saved."), "success")
            return redirect(url_for("alert_settings.index"))
        except DomainError as exc:
            db.session.rollback()
            for name, message in exc.fields.items():
                getattr(form, name).errors.append(message)
    return _index(form, 422)


@bp.route("/<stream>", methods=["GET", "POST"])
@admin_required
def edit(stream: str):
    if stream not in STREAMS:
        raise NotFound(_("Unknown waste stream."))
    current = thresholds(stream)
    form = ThresholdsForm(data={"weight_tolerance": current.tolerance_percent,
                                "treatment_due_days": current.treatment_due_days})
    if form.validate_on_submit():
        bp_value = form.weight_tolerance.data * 100
        if bp_value != bp_value.to_integral_value():
            form.weight_tolerance.errors.append(_("Use at most two decimals."))
        else:
            try:
                update_thresholds(current_user, stream, weight_tolerance_bp=int(bp_value),
                                  treatment_due_days=form.treatment_due_days.data)
                db.session.commit()
                flash(_("The alert thresholds are saved."), "success")
                return redirect(url_for("alert_settings.index"))
            except DomainError as exc:
                db.session.rollback()
                for name, message in exc.fields.items():
                    getattr(form, name).errors.append(message)
    return (render_template("regulatory/alerts/settings_form.html", form=form, stream=stream,
                            label=STREAM_LABELS[stream]), 422 if form.errors else 200)
