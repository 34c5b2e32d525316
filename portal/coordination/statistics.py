"""Case statistics for the cases overview, the regulators' dashboard and the big screen."""
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select

from ..clock import CHINA
from ..extensions import db
from ..jurisdiction import area_prefix
from ..types import utcnow
from .models import OPEN_STATUSES, TIMED_STATUSES, Case, Status

SATISFIED = 4  # a rating of 4 or 5 of 5 counts as satisfied


def _instant(day: date, end: bool = False) -> datetime:
    return datetime.combine(day, time.max if end else time.min, tzinfo=CHINA).astimezone(UTC)


def _scope(division: str | None, start: date | None, end: date | None):
    """The cases opened in the division (the city, a district) between the two dates in China, both included."""
    conditions = []
    if division:
        conditions.append(Case.district_code.startswith(area_prefix(division)))
    if start:
        conditions.append(Case.opened_at >= _instant(start))
    if end:
        conditions.append(Case.opened_at <= _instant(end, end=True))
    return conditions


def _count_by(column, conditions) -> dict:
    rows = db.session.execute(select(column, func.count()).where(*conditions).group_by(column)).all()
    return {getattr(key, "value", key): n for key, n in rows if key is not None}


def case_statistics(division: str | None = None, start: date | None = None, end: date | None = None,
                    now: datetime | None = None) -> dict:
    """Cases by type, lead department, district and state; on time or overdue; satisfaction.

    on_time / late: cases whose result was reported (反馈) before / after their limit; overdue_open: cases a
    department still holds past their limit; satisfaction: the ratings of 评价 (mean, and the share of 4–5)."""
    now = now or utcnow()
    conditions = _scope(division, start, end)
    replied = [*conditions, Case.replied_at.is_not(None), Case.due_at.is_not(None)]
    ratings = db.session.execute(select(func.count(Case.rating), func.avg(Case.rating),
                                        func.count(Case.rating).filter(Case.rating >= SATISFIED))
                                 .where(*conditions)).one()
    rated, mean, satisfied = ratings
    return {
        "total": db.session.scalar(select(func.count(Case.id)).where(*conditions)) or 0,
        "open": db.session.scalar(select(func.count(Case.id)).where(*conditions, Case.status.in_(OPEN_STATUSES))) or 0,
        "by_type": _count_by(Case.case_type, conditions),
        "by_department": _count_by(Case.lead_department, conditions),
        "by_district": _count_by(Case.district_code, conditions),
        "by_status": _count_by(Case.status, conditions),
        "on_time": db.session.scalar(select(func.count(Case.id)).where(*replied, Case.replied_at <= Case.due_at)) or 0,
        "late": db.session.scalar(select(func.count(Case.id)).where(*replied, Case.replied_at > Case.due_at)) or 0,
        "overdue_open": db.session.scalar(select(func.count(Case.id)).where(
            *conditions, Case.status.in_(TIMED_STATUSES), Case.due_at < now)) or 0,
        "escalated": db.session.scalar(select(func.count(Case.id)).where(
            *conditions, Case.escalated_at.is_not(None))) or 0,
        "rated": rated or 0,
        "mean_rating": round(float(mean), 2) if mean is not None else None,
        "satisfied_share": round(satisfied / rated, 3) if rated else None,
        "closed": db.session.scalar(select(func.count(Case.id)).where(
            *conditions, Case.status.in_((Status.CLOSED, Status.VISITED, Status.RATED)))) or 0,
    }
