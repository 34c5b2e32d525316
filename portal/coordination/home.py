"""The cases on a regulator's or the command centre's home: open cases, overdue cases, unread notices."""
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import auth
from ..extensions import db
from ..home.sections import Figure, Section
from ..jurisdiction import is_whole_jurisdiction
from .services import cases_for, filter_cases


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def _case_section(user, order: int, district: str | None = None) -> Section:
    """Open and overdue cases the user may see (in one district when given), each linking to that list."""
    visible = cases_for(user)
    where = {"district": district} if district else {}
    open_cases = _count(filter_cases(visible, open_only=True, **where))
    overdue = _count(filter_cases(visible, overdue=True, **where))
    return Section("cases", _l("Cases"), order, [
        Figure(_l("Open cases"), open_cases, url_for("cases.index", open="y", **where), ""),
        Figure(_l("Cases past their time limit"), overdue, url_for("cases.index", overdue="y", **where),
               "bad" if overdue else "")])


def case_sections(user) -> list[Section]:
    if auth.regulator_of(user) is None and not auth.is_admin(user):
        return []
    return [_case_section(user, 31)]


def case_panels(scope) -> list[Section]:
    """The same figures on the regulators' dashboard (portal/command), within its scope."""
    return [_case_section(scope.user, 27, scope.district)]


def overdue_cases(user, division: str) -> int:
    """The big screen's figure: cases past their time limit that the user may see, in the city or one district."""
    district = None if is_whole_jurisdiction(division) else division
    return _count(filter_cases(cases_for(user), overdue=True, **({"district": district} if district else {})))
