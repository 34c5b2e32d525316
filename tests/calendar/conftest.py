"""calendar_days is reference data that survives between tests: put it back as bundled after each test."""
import pytest
from sqlalchemy import delete

from portal.calendar import services
from portal.calendar.models import CalendarDay, DaySource
from portal.extensions import db


@pytest.fixture(autouse=True)
def _restore_calendar(app):
    yield
    with app.app_context():
        db.session.rollback()
        db.session.execute(delete(CalendarDay).where(CalendarDay.source == DaySource.ADMIN))
        services.load_bundled_calendar()
        db.session.commit()
        db.session.remove()


@pytest.fixture
def fresh_warnings(monkeypatch):
    """Forget which uncovered years were already warned about in this process."""
    monkeypatch.setattr(services, "_warned_years", set())
