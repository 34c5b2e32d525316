"""Platform administration: users, organisations, the audit log and the mail/SMS outbox."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import String, cast, func, or_, select

from ..accounts.models import Membership, Organisation, OrgStatus, Regulator, Role, User
from ..audit import AuditEntry
from ..auth import admin_required, get_or_404
from ..errors import DomainError, attempt
from ..extensions import db
from ..labels import object_label
from ..outbox import OutboxMessage
from ..types import utcnow
from . import services
from .forms import (
    CAPABILITY_LABELS,
    DEPARTMENT_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    AuditFilterForm,
    ConfirmForm,
    OrganisationFilterForm,
    OutboxFilterForm,
    RegulatorForm,
    UserFilterForm,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 25


@bp.context_processor
def labels():
    """Translated names of the stored enum values, for every admin template."""
    return {"departments": DEPARTMENT_LABELS, "roles": ROLE_LABELS, "statuses": STATUS_LABELS,
            "capabilities": CAPABILITY_LABELS}


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def _escape_like(text: str) -> str:
    return text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(text: str) -> str:
    """A LIKE pattern matching text anywhere, with the user's % and _ taken literally."""
    return f"%{_escape_like(text)}%"


def _filtered_page(form, build):
    """Validate the filters; a page of results, or None (and status 400) when a filter is invalid."""
    if not form.validate():
        return None, 400
    return db.paginate(build(form), per_page=PER_PAGE, error_out=False), 200


@bp.get("/")
@admin_required
def index():
    locked = select(User.id).where(User.locked_until > utcnow())
    figures = {
        "users": _count(select(User.id)),
        "inactive_users": _count(select(User.id).where(User.active.is_(False))),
        "locked_users": _count(locked),
        "admins": _count(select(User.id).where(User.is_platform_admin)),
        "regulators": _count(select(Regulator.id)),
        "organisations": _count(select(Organisation.id)),
        "pending": _count(select(Organisation.id).where(Organisation.status == OrgStatus.PENDING)),
        "verified": _count(select(Organisation.id).where(Organisation.status == OrgStatus.VERIFIED)),
        "rejected": _count(select(Organisation.id).where(Organisation.status == OrgStatus.REJECTED)),
        "unsent": _count(select(OutboxMessage.id).where(OutboxMessage.sent_at.is_(None))),
        "audit_today": _count(select(AuditEntry.id).where(AuditEntry.at > utcnow() - timedelta(days=1))),
    }
    recent = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(10)).all()
    return render_template("admin/index.html", figures=figures, recent=recent, actors=_actors(recent))


# --- users ---------------------------------------------------------------------------------------

def _user_query(form: UserFilterForm):
    query = select(User).order_by(User.id.desc())
    if form.q.data:
        pattern = _like(form.q.data)
        query = query.where(or_(User.name.ilike(pattern, escape="\\"), User.email.ilike(pattern, escape="\\"),
                                User.mobile.ilike(pattern, escape="\\")))
    member_ids = select(Membership.user_id)
    role = form.role.data
    if role == "admin":
        query = query.where(User.is_platform_admin)
    elif role == "regulator":
        query = query.where(User.id.in_(select(Regulator.user_id)))
    elif role == "member":
        query = query.where(User.id.in_(member_ids))
    elif role in ("org_admin", "driver"):
        query = query.where(User.id.in_(member_ids.where(Membership.role == Role(role.removeprefix("org_")))))
    elif role == "none":
        query = query.where(User.is_platform_admin.is_(False), User.id.not_in(member_ids),
                            User.id.not_in(select(Regulator.user_id)))
    now = utcnow()
    if form.locked.data == "yes":
        query = query.where(User.locked_until > now)
    elif form.locked.data == "no":
        query = query.where(or_(User.locked_until.is_(None), User.locked_until <= now))
    if form.active.data:
        query = query.where(User.active.is_(form.active.data == "yes"))
    return query


@bp.get("/users")
@admin_required
def users():
    form = UserFilterForm(request.args)
    page, status = _filtered_page(form, _user_query)
    return render_template("admin/users.html", form=form, page=page, now=utcnow()), status


