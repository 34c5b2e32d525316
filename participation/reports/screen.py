"""The public reports' figures on the big screen: reports per district in a period, and those still open.

Counts only, which the public variant of the screen shows too; duplicates merged into another report are left
out so that one dumping site counts once."""
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import case, func, select

from portal.clock import CHINA
from portal.extensions import db
from portal.jurisdiction import area_prefix

from .models import OPEN_STATUSES, Report, Status


def reports_by_district(division_code: str, first: date, last: date) -> dict[str, tuple[int, int]]:
    """{district code: (reports filed from the first to the last day, in China, of them still open)}."""
    since = datetime(first.year, first.month, first.day, tzinfo=CHINA).astimezone(UTC)
    until = datetime(last.year, last.month, last.day, tzinfo=CHINA).astimezone(UTC) + timedelta(days=1)
    still_open = func.sum(case((Report.status.in_(OPEN_STATUSES), 1), else_=0))
    rows = db.session.execute(
        select(Report.district_code, func.count(), still_open)
        .where(Report.district_code.startswith(area_prefix(division_code)), Report.status != Status.DUPLICATE,
               Report.created_at >= since, Report.created_at < until)
        .group_by(Report.district_code))
    return {code: (int(total), int(open_ or 0)) for code, total, open_ in rows}
