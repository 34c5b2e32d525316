"""Sites, storage facilities, batches and containers. Quantities are integer grams everywhere."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import Organisation
from ...extensions import db
from ...types import UTCDateTime, utcnow
from ...workflow import status_check
from ..models import Division, WasteCode

SITE_KINDS = ("generation", "storage", "treatment")
STREAMS = ("hazardous", "industrial", "medical", "construction", "household", "agricultural")
FORMS = ("solid", "semi_solid", "liquid", "gas")
UNITS = ("t", "kg", "g")
# A storage place declares its capacity either as a mass (t, held in grams) or as a volume (m³, held in litres).
CAPACITY_UNITS = ("t", "m3")

# A batch is 'open' while its containers are at the producer; 'merged' once all of them went into a
# collector's batch; later issues move it on (in_transit, received, treated).
BATCH_STATUSES = ("open", "merged", "in_transit", "received", "treated", "closed")
# A container is 'created' (not stored), 'stored' (facility_id set), 'retrieved' (out of storage again),
# 'merged' (consumed into another batch) or further along its transfer.
CONTAINER_STATUSES = ("created", "stored", "retrieved", "merged", "in_transit", "received", "treated")


def _generation_day(context) -> date:
    """A batch written without a clock date starts its storage year on the day it was generated."""
    return context.get_current_parameters()["generated_on"]


class Site(db.Model):
    """A place of an organisation: where waste is generated, stored or treated."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="generation")
    address: Mapped[str] = mapped_column(String(300))
    district_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    lat: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))  # WGS-84
    lon: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    district: Mapped[Division] = relationship()
    facilities: Mapped[list["StorageFacility"]] = relationship(back_populates="site")


class StorageFacility(db.Model):
    """A 贮存设施 on a site, with its declared capacity (in t, held as grams, or in m³, held as litres) and the
    waste streams it may hold."""

    __tablename__ = "storage_facilities"
    __table_args__ = (
        # a unit, not a status: no workflow walks it, so its check is not named like a status column's
        CheckConstraint(f"capacity_unit IN ({', '.join(repr(u) for u in CAPACITY_UNITS)})", name="capacity_unit_known"),
        CheckConstraint("(capacity_unit = 't' AND capacity_g IS NOT NULL) OR "
                        "(capacity_unit = 'm3' AND capacity_l IS NOT NULL)", name="capacity_declared"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    capacity_unit: Mapped[str] = mapped_column(String(2), default="t")
    capacity_g: Mapped[int | None] = mapped_column(Integer)
    capacity_l: Mapped[int | None] = mapped_column(Integer)
    streams: Mapped[str] = mapped_column(String(200), default="hazardous")  # comma list of STREAMS
    hazardous_allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship(back_populates="facilities")
    organisation: Mapped[Organisation] = relationship()

    @property
    def stream_list(self) -> list[str]:
        return [s for s in (self.streams or "").split(",") if s]


class Batch(db.Model):
    """A 产生批次: one waste code generated at one site on one day, packed into containers."""

    __tablename__ = "batches"
    __table_args__ = (status_check(BATCH_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    waste_code_id: Mapped[int] = mapped_column(ForeignKey("waste_codes.id"), index=True)
    waste_code: Mapped[str] = mapped_column(String(12), index=True)  # denormalised '900-249-08'
    stream: Mapped[str] = mapped_column(String(20), default="hazardous")
    quantity_g: Mapped[int] = mapped_column(Integer)
    unit_label: Mapped[str] = mapped_column(String(10), default="kg")  # the unit the quantity was entered in
    form: Mapped[str] = mapped_column(String(20))
    packaging: Mapped[str] = mapped_column(String(100))
    hazards: Mapped[str] = mapped_column(String(20), default="")  # 'T,I' from the catalogue
    main_components: Mapped[str | None] = mapped_column(Text)
    harmful_components: Mapped[str | None] = mapped_column(Text)
    generated_on: Mapped[date] = mapped_column(Date, index=True)
    # The day the one-year storage clock starts: generated_on, or for a merged batch the oldest clock of
    # what went into it (the merge does not restart the year).
    clock_from: Mapped[date] = mapped_column(Date, index=True, default=_generation_day)
    volume_l: Mapped[int | None] = mapped_column(Integer)  # litres, when known; m³ capacities need it
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ledger_head_seq: Mapped[int] = mapped_column(Integer, default=0)
    ledger_head_hash: Mapped[str] = mapped_column(String(64), default="0" * 64)

    organisation: Mapped[Organisation] = relationship()
    site: Mapped[Site | None] = relationship()
    catalogue_entry: Mapped[WasteCode] = relationship()
    containers: Mapped[list["Container"]] = relationship(back_populates="batch", order_by="Container.code")

    @property
    def hazard_list(self) -> list[str]:
        return [h for h in (self.hazards or "").split(",") if h]

    @property
    def is_hazardous(self) -> bool:
        return self.stream == "hazardous"


class Container(db.Model):
    """A 包装容器 with its 37-digit HJ 1276-2022 数字识别码."""

    __tablename__ = "containers"
    __table_args__ = (status_check(CONTAINER_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    code: Mapped[str] = mapped_column(String(37), unique=True)
    sequence: Mapped[int] = mapped_column(Integer)  # per producer + waste code + day
    quantity_g: Mapped[int] = mapped_column(Integer)
    packaging: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="created", index=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("storage_facilities.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    batch: Mapped[Batch] = relationship(back_populates="containers")
    facility: Mapped[StorageFacility | None] = relationship()
