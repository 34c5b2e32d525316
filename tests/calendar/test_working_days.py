"""Counting Chinese working days: the State Council's holidays and 调休 make-up days, in every deadline."""
import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.audit import AuditEntry
from portal.calendar import services
from portal.calendar.models import CalendarDay, DayKind, DaySource
from portal.errors import DomainError
from portal.extensions import db

UNCOVERED = 2031  # a year no State Council notice exists for yet


def _days(first: date, last: date):
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.fixture
def admin(ctx, factory):
    return db.session.merge(factory.user(email="calendar-admin@example.cn", admin=True))


def test_national_day_2024_and_its_make_up_days(ctx):
    assert not any(services.is_working_day(d) for d in _days(date(2024, 10, 1), date(2024, 10, 7)))
    assert date(2024, 9, 29).weekday() == 6 and services.is_working_day(date(2024, 9, 29))
    assert date(2024, 10, 12).weekday() == 5 and services.is_working_day(date(2024, 10, 12))
    assert services.is_working_day(date(2024, 10, 8))
    assert not services.is_working_day(date(2024, 10, 13))  # an ordinary Sunday


def test_spring_festival_2025_sunday_is_worked_and_national_day_2025_lasts_eight_days(ctx):
    assert date(2025, 1, 26).weekday() == 6 and services.is_working_day(date(2025, 1, 26))
    assert not any(services.is_working_day(d) for d in _days(date(2025, 10, 1), date(2025, 10, 8)))
    assert services.is_working_day(date(2025, 10, 9))


def test_the_first_working_day_after_30_september_2025_is_9_october(ctx):
    assert services.add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert services.add_working_days(date(2025, 10, 9), -1) == date(2025, 9, 30)
    assert services.working_days_between(date(2025, 9, 30), date(2025, 10, 9)) == 1


def test_a_make_up_saturday_counts_as_a_working_day(ctx):
    # 2025-10-11 is a Saturday worked for the National Day holiday
    assert services.add_working_days(date(2025, 10, 10), 1) == date(2025, 10, 11)
    # 2025-09-28, a Sunday, too
    assert services.add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)
    # five working days from a delivery on 30 September: 9, 10, 11 (Saturday), 13, 14 October
    assert services.add_working_days(date(2025, 9, 30), 5) == date(2025, 10, 14)


def test_zero_days_is_the_start_and_counting_round_trips(ctx):
    assert services.add_working_days(date(2025, 10, 3), 0) == date(2025, 10, 3)
    for start in _days(date(2025, 9, 25), date(2025, 10, 12)):
        for n in (1, 3, 7, -4):
            end = services.add_working_days(start, n)
            assert services.is_working_day(end)
            assert services.working_days_between(start, end) == n


def test_deadline_ends_the_working_day_in_shanghai(ctx):
    # 00:30 on 30 September in Beijing time, still 29 September in UTC: the count starts from 30 September
    start = datetime(2025, 9, 29, 16, 30, tzinfo=UTC)
    due = services.deadline(start, 5)
    assert due == datetime(2025, 10, 14, 15, 59, 59, 999999, tzinfo=UTC)
    assert due.tzinfo == UTC
    with pytest.raises(ValueError):
        services.deadline(datetime(2025, 9, 30, 12), 5)  # noqa: DTZ001  (naive on purpose: refused)


def test_too_many_days_is_refused_naming_n(ctx):
    with pytest.raises(DomainError) as exc:
        services.add_working_days(date(2025, 1, 1), services.MAX_WORKING_DAYS + 1)
    assert "n" in exc.value.fields


def test_an_uncovered_year_follows_the_weekend_rule_and_warns_once(ctx, caplog, fresh_warnings):
    assert UNCOVERED not in services.known_years()
    assert {2004, 2024, 2025, 2026} <= set(services.known_years())
    with caplog.at_level(logging.WARNING, logger="portal.calendar.services"):
        assert services.is_working_day(date(UNCOVERED, 1, 1))  # a Wednesday, not known as 元旦 yet
        assert not services.is_working_day(date(UNCOVERED, 1, 4))  # a Saturday
        services.add_working_days(date(UNCOVERED, 3, 1), 10)
    warnings = [r for r in caplog.records if str(UNCOVERED) in r.getMessage()]
    assert len(warnings) == 1


