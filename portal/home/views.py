"""The role home (/home): where every signed-in user lands, with the figures of its open work."""
from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import auth
from ..accounts.forms import SwitchOrgForm
from ..accounts.models import Organisation
from ..auth import login_required
from ..clock import china_today
from ..errors import DomainError, NotFound
from ..extensions import db
from . import services
from .sections import sections_for

bp = Blueprint("home", __name__, url_prefix="/home")
PER_PAGE = 50


@bp.get("")
@login_required
def index():
    user = current_user
    acting = auth.current_org()
    switch_form = None
    if len(user.memberships) > 1:  # the lists show the acting organisation's records: say which, offer the others
        switch_form = SwitchOrgForm(formdata=None, organisation_id=getattr(acting, "id", None))
        switch_form.organisation_id.choices = [(m.organisation_id, m.organisation.name) for m in user.memberships]
    return render_template("home/index.html", sections=sections_for(user), acting=acting,
                           memberships=user.memberships, switch_form=switch_form,
                           overseer=auth.is_admin(user) or auth.regulator_of(user) is not None,
                           dashboard=auth.oversees_city(user))


class ListPage:
    """One page of a list computed in Python, with what the pager macro reads."""

    def __init__(self, rows: list, page: int, per_page: int):
        self.total = len(rows)
        self.pages = max(1, -(-self.total // per_page))
        self.page = min(max(page, 1), self.pages)
        self.items = rows[(self.page - 1) * per_page:self.page * per_page]
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num, self.next_num = self.page - 1, self.page + 1


@bp.get("/storage")
@login_required
def storage():
    """The hazardous containers an organisation keeps near or past the end of their storage year: the list
    behind the home's storage figures. Members see their organisation's, regulators their jurisdiction's."""
    limit = request.args.get("limit", "near")
    if limit not in services.LIMITS:
        message = _("Choose near or over.")
        raise DomainError(message, fields={"limit": message}, status=400, code="bad_request")
    org_id = request.args.get("org", type=int)
    org = db.session.get(Organisation, org_id) if org_id else auth.current_org()
    if org is None or not auth.can_view_org_data(current_user, org.id, org.district_code):
        raise NotFound(_l("Not found."))
    page = ListPage(services.clocks_near_limit(org, limit), request.args.get("page", 1, type=int), PER_PAGE)
    heading = (_("Containers past the one-year storage limit") if limit == "over" else
               _("Containers reaching the one-year limit within %(days)s days", days=services.NEAR_LIMIT_DAYS))
    return render_template("home/storage.html", org=org, limit=limit, today=china_today(), page=page,
                           days=services.NEAR_LIMIT_DAYS, heading=heading)