def _regulator_form(user: User, formdata=None) -> RegulatorForm:
    regulator = user.regulator
    form = RegulatorForm(formdata, obj=regulator) if formdata is not None else RegulatorForm(obj=regulator)
    form.jurisdiction_code.choices = [(d.code, d.name) for d in services.jurisdiction_choices()]
    return form


@bp.get("/users/<int:user_id>")
@admin_required
def user(user_id: int):
    return _render_user(get_or_404(User, user_id))


def _render_user(user: User, regulator_form: RegulatorForm | None = None, status: int = 200):
    history = db.session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "users", AuditEntry.object_id == str(user.id)).order_by(
        AuditEntry.id.desc()).limit(20)).all()
    return render_template("admin/user.html", user=user, now=utcnow(), confirm=ConfirmForm(),
                           regulator_form=regulator_form or _regulator_form(user), history=history,
                           actors=_actors(history)), status


USER_ACTIONS = {
    "lock": services.lock_user,
    "unlock": services.unlock_user,
    "deactivate": services.deactivate_user,
    "activate": services.activate_user,
    "grant-admin": services.grant_platform_admin,
    "revoke-admin": services.revoke_platform_admin,
    "remove-regulator": services.remove_regulator,
    "end-sessions": services.end_user_sessions,
}


def _action_done_message(action: str) -> str:
    return {
        "lock": _("The account is locked."),
        "unlock": _("The account is unlocked."),
        "deactivate": _("The account is deactivated."),
        "activate": _("The account is active again."),
        "grant-admin": _("The user is now a platform administrator."),
        "revoke-admin": _("The user is no longer a platform administrator."),
        "remove-regulator": _("The user is no longer a regulator."),
        "end-sessions": _("The user has been signed out everywhere."),
    }[action]


@bp.post("/users/<int:user_id>/<any(lock, unlock, deactivate, activate, 'grant-admin', 'revoke-admin', "
         "'remove-regulator', 'end-sessions'):action>")
