"""A carrier's 道路运输经营许可证, its vehicles (with their 道路运输证) and its drivers and escorts (with their
从业资格证). The manifest's carrier legs point at these records; the pick-up checks their validity."""
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import Organisation
from ...extensions import db
from ...types import UTCDateTime, utcnow

VEHICLE_TYPES = ("tank_truck", "van_truck", "box_truck", "flatbed_truck", "tractor", "semi_trailer", "other")
VEHICLE_TYPE_LABELS = {
    "tank_truck": _l("Tank truck (罐式)"), "van_truck": _l("Van truck (厢式)"), "box_truck": _l("Box truck (栏板)"),
    "flatbed_truck": _l("Flatbed truck (平板)"), "tractor": _l("Tractor unit (牵引车)"),
    "semi_trailer": _l("Semi-trailer (挂车)"), "other": _l("Other vehicle"),
}
WORKER_KINDS = ("driver", "escort")
WORKER_KIND_LABELS = {"driver": _l("Driver of dangerous goods (驾驶员)"), "escort": _l("Escort (押运员)")}


def one_of(column: str, values) -> CheckConstraint:
    """A kind, not a status: named *_known so that the workflows' check of status columns leaves it alone."""
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({listed})", name=f"{column}_known")


class TransportLicence(db.Model):
    """道路运输经营许可证 of a carrier; its scope lists the dangerous goods classes (GB 6944: 1–9, or a division
    such as 6.1) it may carry, and whether it may carry general freight."""

    __tablename__ = "transport_licences"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    issuing_authority: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date, index=True)
    # ["3", "6.1", "8", "9"]: whole classes or divisions, as the licence prints them
    dangerous_goods: Mapped[list] = mapped_column(JSON, default=list)
    general_freight: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until

    def covers(self, dg_class: str) -> bool:
        """A division (6.1) is covered by itself or its whole class (6); a whole class only by itself."""
        return dg_class in self.dangerous_goods or dg_class.split(".")[0] in self.dangerous_goods


class Vehicle(db.Model):
    """A vehicle of a carrier, with its 道路运输证 (the permit to carry dangerous goods) and GPS terminal."""

    __tablename__ = "vehicles"
    __table_args__ = (one_of("vehicle_type", VEHICLE_TYPES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # normalised: no spaces or dots, upper case (豫MD12345); one plate is one vehicle in China
    plate: Mapped[str] = mapped_column(String(12), unique=True)
    vehicle_type: Mapped[str] = mapped_column(String(20))
    rated_load_kg: Mapped[int] = mapped_column(Integer)
    permit_number: Mapped[str] = mapped_column(String(40))
    permit_valid_until: Mapped[date] = mapped_column(Date, index=True)
    # JT/T 808 terminal phone number, or Traccar's uniqueId: what vehicle supervision matches positions on
    gps_device_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()

    @property
    def type_label(self) -> str:
        return str(VEHICLE_TYPE_LABELS.get(self.vehicle_type, self.vehicle_type))


class TransportWorker(db.Model):
    """A driver or escort (押运员) of dangerous goods with the qualification certificate (从业资格证) of that kind."""

    __tablename__ = "transport_workers"
    __table_args__ = (one_of("kind", WORKER_KINDS),
                      UniqueConstraint("organisation_id", "kind", "id_number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(30))
    id_number: Mapped[str] = mapped_column(String(18))  # 居民身份证号码; shown to the carrier and regulators only
    certificate_number: Mapped[str] = mapped_column(String(40))
    certificate_valid_until: Mapped[date] = mapped_column(Date, index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()

    @property
    def kind_label(self) -> str:
        return str(WORKER_KIND_LABELS.get(self.kind, self.kind))
