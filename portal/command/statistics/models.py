"""The aggregates derived from the ledger: grams per day × measure × stream × waste code × category × district ×
township × organisation, and the watermark of the incremental refresh."""
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Date, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ...types import UTCDateTime


class StatisticFigure(db.Model):
    """A derived row, never typed: deleted and recomputed from the ledger (per day, or all of it)."""

    __tablename__ = "statistic_figures"
    # every figure reads one measure over a period; the year-month pair serves months, quarters and years
    __table_args__ = (Index("ix_statistic_figures_measure_day", "measure", "day"),
                      Index("ix_statistic_figures_measure_year_month", "measure", "year", "month"))

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)  # in China
    year: Mapped[int] = mapped_column(SmallInteger)
    month: Mapped[int] = mapped_column(SmallInteger)
    measure: Mapped[str] = mapped_column(String(24))
    stream: Mapped[str] = mapped_column(String(20))
    waste_code: Mapped[str] = mapped_column(String(12))
    category: Mapped[str | None] = mapped_column(String(10))
    district_code: Mapped[str | None] = mapped_column(String(12))  # county level (6 digits)
    township_code: Mapped[str | None] = mapped_column(String(12))  # when the place is known to the township
    organisation_id: Mapped[int] = mapped_column(Integer)
    grams: Mapped[int] = mapped_column(BigInteger)
    events: Mapped[int] = mapped_column(Integer)


class StatisticsState(db.Model):
    """One row: how far the incremental refresh has read the ledger, and with which definitions."""

    __tablename__ = "statistics_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rebuilt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[str] = mapped_column(String(20))
    # ids below the watermark not yet seen (inserted by a transaction still open, or rolled back): id → first missed
    gaps: Mapped[dict] = mapped_column(JSON, default=dict)
