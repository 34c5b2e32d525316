"""The main navigation, grouped by task for each role.

A link is shown only to users whom its target view lets in (the checks of portal/auth.py that the view
applies), and only to users who have a use for it: a driver has no register to keep. Areas add their
links here by endpoint name, so that portal imports none of them.
"""
from dataclasses import dataclass, field

from flask import request
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user

from . import auth
from .accounts.models import Role


@dataclass(frozen=True)
class Link:
    endpoint: str
    label: object  # a lazy string, translated when rendered
    values: dict = field(default_factory=dict)

    @property
    def is_current(self) -> bool:
        """The page shown is this link's target (aria-current tells screen reader users where they are)."""
        return request.endpoint == self.endpoint and all(
            request.args.get(name) == str(value) for name, value in self.values.items())


@dataclass(frozen=True)
class Group:
    key: str  # stable, used for the element ids
    label: object
    links: tuple[Link, ...]


PUBLIC = Group("public", _l("Public services"), (
    Link("reports.new", _l("Report dumping")),
    Link("reports.index", _l("Public reports")),
    Link("trace.landing", _l("Trace waste")),
    Link("regulatory.catalogue", _l("Catalogue")),
    Link("hall.index", _l("Information hall")),
))
BROWSE = (Link("marketplace.browse", _l("Browse listings")), Link("marketplace.demand_board", _l("Wanted")))
DASHBOARD = Link("command_dashboard.index", _l("Dashboard"))
OVERSIGHT = Group("oversight", _l("Supervision"), (
    Link("accounts.review_queue", _l("Verify enterprises")),
    Link("alerts.inbox", _l("Alerts")),
    Link("cases.index", _l("Cases")),
    Link("report_staff.inbox", _l("Reports inbox")),
    Link("declarations.queue", _l("Declarations")),
    Link("plans.queue", _l("Management plans")),
))
# the city's own command centre: not for a regulator of another area, who has no jurisdiction here
COMMAND = Group("command", _l("Command centre"), (
    DASHBOARD,
    Link("statistics.index", _l("City statistics")),
    Link("command_map.index", _l("One map")),
    Link("command_screen.wall", _l("Big screen")),
    Link("emergency.incident_list", _l("Incidents")),
    Link("emergency.plans", _l("Emergency plans")),
))
TRACKING = Group("tracking", _l("Waste tracking"), (
    Link("batches.batch_list", _l("Batches")),
    Link("manifests.index", _l("Manifests")),
    Link("transfers.approvals", _l("Transfer approvals")),
    Link("transfers.incoming", _l("Arrivals from other cities")),
    Link("licences.index", _l("Licences")),
    Link("transport.index", _l("Fleet and drivers")),
    Link("register.index", lazy_pgettext("waste register", "Register")),
    Link("general.index", _l("General waste")),
    Link("trace.scanner", _l("Scan a label")),  # inspectors open a label's full view
))
ADMINISTRATION = Group("admin", _l("Administration"), (
    Link("admin.index", _l("Administration")),
    Link("alert_settings.index", _l("Alert thresholds")),
    Link("calendar.index", _l("Working-day calendar")),
    Link("emergency.templates", _l("Plan templates")),
    Link("emergency.rules", _l("Grading tables")),
    Link("payments.operator_list", _l("Payments")),
))
TRANSPORT_TASKS = Link("manifests.index", _l("Transport tasks"), {"role": "carrier"})
SCAN = Link("trace.scanner", _l("Scan a label"))
FLEET = Link("transport.index", _l("Fleet and drivers"))


def nav_groups(user=None) -> list[Group]:
    """The groups of links the user sees, in the order they are shown; the account links come last."""
    user = user if user is not None else current_user
    if not user.is_authenticated:
        return [PUBLIC, Group("market", _l("Marketplace"), BROWSE)]
    groups = []
    overseer = auth.regulator_of(user) is not None or auth.is_admin(user)
    if overseer:
        groups += [COMMAND, OVERSIGHT, TRACKING] if auth.oversees_city(user) else [OVERSIGHT, TRACKING]
    org = auth.current_org()
    if org is not None:
        groups += _enterprise_groups(user, org)
    elif not overseer:
        groups += [PUBLIC, Group("market", _l("Marketplace"), BROWSE + (
            Link("marketplace.saved_searches", _l("Saved searches")),)),
            Group("enterprise", _l("Enterprise"), (
                Link("accounts.register_organisation", _l("Register an enterprise")),))]
    if auth.is_admin(user):
        groups.append(ADMINISTRATION)
    return groups


def _manifest_links(org) -> tuple[Link, ...]:
    links = [Link("manifests.index", _l("Manifests")), Link("general.index", _l("General waste")),
             Link("transfers.approvals", _l("Transfer approvals"))]
    if org.is_receiver:
        links.append(Link("transfers.incoming", _l("Arrivals from other cities")))
    return tuple(links)


def _enterprise_groups(user, org) -> list[Group]:
    """What the acting organisation's member works with: its capabilities and the member's role decide."""
    handles_waste = org.is_generator or org.is_collector or org.is_receiver
    if auth.membership(user, org.id).role == Role.DRIVER:
        return [Group("transport", _l("Transport"), (TRANSPORT_TASKS, SCAN)),
                Group("market", _l("Marketplace"), BROWSE[:1])]
    if not handles_waste:  # a transport company's office
        return [Group("transport", _l("Transport"), (TRANSPORT_TASKS, SCAN, FLEET)),
                Group("market", _l("Marketplace"), BROWSE[:1]),
                Group("enterprise", _l("Enterprise"), (Link("accounts.organisation", _l("My organisation")),))]
    waste = [SCAN]
    if org.is_generator or org.is_collector:
        waste = [Link("batches.batch_list", _l("Batches")), Link("batches.sites", _l("Sites")),
                 Link("batches.stock", _l("Stock")), SCAN]
    trade = [*BROWSE, Link("marketplace.my_listings", _l("My listings")),
             Link("marketplace.my_demand", _l("My demand")), Link("deals.inbox", _l("Offers")),
             Link("deals.deals", _l("Deals"))]
    if org.is_receiver or org.is_collector:  # matches are listings a receiver may legally take
        trade.append(Link("deals.matches", _l("Matches")))
    trade.append(Link("marketplace.saved_searches", _l("Saved searches")))
    compliance = [Link("register.index", lazy_pgettext("waste register", "Register")), Link("declarations.index", _l("Declarations"))]
    if org.is_generator:  # 危险废物管理计划 are filed by generators
        compliance.append(Link("plans.index", _l("Management plans")))
    compliance.append(Link("emergency.plans", _l("Emergency plans")))  # every waste handler files one (第八十五条)
    if org.is_receiver or org.is_collector:  # the licences list shows the organisation's own
        compliance.append(Link("licences.index", _l("Licences")))
    compliance.append(Link("alerts.inbox", _l("Alerts")))
    enterprise = [DASHBOARD, Link("accounts.organisation", _l("My organisation")),
                  Link("weighing.devices", _l("Weighing devices"))]
    if auth.is_org_admin(user, org.id):  # the payee profile is managed by the organisation's administrators
        enterprise.append(Link("payments.payee_profile", _l("How we are paid")))
    return [Group("waste", _l("Waste"), tuple(waste)),
            Group("manifests", _l("Transfer manifests"), _manifest_links(org)),
            Group("market", _l("Marketplace"), tuple(trade)),
            Group("compliance", _l("Compliance"), tuple(compliance)),
            Group("enterprise", _l("Enterprise"), tuple(enterprise))]


def init_nav(app) -> None:
    app.add_template_global(nav_groups)
