"""Weighbridges and scales, their API tokens, and the weighings they send for containers and batches."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import Organisation
from ...extensions import db
from ...types import UTCDateTime, utcnow

KINDS = ("weighbridge", "scale")
KIND_LABELS = {"weighbridge": _l("Weighbridge"), "scale": _l("Scale")}


class Device(db.Model):
    """A weighing instrument of an organisation, optionally installed at one of its sites."""

    __tablename__ = "weighing_devices"
    __table_args__ = (UniqueConstraint("organisation_id", "serial"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    serial: Mapped[str] = mapped_column(String(100))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    site = relationship("Site")
    tokens: Mapped[list["DeviceToken"]] = relationship(back_populates="device", order_by="DeviceToken.id")

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))

    @property
    def live_tokens(self) -> list["DeviceToken"]:
        return [t for t in self.tokens if t.revoked_at is None]


class DeviceToken(db.Model):
    """The secret a device sends as `Authorization: Device wfd_…`; only its SHA-256 is kept."""

    __tablename__ = "device_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("weighing_devices.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    device: Mapped[Device] = relationship(back_populates="tokens")


class WeighingRecord(db.Model):
    """One weighing of a container or a whole batch; net = gross − tare, in grams."""

    __tablename__ = "weighing_records"
    __table_args__ = (UniqueConstraint("device_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("weighing_devices.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    container_id: Mapped[int | None] = mapped_column(ForeignKey("containers.id"), index=True)
    gross_g: Mapped[int] = mapped_column(Integer)  # services bound it to MAX_GROSS_G (300 t)
    tare_g: Mapped[int] = mapped_column(Integer)
    net_g: Mapped[int] = mapped_column(Integer)
    weighed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    photo_path: Mapped[str | None] = mapped_column(String(200))  # relative to UPLOAD_DIR, a re-encoded JPEG
    ledger_event_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_events.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    request_hash: Mapped[str | None] = mapped_column(String(64))

    device: Mapped[Device] = relationship()
    batch = relationship("Batch")
    container = relationship("Container")
