"""Reminders before a carrier's document ends — a vehicle's 道路运输证, a driver's or escort's 从业资格证, the
road transport licence — 30 and 7 days ahead, each raised once per record and end date: after that day the
manifests it would carry cannot be picked up."""
from datetime import datetime, timedelta

from sqlalchemy import select

from ...clock import CHINA
from ...extensions import db
from ..alerts.services import N_, raise_alert, register_scanner
from .models import TransportLicence, TransportWorker, Vehicle

THRESHOLDS = ((7, "critical"), (30, "warning"))
VEHICLE = N_("The road transport permit %(number)s of %(plate)s (%(carrier)s) ends on %(date)s, in %(days)s days.")
WORKER = N_("The qualification certificate %(number)s of %(person)s (%(carrier)s) ends on %(date)s, in %(days)s "
            "days.")
LICENCE = N_("The road transport licence %(number)s of %(carrier)s ends on %(date)s, in %(days)s days.")


def _documents(today, horizon):
    """(record, end date, kind, message, params) of every active record whose document ends within horizon."""
    last = today + timedelta(days=horizon)
    for v in db.session.scalars(select(Vehicle).where(Vehicle.active, Vehicle.permit_valid_until >= today,
                                                      Vehicle.permit_valid_until <= last)):
        yield v, v.permit_valid_until, "vehicle", VEHICLE, {"number": v.permit_number, "plate": v.plate}
    for w in db.session.scalars(select(TransportWorker).where(
            TransportWorker.active, TransportWorker.certificate_valid_until >= today,
            TransportWorker.certificate_valid_until <= last)):
        yield w, w.certificate_valid_until, "transport_worker", WORKER, {"number": w.certificate_number,
                                                                          "person": w.name}
    for licence in db.session.scalars(select(TransportLicence).where(
            TransportLicence.valid_until >= today, TransportLicence.valid_until <= last)):
        yield licence, licence.valid_until, "transport_licence", LICENCE, {"number": licence.number}


@register_scanner
def scan_transport_document_expiry(now: datetime) -> int:
    """The tightest reminder each document has reached; a renewed document (a new end date) is reminded again.
    Raised for the transport bureau (交通运输局) and the carrier's administrators."""
    today = now.astimezone(CHINA).date()
    raised = 0
    for record, ends, kind, message, params in _documents(today, THRESHOLDS[-1][0]):
        days = (ends - today).days
        threshold, severity = next((t, s) for t, s in THRESHOLDS if days <= t)
        alert = raise_alert("transport_document_expiry", f"{kind}-expiry:{record.id}:{threshold}:{ends.isoformat()}",
                            message_key=message, severity=severity, organisation=record.organisation,
                            object_type=kind, object_id=record.id, department="transport",
                            params={**params, "carrier": record.organisation.name, "date": ends.isoformat(),
                                    "days": days})
        raised += alert is not None
    return raised
