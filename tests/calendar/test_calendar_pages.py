"""The calendar administration page and the public calendar API."""
from datetime import date

import pytest
from sqlalchemy import select

from portal.audit import AuditEntry
from portal.calendar.models import CalendarDay, DaySource
from portal.extensions import db
from tests.factories import login

UNCOVERED = 2031


@pytest.fixture
def admin_client(client, factory):
    login(client, factory.user(email="calendar-admin@example.cn", name="日历管理员", admin=True))
    return client


def _stored(app, day: date):
    with app.app_context():
        row = db.session.get(CalendarDay, day)
        return None if row is None else (row.kind.value, row.name, row.source.value)


def test_only_admins_open_the_calendar_page(client, factory):
    assert client.get("/admin/calendar/").status_code == 302
    login(client, factory.user())
    assert client.get("/admin/calendar/").status_code == 403
    assert client.post("/admin/calendar/days", data={"day": "2031-01-01", "kind": "holiday",
                                                     "name": "元旦"}).status_code == 403


def test_admin_sees_a_year_and_the_coverage(admin_client):
    page = admin_client.get("/admin/calendar/?year=2025")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "2025-10-08" in html and "国庆节" in html and "2025-01-26" in html
    assert 'href="/admin/calendar/?year=2004"' in html  # the coverage table reaches back to 2004
    uncovered = admin_client.get(f"/admin/calendar/?year={UNCOVERED}").get_data(as_text=True)
    assert 'id="year-not-covered"' in uncovered and 'id="year-not-covered"' not in html
    assert admin_client.get("/admin/calendar/?year=abc").status_code == 200  # a filter error, not a 500


def test_admin_adds_and_removes_a_holiday_of_a_new_year(app, admin_client):
    response = admin_client.post(f"/admin/calendar/days?year={UNCOVERED}",
                                 data={"day": f"{UNCOVERED}-01-01", "kind": "holiday", "name": "元旦"})
    assert response.status_code == 302
    assert _stored(app, date(UNCOVERED, 1, 1)) == ("holiday", "元旦", "admin")
    html = admin_client.get(f"/admin/calendar/?year={UNCOVERED}").get_data(as_text=True)
    assert f"{UNCOVERED}-01-01" in html and "元旦" in html
    assert admin_client.get(f"/api/v1/calendar/working-days?from={UNCOVERED - 1}-12-31&n=1").json[
        "date"] == f"{UNCOVERED}-01-02"

    assert admin_client.post(f"/admin/calendar/days/{UNCOVERED}-01-01/remove").status_code == 302
    assert _stored(app, date(UNCOVERED, 1, 1)) is None
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "calendar_days"))
        assert sorted(actions) == ["calendar.day_added", "calendar.day_removed"]


def test_a_holiday_on_a_marked_date_is_refused_with_a_field_error(app, admin_client):
    response = admin_client.post("/admin/calendar/days",
                                 data={"day": "2025-10-01", "kind": "holiday", "name": "另一个节日"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="day-error"' in html and "国庆节" in html
    assert _stored(app, date(2025, 10, 1)) == ("holiday", "国庆节", "bundled")


@pytest.mark.parametrize(("data", "field"), [
    ({"day": "2031-13-01", "kind": "holiday", "name": "元旦"}, "day"),
    ({"day": "", "kind": "holiday", "name": "元旦"}, "day"),
    ({"day": "2031-01-01", "kind": "festival", "name": "元旦"}, "kind"),
    ({"day": "2031-01-01", "kind": "holiday", "name": ""}, "name"),
    ({"day": "2031-01-02", "kind": "workday", "name": "元旦"}, "kind"),  # a Thursday
])
def test_bad_days_are_refused_and_nothing_is_saved(app, admin_client, data, field):
    response = admin_client.post("/admin/calendar/days", data=data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(CalendarDay).where(CalendarDay.source == DaySource.ADMIN)) is None


def test_a_bundled_day_cannot_be_removed(app, admin_client):
    response = admin_client.post("/admin/calendar/days/2025-10-01/remove", follow_redirects=True)
    assert response.status_code == 200
    assert _stored(app, date(2025, 10, 1)) == ("holiday", "国庆节", "bundled")
    assert admin_client.post("/admin/calendar/days/not-a-date/remove").status_code == 404
    assert admin_client.post(f"/admin/calendar/days/{UNCOVERED}-06-01/remove").status_code == 404


def test_api_counts_working_days_across_national_day(client):
    response = client.get("/api/v1/calendar/working-days?from=2025-09-30&n=1")
    assert response.status_code == 200
    assert response.json == {"date": "2025-10-09", "from": "2025-09-30", "n": 1, "covered": True}
    assert client.get("/api/v1/calendar/working-days?from=2025-10-10&n=1").json["date"] == "2025-10-11"
    assert client.get("/api/v1/calendar/working-days?from=2025-10-09&n=-1").json["date"] == "2025-09-30"
    assert client.get(f"/api/v1/calendar/working-days?from={UNCOVERED}-03-03&n=1").json["covered"] is False


def test_api_lists_a_year(client):
    body = client.get("/api/v1/calendar/2024").json
    assert body["year"] == 2024 and body["covered"] is True
    days = {d["date"]: d for d in body["days"]}
    assert days["2024-09-29"] == {"date": "2024-09-29", "kind": "workday", "name": "国庆节", "source": "bundled"}
    assert all(days[f"2024-10-0{i}"]["kind"] == "holiday" for i in range(1, 8))
    assert client.get(f"/api/v1/calendar/{UNCOVERED}").json == {"year": UNCOVERED, "covered": False, "days": []}


@pytest.mark.parametrize(("url", "field", "status"), [
    ("/api/v1/calendar/working-days?n=5", "from", 422),
    ("/api/v1/calendar/working-days?from=2025-02-30&n=5", "from", 400),
    ("/api/v1/calendar/working-days?from=1800-01-01&n=5", "from", 422),
    ("/api/v1/calendar/working-days?from=2025-09-30", "n", 422),
    ("/api/v1/calendar/working-days?from=2025-09-30&n=five", "n", 400),
    ("/api/v1/calendar/working-days?from=2025-09-30&n=1.5", "n", 400),
    ("/api/v1/calendar/working-days?from=2025-09-30&n=999999", "n", 422),
])
def test_api_bad_input_is_refused_naming_the_field(client, url, field, status):
    """400 for what is not a date or a whole number, 422 for a well-formed value out of range."""
    response = client.get(url)
    assert response.status_code == status
    assert field in response.json["error"]["fields"]


@pytest.mark.parametrize("url", ["/api/v1/calendar/20x5", "/api/v1/calendar/1800"])
def test_api_year_outside_the_calendar_is_not_found(client, url):
    assert client.get(url).status_code == 404


def test_calendar_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "/calendar/working-days" in paths and "/calendar/{year}" in paths
    assert "security" not in paths["/calendar/working-days"]["get"]