@admin_required
def user_action(user_id: int, action: str):
    user = get_or_404(User, user_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired or was not sent from this site. Please try again."), "error")
        return redirect(url_for(".user", user_id=user.id))
    attempt(lambda: USER_ACTIONS[action](user, current_user), _action_done_message(action))
    return redirect(url_for(".user", user_id=user.id))


@bp.post("/users/<int:user_id>/regulator")
@admin_required
def user_regulator(user_id: int):
    user = get_or_404(User, user_id)
    form = _regulator_form(user, request.form)
    if not form.validate_on_submit():
        return _render_user(user, form, 422)
    try:
        services.make_regulator(user, current_user, form.department.data, form.jurisdiction_code.data,
                                form.is_head.data)
    except DomainError as exc:
        db.session.rollback()
        for name, message in exc.fields.items():
            form[name].errors.append(message)
        if not exc.fields:
            flash(str(exc.message), "error")
        return _render_user(db.session.get(User, user_id), form, exc.status)
    db.session.commit()
    flash(_("The regulator role is saved."), "success")
    return redirect(url_for(".user", user_id=user.id))


# --- organisations -------------------------------------------------------------------------------

def _org_query(form: OrganisationFilterForm):
    query = select(Organisation).order_by(Organisation.id.desc())
    if form.q.data:
        pattern = _like(form.q.data)
        query = query.where(or_(Organisation.name.ilike(pattern, escape="\\"),
                                Organisation.uscc.ilike(pattern, escape="\\"),
                                Organisation.industry.ilike(pattern, escape="\\")))
    if form.status.data:
        query = query.where(Organisation.status == OrgStatus(form.status.data))
    if form.district.data:
        query = query.where(Organisation.district_code == form.district.data)
    if form.capability.data:
        query = query.where(getattr(Organisation, form.capability.data).is_(True))
    return query


def _districts() -> list[tuple[str, str]]:
    return [(d.code, d.name) for d in services.jurisdiction_choices() if d.level == "county"]


@bp.get("/organisations")
@admin_required
def organisations():
    form = OrganisationFilterForm(request.args)
    form.district.choices = [form.district.choices[0], *_districts()]
    page, status = _filtered_page(form, _org_query)
    return render_template("admin/organisations.html", form=form, page=page), status


@bp.get("/organisations/<int:org_id>")
@admin_required
def organisation(org_id: int):
    org = get_or_404(Organisation, org_id)
    history = db.session.scalars(select(AuditEntry).where(or_(
        AuditEntry.organisation_id == org.id,
        (AuditEntry.object_type == "organisations") & (AuditEntry.object_id == str(org.id)))).order_by(
        AuditEntry.id.desc()).limit(20)).all()
    return render_template("admin/organisation.html", org=org, history=history, actors=_actors(history))


# --- audit log -----------------------------------------------------------------------------------

def _local_midnight_utc(day) -> datetime:
    """Dates in the filter are local (Asia/Shanghai) days; the log is stored in UTC."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))


def _audit_query(form: AuditFilterForm):
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if form.action.data:
        # "user." finds every user action; a whole action name finds just that one
        query = query.where(AuditEntry.action.like(_escape_like(form.action.data) + "%", escape="\\"))
    if form.object_type.data:
        query = query.where(AuditEntry.object_type == form.object_type.data)
    if form.object_id.data:
        query = query.where(AuditEntry.object_id == form.object_id.data.strip())
    if form.actor.data:
        actor = form.actor.data.strip()
        pattern = _like(actor)
        actors = select(User.id).where(or_(
            func.lower(User.email) == actor.lower(), User.mobile == actor, User.name.ilike(pattern, escape="\\"),
            cast(User.id, String) == actor))
        query = query.where(AuditEntry.actor_id.in_(actors))
    if form.date_from.data:
        query = query.where(AuditEntry.at >= _local_midnight_utc(form.date_from.data))
    if form.date_to.data:
        query = query.where(AuditEntry.at < _local_midnight_utc(form.date_to.data + timedelta(days=1)))
    return query


def _actors(entries) -> dict[int, User]:
    ids = {e.actor_id for e in entries if e.actor_id}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


def changes(entry: AuditEntry) -> list[dict]:
    """The audited fields of an entry side by side, before and after, with changed ones marked."""
    before, after = entry.before or {}, entry.after or {}
    keys = list(dict.fromkeys([*before, *after]))
    return [{"field": k, "before": before.get(k), "after": after.get(k), "had": k in before, "has": k in after,
             "changed": before.get(k) != after.get(k)} for k in keys]


@bp.get("/audit")
@admin_required
def audit_log():
    form = AuditFilterForm(request.args)
    types = db.session.scalars(select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type))
    form.object_type.choices = [form.object_type.choices[0], *((t, object_label(t)) for t in types)]
    page, status = _filtered_page(form, _audit_query)
    actors = _actors(page.items) if page else {}
    return render_template("admin/audit_log.html", form=form, page=page, actors=actors, changes=changes), status


@bp.get("/audit/<int:entry_id>")
@admin_required
def audit_entry(entry_id: int):
    entry = get_or_404(AuditEntry, entry_id)
    return render_template("admin/audit_entry.html", entry=entry, actors=_actors([entry]),
                           changes=changes(entry))


# --- outbox --------------------------------------------------------------------------------------

def _outbox_query(form: OutboxFilterForm):
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    if form.q.data:
        pattern = _like(form.q.data)
        query = query.where(or_(OutboxMessage.recipient.ilike(pattern, escape="\\"),
                                OutboxMessage.subject.ilike(pattern, escape="\\")))
    if form.channel.data:
        query = query.where(OutboxMessage.channel == form.channel.data)
    if form.state.data == "sent":
        query = query.where(OutboxMessage.sent_at.is_not(None))
    elif form.state.data == "unsent":
        query = query.where(OutboxMessage.sent_at.is_(None), OutboxMessage.error.is_(None))
    elif form.state.data == "failed":
        query = query.where(OutboxMessage.sent_at.is_(None), OutboxMessage.error.is_not(None))
    return query


@bp.get("/outbox")
@admin_required
def outbox():
    form = OutboxFilterForm(request.args)
    page, status = _filtered_page(form, _outbox_query)
    return render_template("admin/outbox.html", form=form, page=page), status


@bp.get("/outbox/<int:message_id>")
@admin_required
def outbox_message(message_id: int):
    return render_template("admin/outbox_message.html", message=get_or_404(OutboxMessage, message_id))
