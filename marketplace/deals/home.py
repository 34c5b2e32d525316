"""The marketplace's figures on an enterprise's home: the open offers it received (to answer) and sent
(waiting for an answer), counted as the offers inbox lists them; and its deals on the enterprise dashboard."""
from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal import auth
from portal.accounts.models import Role
from portal.extensions import db
from portal.home.sections import Figure, Section

from .forms import DEAL_STATUS_LABELS
from .models import DEAL_STATUSES
from .services import deals_query, offers_query


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def offer_sections(user) -> list[Section]:
    """One section per organisation that trades; the inbox shows the acting organisation's offers, so the
    figures of another organisation ask to switch to it first."""
    acting = auth.current_org()
    sections = []
    for membership in user.memberships:
        org = membership.organisation
        trades = org.is_generator or org.is_collector or org.is_receiver
        if membership.role == Role.DRIVER or not trades or not org.is_verified:
            continue
        received = _count(offers_query([org.id], box="received", status="open"))
        sent = _count(offers_query([org.id], box="sent", status="open"))
        figures = [
            Figure(_l("Open offers to answer"), received, url_for("deals.inbox", box="received", status="open"),
                   "wait" if received else ""),
            Figure(_l("Open offers waiting for an answer"), sent, url_for("deals.inbox", box="sent", status="open"))]
        sections.append(Section(f"offers-{org.id}", _l("Offers of %(name)s", name=org.name), 25, figures,
                                switch_to=None if acting is not None and acting.id == org.id else org))
    return sections


def deal_panels(user, org) -> list[Section]:
    """The deals by status on the enterprise's dashboard (portal/command), counted as the deal list shows them
    (those of all the user's organisations)."""
    trades = org.is_generator or org.is_collector or org.is_receiver
    if not trades or auth.membership(user, org.id).role == Role.DRIVER:
        return []
    figures = [Figure(DEAL_STATUS_LABELS[status], _count(deals_query(user, status=status)),
                      url_for("deals.deals", status=status)) for status in DEAL_STATUSES]
    return [Section("deals", _l("Deals"), 30, figures)]
