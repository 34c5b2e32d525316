"""The clock of the business rules: "today" is the date in China (Asia/Shanghai), whatever the host's zone.

A host on UTC is still on yesterday until 08:00 in China, so `date.today()` would let a label be dated, a
licence expire or a listing lapse on the wrong day. Every rule asks china_today() (ruff's DTZ rules keep naive
clocks out); timestamps stay UTC (portal.types.utcnow) and are shown in China's zone.
"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .types import utcnow

CHINA = ZoneInfo("Asia/Shanghai")


def china_date(instant: datetime) -> date:
    """The calendar date in China of an aware instant."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime given where a UTC timestamp is expected")
    return instant.astimezone(CHINA).date()


def china_today() -> date:
    """Today's date in China: the one "today" of every business rule."""
    return china_date(utcnow())