def test_a_year_added_by_an_admin_is_counted(ctx, admin):
    services.add_calendar_day(admin, date(UNCOVERED, 1, 1), "holiday", "元旦")
    services.add_calendar_day(admin, date(UNCOVERED, 1, 4), "workday", "元旦")
    db.session.commit()
    assert UNCOVERED in services.known_years()
    assert not services.is_working_day(date(UNCOVERED, 1, 1))
    assert services.add_working_days(date(UNCOVERED - 1, 12, 31), 1) == date(UNCOVERED, 1, 2)
    assert services.add_working_days(date(UNCOVERED, 1, 3), 1) == date(UNCOVERED, 1, 4)
    row = db.session.get(CalendarDay, date(UNCOVERED, 1, 1))
    assert row.source == DaySource.ADMIN and row.created_by_id == admin.id
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "calendar.day_added")).first()
    assert entry.actor_id == admin.id and entry.object_id == f"{UNCOVERED}-01-01"
    assert entry.after["name"] == "元旦"


@pytest.mark.parametrize(("day", "kind", "name", "field"), [
    (date(2025, 10, 1), "holiday", "国庆节", "day"),  # already a bundled holiday
    (date(2024, 9, 29), "holiday", "国庆节", "day"),  # already a make-up working day
    (date(UNCOVERED, 1, 2), "workday", "元旦", "kind"),  # a Thursday is a working day anyway
    (date(UNCOVERED, 1, 1), "festival", "元旦", "kind"),
    (date(UNCOVERED, 1, 1), "holiday", "  ", "name"),
])
def test_adding_a_day_refuses_bad_input_with_the_field(ctx, admin, day, kind, name, field):
    before = db.session.get(CalendarDay, day)
    before = (before.kind, before.name) if before else None
    with pytest.raises(DomainError) as exc:
        services.add_calendar_day(admin, day, kind, name)
    assert field in exc.value.fields
    db.session.rollback()
    after = db.session.get(CalendarDay, day)
    assert ((after.kind, after.name) if after else None) == before


def test_only_days_added_by_an_admin_can_be_removed(ctx, admin):
    services.add_calendar_day(admin, date(UNCOVERED, 5, 1), "holiday", "劳动节")
    db.session.commit()
    services.remove_calendar_day(admin, date(UNCOVERED, 5, 1))
    db.session.commit()
    assert db.session.get(CalendarDay, date(UNCOVERED, 5, 1)) is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "calendar.day_removed")).before[
        "name"] == "劳动节"
    with pytest.raises(DomainError) as exc:
        services.remove_calendar_day(admin, date(2025, 10, 1))
    assert exc.value.status == 409


def test_reloading_the_bundled_calendar_repairs_it_and_keeps_admin_days(ctx, admin):
    assert services.load_bundled_calendar() == 0
    db.session.delete(db.session.get(CalendarDay, date(2026, 10, 1)))
    db.session.get(CalendarDay, date(2026, 10, 2)).name = "改过的名字"
    db.session.flush()
    services.add_calendar_day(admin, date(2026, 10, 1), "holiday", "国庆节（地方）")
    services.add_calendar_day(admin, date(UNCOVERED, 10, 1), "holiday", "国庆节")
    assert services.load_bundled_calendar() == 1
    db.session.commit()
    assert db.session.get(CalendarDay, date(2026, 10, 1)).name == "国庆节（地方）"
    assert db.session.get(CalendarDay, date(2026, 10, 2)).name == "国庆节"
    assert db.session.get(CalendarDay, date(UNCOVERED, 10, 1)).source == DaySource.ADMIN
    assert services.load_bundled_calendar() == 0


def test_the_bundled_file_covers_2004_to_2026_with_official_names(ctx):
    rows = services._bundled_rows()
    assert min(rows).year == 2004 and max(rows).year >= 2026
    assert rows[date(2025, 1, 28)] == (DayKind.HOLIDAY, "春节")
    assert rows[date(2024, 10, 12)] == (DayKind.WORKDAY, "国庆节")
    assert all(kind == DayKind.HOLIDAY or d.weekday() >= 5 for d, (kind, _name) in rows.items())
