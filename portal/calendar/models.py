"""Exceptions to the weekend rule: official holidays and the weekend days worked in exchange (调休)."""
import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, Enum, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..types import UTCDateTime, utcnow


class DayKind(enum.StrEnum):
    HOLIDAY = "holiday"
    WORKDAY = "workday"  # a Saturday or Sunday worked in exchange for a bridging day off


class DaySource(enum.StrEnum):
    BUNDLED = "bundled"  # from portal/calendar/data/cn_holidays.csv, refreshed by the loader
    ADMIN = "admin"  # entered by an administrator, never touched by the loader


KIND_LABELS = {DayKind.HOLIDAY.value: _l("Public holiday"), DayKind.WORKDAY.value: _l("Make-up working day (调休)")}
SOURCE_LABELS = {DaySource.BUNDLED.value: _l("State Council notice (bundled)"),
                 DaySource.ADMIN.value: _l("Added by an administrator")}


def _enum(cls):
    return Enum(cls, native_enum=False, length=10, values_callable=lambda e: [m.value for m in e])


class CalendarDay(db.Model):
    """A day that does not follow the weekend rule. Days not stored here are working days Monday–Friday."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[DayKind] = mapped_column(_enum(DayKind))
    name: Mapped[str] = mapped_column(String(100))
    source: Mapped[DaySource] = mapped_column(_enum(DaySource), default=DaySource.ADMIN, index=True)
    # No foreign key on purpose: this is reference data that must outlive user rows (PostgreSQL's
    # TRUNCATE … CASCADE on users would empty it); the audit trail names the actor for good.
    created_by_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
