"""The public reports' figures on a regulator's home and dashboard: reports past their deadline, counted as the
staff inbox filters them (?due=overdue, and the dashboard's district)."""
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from portal import auth
from portal.extensions import db
from portal.home.sections import Figure, Section

from .forms import InboxFilterForm
from .staff import _filtered


def _overdue_section(filters: dict, order: int) -> Section:
    form = InboxFilterForm(MultiDict(filters))
    overdue = db.session.scalar(select(func.count()).select_from(_filtered(form).order_by(None).subquery())) or 0
    return Section("reports", _l("Public reports"), order, [
        Figure(_l("Reports past their deadline"), overdue, url_for("report_staff.inbox", **filters),
               "bad" if overdue else "")])


def report_sections(user) -> list[Section]:
    if auth.regulator_of(user) is None and not auth.is_admin(user):
        return []
    return [_overdue_section({"due": "overdue"}, 32)]


def report_panels(scope) -> list[Section]:
    """The same figure on the regulators' dashboard (portal/command), within its scope."""
    return [_overdue_section(scope.filters(due="overdue"), 26)]
