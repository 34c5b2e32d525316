"""Alert: a finding for regulators (and the organisation concerned), raised once per dedup key."""
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ...types import UTCDateTime, utcnow
from ...workflow import status_check

SEVERITIES = ("info", "warning", "critical")
KIND_LABELS = {"storage_over_year": _l("Hazardous waste stored over one year"),
               "facility_over_capacity": _l("Storage facility over capacity"),
               "facility_near_capacity": _l("Storage facility near its capacity (90 %)"),
               "manifest_receipt_overdue": _l("Receipt not confirmed within 5 working days"),
               "manifest_transit_overdue": _l("In transit longer than planned"),
               "manifest_weight_mismatch": _l("Weight received differs from weight shipped"),
               "manifest_treatment_overdue": _l("Received waste not treated in time"),
               "manifest_refusal_unresolved": _l("Refused waste not returned or forwarded in time"),
               "manifest_scan_exception": _l("Containers missing at a manifest step"),
               "licence_expiry": _l("Licence about to expire"),
               "transport_document_expiry": _l("Transport licence or certificate about to expire"),
               "report_overdue": _l("Public report past its deadline")}
STATUSES = ("open", "acknowledged", "closed")


class Alert(db.Model):
    __tablename__ = "alerts"
    __table_args__ = (status_check(STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50), index=True)
    severity: Mapped[str] = mapped_column(String(10), default="warning")
    status: Mapped[str] = mapped_column(String(15), default="open", index=True)
    # The same finding is raised once ever: e.g. 'storage_over_year:container:42'
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    department: Mapped[str] = mapped_column(String(20), default="ecology", index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    district_code: Mapped[str | None] = mapped_column(ForeignKey("divisions.code"), index=True)
    object_type: Mapped[str | None] = mapped_column(String(50))
    object_id: Mapped[int | None] = mapped_column()
    message_key: Mapped[str] = mapped_column(String(200))  # an English msgid, translated when shown
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)

    organisation = relationship("Organisation")
    acknowledged_by = relationship("User", foreign_keys=[acknowledged_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])


class AlertParty(db.Model):
    """A further organisation concerned by an alert (a manifest's other parties): it sees the alert in its
    own list and its admins are notified, while the alert stays one row for the regulator."""

    __tablename__ = "alert_parties"
    __table_args__ = (UniqueConstraint("alert_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)


class AlertSetting(db.Model):
    """Per waste stream thresholds of the manifest alerts, edited by platform admins; a stream without a
    row uses the defaults (5 % weight tolerance, treatment due within 20 working days)."""

    __tablename__ = "alert_settings"

    stream: Mapped[str] = mapped_column(String(20), primary_key=True)
    # basis points of the shipped weight: 500 = 5 %
    weight_tolerance_bp: Mapped[int] = mapped_column(Integer, default=500)
    treatment_due_days: Mapped[int] = mapped_column(Integer, default=20)  # working days after receipt
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class RefusalFollowUpSetting(db.Model):
    """One version of the city's rule: within how many working days after a refusal a follow-up manifest
    (return or forwarding) must be submitted for the refused waste. No row in force means the city has set
    no deadline, and no alert is raised: the platform never invents one."""

    __tablename__ = "refusal_follow_up_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    working_days: Mapped[int] = mapped_column(Integer)
    in_force_from: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
