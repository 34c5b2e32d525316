"""Reminders before a licence expires: 90, 30 and 7 days ahead, each raised once per licence and end date."""
from datetime import datetime, timedelta

from sqlalchemy import select

from ...extensions import db
from ..alerts.services import N_, raise_alert, register_scanner
from .models import Licence
from .services import CHINA

THRESHOLDS = ((7, "critical"), (30, "warning"), (90, "info"))
MESSAGE = N_("Licence %(number)s of %(holder)s expires on %(date)s, in %(days)s days.")


@register_scanner
def scan_licence_expiry(now: datetime) -> int:
    """Raise the tightest reminder each live licence has reached. A licence first seen at 20 days left gets
    the 30-day reminder only, not a stale 90-day one too. The end date is part of the key, so a licence
    whose validity is extended is reminded again before its new end."""
    today = now.astimezone(CHINA).date()
    horizon = THRESHOLDS[-1][0]
    licences = db.session.scalars(select(Licence).where(
        Licence.status != "revoked", Licence.valid_until >= today,
        Licence.valid_until <= today + timedelta(days=horizon))).all()
    raised = 0
    for licence in licences:
        days = (licence.valid_until - today).days
        threshold, severity = next((t, s) for t, s in THRESHOLDS if days <= t)
        key = f"licence-expiry:{licence.id}:{threshold}:{licence.valid_until.isoformat()}"
        alert = raise_alert("licence_expiry", key, message_key=MESSAGE, severity=severity,
                            organisation=licence.organisation, object_type="licence", object_id=licence.id,
                            params={"number": licence.number, "holder": licence.organisation.name,
                                    "date": licence.valid_until.isoformat(), "days": days})
        raised += alert is not None
    return raised
