"""The portal's own panels on the dashboards: manifests, overdue steps, alerts, licences and storage for the
regulators; the register's figures, the storage clock and the manifests for an enterprise.

Each figure counts with the query of the list it links to (manifests_query, alerts_visible_to,
filter_licences, the register), filtered as the link filters it, so following it shows the same rows.
"""
from datetime import date

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..extensions import db
from ..home.sections import Figure, Section
from ..home.services import OVERDUE_KINDS, SEVERITY_LABELS, storage_sections
from ..home.services import _count as count_rows
from ..regulatory.alerts.models import KIND_LABELS, Alert
from ..regulatory.alerts.services import alerts_visible_to
from ..regulatory.declarations.services import FIGURE_LABELS, ledger_figures, tonnes
from ..regulatory.licences.reminders import THRESHOLDS
from ..regulatory.licences.services import filter_licences, licences_visible_to, near_capacity_ids
from ..regulatory.manifests.models import STATES
from ..regulatory.manifests.services import manifests_query
from ..regulatory.manifests.states import STATE_LABELS
from ..regulatory.register import monthly_register, this_month
from .sections import Scope, register_panel

STORAGE_KINDS = ("storage_over_year", "facility_over_capacity", "facility_near_capacity")
# a licence shows as near its end from the first reminder its holder receives (90 days ahead)
EXPIRY_HORIZON_DAYS = max(days for days, _severity in THRESHOLDS)
DECLARED = ("generated", "transferred_out", "treated", "stock")  # the figures of a declaration, in its order


def _tone(count: int, tone: str) -> str:
    return tone if count else ""


# --- the regulators' dashboard ---------------------------------------------------------------------

@register_panel
def manifest_panels(scope: Scope) -> list[Section]:
    """The manifests whose pick-up is planned for today, by state (drafts are the generators' own)."""
    today = scope.today
    figures = []
    for state in STATES:
        if state == "draft":
            continue
        count = count_rows(manifests_query(scope.user, status=state, district=scope.district,
                                           date_from=today, date_to=today))
        figures.append(Figure(STATE_LABELS[state], count, url_for(
            "manifests.index", **scope.filters(status=state, date_from=today.isoformat(), date_to=today.isoformat()))))
    return [Section("today", _l("Manifests with a pick-up planned for today"), 10, figures)]


def _open_alerts(scope: Scope):
    query = alerts_visible_to(scope.user).where(Alert.status == "open")
    return query.where(Alert.district_code == scope.district) if scope.district else query


def _alert_figure(scope: Scope, label, tone: str, **filters) -> Figure:
    query = _open_alerts(scope)
    for name, value in filters.items():
        query = query.where(getattr(Alert, name) == value)
    count = count_rows(query)
    return Figure(label, count, url_for("alerts.inbox", **scope.filters(status="open", **filters)), _tone(count, tone))


@register_panel
def alert_panels(scope: Scope) -> list[Section]:
    """Overdue manifest steps, storage beyond its limits, and every open alert by severity and by rule."""
    overdue = [_alert_figure(scope, KIND_LABELS[kind], "bad", kind=kind) for kind in OVERDUE_KINDS]
    storage = [_alert_figure(scope, KIND_LABELS[kind], "bad" if kind != "facility_near_capacity" else "wait",
                             kind=kind) for kind in STORAGE_KINDS]
    severities = [_alert_figure(scope, SEVERITY_LABELS[severity], {"critical": "bad", "warning": "wait"}.get(
        severity, ""), severity=severity) for severity in ("critical", "warning", "info")]
    by_rule = [_alert_figure(scope, KIND_LABELS.get(kind, kind), "", kind=kind) for kind in _open_kinds(scope)]
    return [
        Section("overdue", _l("Manifests overdue"), 20, overdue),
        Section("storage", _l("Storage over its limits"), 22, storage,
                _l("Open alerts of the daily scan: containers kept over one year, storage places over their "
                   "declared capacity.")),
        Section("severity", _l("Open alerts by severity"), 30, severities),
        Section("rules", _l("Open alerts by rule"), 31, by_rule, None if by_rule else _l("No open alert.")),
    ]


