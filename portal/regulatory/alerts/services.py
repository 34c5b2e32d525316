"""Raising alerts once per finding, the scanner registry, and the regulator's handling of alerts."""
import importlib
from collections.abc import Callable
from datetime import datetime

from blinker import Namespace
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from ...accounts.models import Membership, Organisation, Role
from ...auth import is_admin, jurisdiction_covers, regulator_of
from ...errors import DomainError, NotFound
from ...extensions import db
from ...jurisdiction import jurisdiction_code
from ...outbox import send_message
from ...types import utcnow
from ...workflow import Transition, Workflow
from .forms import STATUS_CHOICES
from .models import KIND_LABELS, SEVERITIES, STATUSES, Alert, AlertParty

# Modules whose import registers scanners; later issues add theirs here.
SCANNER_MODULES = ["portal.regulatory.batches.scanners", "portal.regulatory.manifests.alerts"]
_SCANNERS: dict[str, Callable[[datetime], int]] = {}


# sent with each new alert, inside the transaction that inserts it
alert_raised = Namespace().signal("alert_raised")


def N_(msgid: str) -> str:
    """Mark an alert message for extraction; it is stored untranslated and translated when shown."""
    return msgid


def raise_alert(kind: str, dedup_key: str, *, message_key: str, params: dict | None = None,
                severity: str = "warning", organisation: Organisation | None = None,
                district_code: str | None = None, object_type: str | None = None, object_id: int | None = None,
                department: str = "ecology", parties=()) -> Alert | None:
    """Insert the alert unless one with this dedup_key ever existed; returns it, or None when it did.
    Two scans racing on the same finding both try the insert; the unique key lets exactly one win.
    parties: further organisations concerned (a manifest's other parties); they see and are told too."""
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity}")
    if db.session.scalar(select(Alert.id).where(Alert.dedup_key == dedup_key)) is not None:
        return None
    alert = Alert(kind=kind, dedup_key=dedup_key, severity=severity, status="open", department=department,
                  organisation_id=getattr(organisation, "id", None),
                  district_code=district_code or getattr(organisation, "district_code", None),
                  object_type=object_type, object_id=object_id, message_key=message_key, params=params or {})
    try:
        with db.session.begin_nested():
            db.session.add(alert)
    except IntegrityError:
        return None
    if organisation is not None:
        _notify_admins(organisation, alert)
    told = {alert.organisation_id}
    for party in parties:
        if party is not None and party.id not in told:
            told.add(party.id)
            db.session.add(AlertParty(alert_id=alert.id, organisation_id=party.id))
            _notify_admins(party, alert)
    alert_raised.send(alert)  # in the same transaction: the cases area opens the alert's case (DESIGN: cases listens)
    return alert


def alert_message(alert: Alert) -> str:
    return _(alert.message_key, **(alert.params or {}))


def _notify_admins(organisation: Organisation, alert: Alert) -> None:
    admins = db.session.scalars(select(Membership).where(Membership.organisation_id == organisation.id,
                                                         Membership.role == Role.ADMIN))
    for membership in admins:
        user = membership.user
        if not user.email:
            continue
        # scans run from the CLI, outside any request: the recipient's language decides
        with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            send_message(user.email, _("Alert: %(kind)s", kind=KIND_LABELS.get(alert.kind, alert.kind)), alert_message(alert), user=user)


# --- scanners ----------------------------------------------------------------------------------

def register_scanner(fn: Callable[[datetime], int]) -> Callable[[datetime], int]:
    """Register fn(now) -> number of alerts raised, run by `wufei alerts scan`."""
    _SCANNERS[fn.__name__] = fn
    return fn


def scanners() -> dict[str, Callable[[datetime], int]]:
    for module in SCANNER_MODULES:
        importlib.import_module(module)
    return dict(_SCANNERS)


def scan_all(now: datetime | None = None) -> dict[str, int]:
    """Run every scanner; returns the number of new alerts per scanner. The caller commits."""
    now = now or utcnow()
    return {name: fn(now) for name, fn in sorted(scanners().items())}


# --- reading and handling ----------------------------------------------------------------------

def alerts_visible_to(user):
    """A select() of the alerts the user may see: a regulator's jurisdiction and department, an
    organisation's own alerts, everything for admins."""
    query = select(Alert)
    if is_admin(user):
        return query
    regulator = regulator_of(user)
    if regulator is not None:
        query = query.where(Alert.department == regulator.department.value)
        return query if regulator.jurisdiction_code == jurisdiction_code() else query.where(
            Alert.district_code == regulator.jurisdiction_code)
    ids = [m.organisation_id for m in user.memberships] if user.is_authenticated else []
    concerned = select(AlertParty.alert_id).where(AlertParty.organisation_id.in_(ids))
    return query.where(or_(Alert.organisation_id.in_(ids), Alert.id.in_(concerned)))


def get_alert(user, alert_id: int) -> Alert:
    alert = db.session.scalar(alerts_visible_to(user).where(Alert.id == alert_id))
    if alert is None:
        raise NotFound(_("Not found."))
    return alert


def _handler(alert: Alert, user, _org) -> bool:
    """A regulator whose jurisdiction covers the alert's district, or a platform admin."""
    return is_admin(user) or jurisdiction_covers(user, alert.district_code)


def _resolution(_alert: Alert, _user, _org, fields: dict) -> dict:
    note = fields.get("note")
    if not isinstance(note, str) or not note.strip():
        message = _("Say how the alert was resolved.")
        raise DomainError(message, fields={"note": message})
    return {"note": note.strip()}


ALERT = Workflow("alert", Alert, STATUSES, [
    Transition("open", "acknowledge", "acknowledged", "handler"),
    Transition("open", "close", "closed", "handler", _resolution),
    Transition("acknowledged", "close", "closed", "handler", _resolution),
], parties={"handler": _handler}, label=_l("alert"), state_labels=dict(STATUS_CHOICES[1:]),
    refusals={"handler": _l("Only regulators handle alerts.")})


def acknowledge_alert(user, alert: Alert) -> Alert:
    ALERT.step(alert, "acknowledge", user, values={"acknowledged_at": utcnow(), "acknowledged_by_id": user.id},
               organisation_id=alert.organisation_id)
    return alert


def close_alert(user, alert: Alert, note: str) -> Alert:
    note = note.strip() if isinstance(note, str) else note
    ALERT.step(alert, "close", user, fields={"note": note},
               values={"closed_at": utcnow(), "closed_by_id": user.id, "note": note},
               organisation_id=alert.organisation_id)
    return alert
