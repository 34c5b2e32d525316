"""The figures of the portal's own areas on the role homes: storage, manifests, licences, alerts, the
verification queue, the outbox and the health of the services.

Every figure counts with the same query its list uses (manifests_query, alerts_visible_to, the storage clock
…), so following its link shows the same number of rows.
"""
from datetime import date, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from .. import auth
from ..accounts.models import Organisation, OrgStatus, Role
from ..calendar.services import deadline
from ..clock import china_date, china_today
from ..extensions import db
from ..outbox import OutboxMessage
from ..regulatory.alerts.models import KIND_LABELS, Alert
from ..regulatory.alerts.services import alerts_visible_to
from ..regulatory.batches.models import Batch, Container, StorageFacility
from ..regulatory.batches.storage import KEPT_STATUSES, clock_of, keeper_id
from ..regulatory.licences.models import Licence
from ..regulatory.licences.services import licence_capacity
from ..regulatory.manifests.alerts import (
    RECEIPT_OVERDUE,
    RECEIPT_WORKING_DAYS,
    REFUSAL_UNRESOLVED,
    TRANSIT_OVERDUE,
    TREATMENT_OVERDUE,
)
from ..regulatory.manifests.services import manifests_query
from ..types import utcnow
from ..views import health_state
from .sections import Figure, Section, register_provider

# How many days before the end of its storage year a container shows on its keeper's home. The year itself is
# the rule (危险废物贮存一般不超过一年); this horizon only decides how early the keeper is reminded.
NEAR_LIMIT_DAYS = 30
LIMITS = ("near", "over")
OVERDUE_KINDS = (RECEIPT_OVERDUE, TRANSIT_OVERDUE, TREATMENT_OVERDUE, REFUSAL_UNRESOLVED)
SEVERITY_LABELS = {"critical": _l("Critical alerts"), "warning": _l("Warnings"), "info": _l("Information")}


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def _office_orgs(user) -> list[Organisation]:
    """The user's organisations where it is no driver (a driver only sees its transport tasks)."""
    return [m.organisation for m in user.memberships if m.role != Role.DRIVER]


# --- the storage year --------------------------------------------------------------------------------

def clocks_near_limit(org: Organisation, limit: str, today: date | None = None) -> list:
    """The storage clocks of the hazardous containers the organisation keeps whose year ends within
    NEAR_LIMIT_DAYS ("near") or has ended ("over"), oldest first."""
    today = today or china_today()
    # a receipt only ever starts a later clock than its batch's: the batch's clock is a safe first filter
    oldest_start = today - timedelta(days=366 - NEAR_LIMIT_DAYS)
    candidates = db.session.scalars(
        select(Container).join(Batch, Container.batch_id == Batch.id)
        .where(Container.status.in_(KEPT_STATUSES), Batch.stream == "hazardous", Batch.clock_from <= oldest_start,
               or_(Batch.organisation_id == org.id, Container.status == "received"))
        .options(joinedload(Container.batch), joinedload(Container.facility).joinedload(StorageFacility.site))
        .order_by(Container.id))
    clocks = []
    for container in candidates:
        clock = clock_of(container)
        days_left = clock.days_left(today)
        wanted = days_left < 0 if limit == "over" else 0 <= days_left <= NEAR_LIMIT_DAYS
        if wanted and keeper_id(container) == org.id:
            clocks.append(clock)
    return sorted(clocks, key=lambda c: (c.started_on, c.container.id))


def _keeps_waste(org: Organisation) -> bool:
    return org.is_generator or org.is_collector or org.is_receiver


@register_provider
def storage_sections(user) -> list[Section]:
    sections = []
    for org in _office_orgs(user):
        if not _keeps_waste(org):
            continue
        near, over = clocks_near_limit(org, "near"), clocks_near_limit(org, "over")
        figures = [
            Figure(_l("Containers past the one-year storage limit"), len(over),
                   url_for("home.storage", org=org.id, limit="over"), "bad" if over else ""),
            Figure(_l("Containers reaching the one-year limit within %(days)s days", days=NEAR_LIMIT_DAYS),
                   len(near), url_for("home.storage", org=org.id, limit="near"), "wait" if near else "",
                   detail=_l("The first on %(day)s", day=near[0].due_on.isoformat()) if near else None)]
        sections.append(Section(f"storage-{org.id}", _l("Storage at %(name)s", name=org.name), 10, figures))
    return sections