def _open_kinds(scope: Scope) -> list[str]:
    """The rules that have open alerts in the scope, the most frequent first."""
    rows = _open_alerts(scope).subquery()
    counted = db.session.execute(select(rows.c.kind, func.count()).group_by(rows.c.kind)
                                 .order_by(func.count().desc(), rows.c.kind)).all()
    return [kind for kind, _count in counted]


@register_panel
def licence_panels(scope: Scope) -> list[Section]:
    """Licences that end soon or whose annual capacity is nearly used."""
    visible = licences_visible_to(scope.user)
    expiring = count_rows(filter_licences(visible, district=scope.district, expiring_within=EXPIRY_HORIZON_DAYS,
                                          today=scope.today))
    near = len(near_capacity_ids(filter_licences(visible, district=scope.district), scope.today))
    return [Section("licences", _l("Licences"), 24, [
        Figure(_l("Ending within %(days)s days", days=EXPIRY_HORIZON_DAYS), expiring,
               url_for("licences.index", **scope.filters(expiring=EXPIRY_HORIZON_DAYS)), _tone(expiring, "wait")),
        Figure(_l("90 percent or more of the annual capacity used"), near,
               url_for("licences.index", **scope.filters(capacity="near")), _tone(near, "wait"))])]


# --- the enterprise's dashboard --------------------------------------------------------------------

def _declared_figures(totals: dict, url: str) -> list[Figure]:
    return [Figure(FIGURE_LABELS[name], None, url, value=f"{tonnes(totals.get(name, 0))} t") for name in DECLARED]


@register_panel(audience="enterprise")
def register_panels(user, org) -> list[Section]:
    """This month's and this year's figures from the ledger, as the register shows them and the monthly and
    annual declarations will (the same functions compute them)."""
    if not (org.is_generator or org.is_collector or org.is_receiver):
        return []
    month = this_month()
    month_totals = monthly_register(org, month).totals.grams
    year_totals: dict[str, int] = {}
    for figures in ledger_figures(org, date(month.year, 1, 1), date(month.year, 12, 31)).values():
        for name, grams in figures.items():
            year_totals[name] = year_totals.get(name, 0) + grams
    month_url = url_for("register.index", organisation=org.id, month=month.strftime("%Y-%m"))
    year_url = url_for("declarations.index", period=str(month.year))
    return [
        Section("month", _l("This month, as the register and the monthly declaration show it"), 10,
                _declared_figures(month_totals, month_url)),
        Section("year", _l("This year so far, as the annual declaration will show it"), 11,
                _declared_figures(year_totals, year_url))]


@register_panel(audience="enterprise")
def storage_clock_panels(user, org) -> list[Section]:
    """The storage year of the organisation's hazardous containers: the home's section for it."""
    return [section for section in storage_sections(user) if section.key == f"storage-{org.id}"]


def _manifest_section(user, key: str, title, role: str, order: int) -> Section:
    figures = []
    for state in STATES:
        count = count_rows(manifests_query(user, role=role, status=state))
        figures.append(Figure(STATE_LABELS[state], count, url_for("manifests.index", role=role, status=state)))
    return Section(key, title, order, figures)


@register_panel(audience="enterprise")
def enterprise_manifest_panels(user, org) -> list[Section]:
    """The manifests by state, as the manifest list shows them (those of all the user's organisations)."""
    sections = []
    if org.is_generator or org.is_collector:
        sections.append(_manifest_section(user, "outgoing", _l("Outgoing manifests"), "generator", 20))
    if org.is_receiver:
        sections.append(_manifest_section(user, "incoming", _l("Incoming manifests"), "receiver", 21))
    return sections
