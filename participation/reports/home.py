"""The public reports' figures on a regulator's home: reports past their deadline, counted as the staff inbox
filters them (?due=overdue)."""
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from portal import auth
from portal.extensions import db
from portal.home.sections import Figure, Section

from .forms import InboxFilterForm
from .staff import _filtered


def report_sections(user) -> list[Section]:
    if auth.regulator_of(user) is None and not auth.is_admin(user):
        return []
    form = InboxFilterForm(MultiDict({"due": "overdue"}))
    overdue = db.session.scalar(select(func.count()).select_from(_filtered(form).order_by(None).subquery())) or 0
    return [Section("reports", _l("Public reports"), 32, [
        Figure(_l("Reports past their deadline"), overdue, url_for("report_staff.inbox", due="overdue"),
               "bad" if overdue else "")])]