# --- manifests ---------------------------------------------------------------------------------------

def _manifests(user, role: str, status: str, **filters) -> int:
    """The number of the user's manifests in a state, for one of its roles, and the list that shows them."""
    return _count(manifests_query(user, role=role, status=status, **filters))


def _manifest_url(role: str, status: str, **filters) -> str:
    return url_for("manifests.index", role=role, status=status,
                   **{name: value.isoformat() for name, value in filters.items()})


def receipt_due_dates(user) -> list:
    """The last moment of each delivered manifest's receipt, 5 working days after its delivery, soonest first."""
    delivered = db.session.scalars(manifests_query(user, role="receiver", status="delivered"))
    return sorted(deadline(m.delivered_at, RECEIPT_WORKING_DAYS) for m in delivered if m.delivered_at)


def _generator_figures(user) -> list[Figure]:
    drafts = _manifests(user, "generator", "draft")
    return [Figure(_l("Drafts to submit"), drafts, _manifest_url("generator", "draft"), "wait" if drafts else "")]


def _receiver_figures(user) -> list[Figure]:
    figures = []
    for status, label in (("submitted", _l("Announced to you")), ("in_transit", _l("On their way to you")),
                          ("handed_over", _l("On their way to you, handed over"))):
        count = _manifests(user, "receiver", status)
        if count or status != "handed_over":  # a hand-over between carriers is rare: shown when there is one
            figures.append(Figure(label, count, _manifest_url("receiver", status)))
    dues = receipt_due_dates(user)
    now = utcnow()
    overdue = sum(due < now for due in dues)
    detail = None
    if overdue:
        detail = _l("%(n)s past the 5 working days", n=overdue)
    elif dues:
        detail = _l("The first due on %(day)s", day=china_date(dues[0]).isoformat())
    figures.append(Figure(_l("Delivered: confirm receipt within 5 working days"), len(dues),
                          _manifest_url("receiver", "delivered"), "bad" if overdue else ("wait" if dues else ""),
                          detail=detail))
    for status, label in (("received", _l("Received: record treatment")),
                          ("partly_received", _l("Partly received: record treatment"))):
        count = _manifests(user, "receiver", status)
        figures.append(Figure(label, count, _manifest_url("receiver", status), "wait" if count else ""))
    return figures


def _carrier_figures(user) -> list[Figure]:
    today = china_today()
    yesterday = today - timedelta(days=1)
    due_today = _manifests(user, "carrier", "submitted", date_from=today, date_to=today)
    late = _manifests(user, "carrier", "submitted", date_to=yesterday)
    figures = [
        Figure(_l("Pick-ups planned for today"), due_today,
               _manifest_url("carrier", "submitted", date_from=today, date_to=today), "wait" if due_today else ""),
        Figure(_l("Pick-ups planned for an earlier day"), late,
               _manifest_url("carrier", "submitted", date_to=yesterday), "bad" if late else "")]
    for status, label in (("in_transit", _l("On the road: to deliver")),
                          ("handed_over", _l("Handed over to you: to deliver"))):
        count = _manifests(user, "carrier", status)
        figures.append(Figure(label, count, _manifest_url("carrier", status), "wait" if count else ""))
    return figures


@register_provider
def manifest_sections(user) -> list[Section]:
    """Manifests waiting for the user's organisations, by role. The manifest list shows those of all the user's
    organisations, so these figures count them all too."""
    offices = _office_orgs(user)
    sections = []
    if any(o.is_generator for o in offices):
        sections.append(Section("outgoing", _l("Outgoing manifests"), 20, _generator_figures(user)))
    if any(o.is_receiver for o in offices):
        sections.append(Section("incoming", _l("Incoming manifests"), 21, _receiver_figures(user)))
    if any(m.organisation.is_transporter for m in user.memberships):
        sections.append(Section("tasks", _l("Today's transport tasks"), 5, _carrier_figures(user)))
    return sections


# --- licences ----------------------------------------------------------------------------------------

