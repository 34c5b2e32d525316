"""The dashboards (/command/): a regulator's jurisdiction, or an enterprise's own figures.

A regulator of the city sees the city and may narrow it to one district; a regulator of a district sees that
district. An enterprise member reaching the same URL sees the acting organisation's dashboard, also at
/command/enterprise. The panels come from the registry of portal/command/sections.py.
"""
from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import auth
from ..accounts.forms import county_choices
from ..auth import login_required
from ..clock import china_today
from ..errors import DomainError, Forbidden
from ..extensions import db
from ..jurisdiction import jurisdiction_code
from ..regulatory.models import Division
from . import panels  # noqa: F401  (registers the portal's own panels)
from .sections import Scope, enterprise_panels, regulator_panels
from .statistics.aggregate import refresh_if_stale
from .trends import month_trend

bp = Blueprint("command_dashboard", __name__, url_prefix="/command")


def _own_division(user) -> str:
    regulator = auth.regulator_of(user)
    return jurisdiction_code() if regulator is None else regulator.jurisdiction_code


def scope_for(user, requested: str | None) -> Scope:
    """The user's jurisdiction, or the district asked for when it lies within it (422 naming the field if not)."""
    own = _own_division(user)
    if not requested or requested == own:
        return Scope(user, own, china_today())
    districts = dict(county_choices(None if own == jurisdiction_code() else own))
    if requested not in districts:
        message = _("Choose a district of your jurisdiction.")
        raise DomainError(message, fields={"district": message}, status=422, code="invalid")
    return Scope(user, requested, china_today())


@bp.get("/")
@login_required
def index():
    if auth.oversees_city(current_user):
        return _regulator_dashboard()
    if auth.current_org() is not None:
        return _enterprise_dashboard()
    raise Forbidden(_("The dashboard is for regulators and enterprises."))


def _regulator_dashboard():
    refresh_if_stale()
    scope = scope_for(current_user, request.args.get("district") or None)
    own = _own_division(current_user)
    districts = county_choices(None if own == jurisdiction_code() else own)
    return render_template("command/dashboard.html", scope=scope, sections=regulator_panels(scope),
                           division=db.session.get(Division, scope.division), districts=districts,
                           whole_city=own == jurisdiction_code(), trend=month_trend(scope))


@bp.get("/enterprise")
@login_required
def enterprise():
    return _enterprise_dashboard()


def _enterprise_dashboard():
    org = auth.current_org_or_403()
    return render_template("command/enterprise.html", org=org, sections=enterprise_panels(current_user, org),
                           today=china_today())
