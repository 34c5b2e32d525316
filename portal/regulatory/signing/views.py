"""/signing-keys: an organisation's keys for its administrators (rotate, revoke); every key for regulators."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateTimeLocalField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ... import auth
from ...auth import login_required
from ...clock import CHINA
from ...errors import DomainError, NotFound
from ...extensions import db
from . import services
from .models import SigningKey

bp = Blueprint("signing", __name__, url_prefix="/signing-keys")
STATUS_LABELS = {"active": _l("Active"), "retired": _l("Retired (still verifies)"), "revoked": _l("Revoked")}


class RotateForm(FlaskForm):
    pass


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Why is the key revoked?"), validators=[DataRequired(), Length(max=1000)])
    revoked_at = DateTimeLocalField(_l("Compromised since (China time; empty: now)"), validators=[Optional()],
                                    format="%Y-%m-%dT%H:%M")


def _regulating() -> bool:
    return auth.is_admin(current_user) or auth.regulator_of(current_user) is not None


@bp.get("/")
@login_required
def keys():
    org = auth.current_org()
    if _regulating():
        rows = db.session.scalars(services.organisation_keys()).all()
    elif org is not None:
        rows = db.session.scalars(services.organisation_keys(org.id)).all()
    else:
        rows = []
    manages = org is not None and auth.can_manage_org(current_user, org)
    # one form per key, its fields prefixed with the key id, so that two forms on the page never share an id
    revoke_forms = {key.key_id: RevokeForm(prefix=_prefix(key.key_id)) for key in rows} if manages else {}
    return render_template("regulatory/signing/keys.html", keys=rows, org=org, manages=manages,
                           rotate_form=RotateForm(), revoke_forms=revoke_forms, status_labels=STATUS_LABELS,
                           regulating=_regulating())


def _prefix(key_id: str) -> str:
    return f"key-{key_id}"


@bp.post("/rotate")
@login_required
def rotate():
    org = auth.require_manage_org(current_user, auth.current_org())
    if RotateForm().validate_on_submit():
        key = services.rotate_key(org, current_user)
        db.session.commit()
        flash(_("New key %(key)s signs from now; the old key still verifies what it signed.", key=key.key_id),
              "success")
    return redirect(url_for(".keys"), 303)


@bp.post("/<key_id>/revoke")
@login_required
def revoke(key_id: str):
    key = db.session.scalar(select(SigningKey).where(SigningKey.key_id == key_id))
    if key is None:
        raise NotFound(_("No signing key has this id."))
    auth.require_manage_org(current_user, key.organisation)
    form = RevokeForm(prefix=_prefix(key.key_id))
    if not form.validate_on_submit():
        flash(_("Say why the key is revoked."), "error")
        return redirect(url_for(".keys"), 303)
    at = form.revoked_at.data.replace(tzinfo=CHINA) if form.revoked_at.data else None
    try:
        services.revoke_key(key, current_user, form.reason.data, at)
        db.session.commit()
        flash(_("Key %(key)s is revoked.", key=key.key_id), "success")
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    return redirect(url_for(".keys"), 303)