@register_provider
def licence_sections(user) -> list[Section]:
    """The capacity used this year of each licence in force of the user's receiving organisations."""
    receivers = [o.id for o in _office_orgs(user) if o.is_receiver]
    if not receivers:
        return []
    licences = db.session.scalars(select(Licence).where(
        Licence.organisation_id.in_(receivers), Licence.status == "active", Licence.valid_until >= china_today())
        .order_by(Licence.valid_until, Licence.id)).all()
    figures = []
    for licence in licences:
        capacity = licence_capacity(licence)
        percent = capacity.used_g * 100 // capacity.total_g if capacity.total_g else 0
        figures.append(Figure(
            _l("Licence %(number)s: capacity used in %(year)s", number=licence.number, year=capacity.year), None,
            url_for("licences.detail", licence_id=licence.id), "bad" if percent >= 100 else ("wait" if percent >= 90
                                                                                              else ""),
            value=f"{percent} %", detail=_l("%(used)s t of %(total)s t, received or on the way",
                                             used=_tonnes(capacity.used_g), total=_tonnes(capacity.total_g))))
    note = None if figures else _l("No licence in force: you may not receive hazardous waste.")
    return [Section("licences", _l("Licensed capacity"), 22, figures, note)]


def _tonnes(grams: int) -> str:
    return f"{grams / 1_000_000:,.1f}"


# --- alerts ------------------------------------------------------------------------------------------

def _open_alerts(user):
    return alerts_visible_to(user).where(Alert.status == "open")


def _overseer(user) -> bool:
    return auth.is_admin(user) or auth.regulator_of(user) is not None


@register_provider
def alert_sections(user) -> list[Section]:
    if _overseer(user):
        figures = []
        for severity in ("critical", "warning", "info"):
            count = _count(_open_alerts(user).where(Alert.severity == severity))
            figures.append(Figure(SEVERITY_LABELS[severity], count,
                                  url_for("alerts.inbox", status="open", severity=severity),
                                  {"critical": "bad", "warning": "wait"}.get(severity, "") if count else ""))
        overdue = []
        for kind in OVERDUE_KINDS:
            count = _count(_open_alerts(user).where(Alert.kind == kind))
            overdue.append(Figure(KIND_LABELS[kind], count, url_for("alerts.inbox", status="open", kind=kind),
                                  "wait" if count else ""))
        return [Section("alerts", _l("Open alerts in your jurisdiction"), 30, figures),
                Section("overdue", _l("Manifests overdue"), 31, overdue)]
    if not user.memberships or not _office_orgs(user):
        return []
    count = _count(_open_alerts(user))
    return [Section("alerts", _l("Alerts"), 40, [
        Figure(_l("Open alerts about your organisation"), count, url_for("alerts.inbox", status="open"),
               "bad" if count else "")])]


# --- verification, outbox, health --------------------------------------------------------------------

@register_provider
def verification_sections(user) -> list[Section]:
    if not _overseer(user):
        return []
    pending = _count(auth.orgs_visible_to(user).where(Organisation.status == OrgStatus.PENDING))
    return [Section("verification", _l("Enterprises to verify"), 35, [
        Figure(_l("Registrations awaiting verification"), pending,
               url_for("accounts.review_queue", status=OrgStatus.PENDING.value), "wait" if pending else "")])]


HEALTH_LABELS = {"database": _l("Database"), "search": _l("Search"), "queue": _l("Job queue")}
STATE_LABELS = {"ok": _l("working"), "down": _l("not answering"), "sql": _l("SQL search (no Meilisearch)"),
                "inline": _l("jobs run in the request (no Redis)")}


@register_provider
def admin_sections(user) -> list[Section]:
    if not auth.is_admin(user):
        return []
    unsent = select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
    waiting = _count(unsent.where(OutboxMessage.error.is_(None)))
    failed = _count(unsent.where(OutboxMessage.error.is_not(None)))
    outbox = [Figure(_l("Messages not sent yet"), waiting, url_for("admin.outbox", state="unsent")),
              Figure(_l("Messages that failed"), failed, url_for("admin.outbox", state="failed"),
                     "bad" if failed else "")]
    health = [Figure(HEALTH_LABELS[name], None, url_for("core.healthz"), "bad" if state == "down" else "",
                     value=str(STATE_LABELS.get(state, state)))
              for name, state in health_state().items()]
    return [Section("outbox", _l("Outbox"), 50, outbox), Section("health", _l("System health"), 51, health)]
