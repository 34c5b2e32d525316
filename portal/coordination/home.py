"""The cases on a regulator's or the command centre's home: open cases, overdue cases, unread notices."""
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import auth
from ..extensions import db
from ..home.sections import Figure, Section
from .services import cases_for, filter_cases


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def case_sections(user) -> list[Section]:
    if auth.regulator_of(user) is None and not auth.is_admin(user):
        return []
    visible = cases_for(user)
    open_cases = _count(filter_cases(visible, open_only=True))
    overdue = _count(filter_cases(visible, overdue=True))
    return [Section("cases", _l("Cases"), 31, [
        Figure(_l("Open cases"), open_cases, url_for("cases.index", open="y"), ""),
        Figure(_l("Cases past their time limit"), overdue, url_for("cases.index", overdue="y"),
               "bad" if overdue else "")])]
