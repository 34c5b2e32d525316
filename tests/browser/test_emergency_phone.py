"""The incident's response scheme and the plan library on a 390 px phone: no sideways scrolling, tables as cards."""
from datetime import UTC, datetime, timedelta

import pytest

from portal.emergency import incidents, services
from portal.extensions import db
from tests.browser.test_phone_layout import PHONE, WIDER_THAN_WINDOW, _signed_in_page
from tests.emergency import conftest as emergency_fixtures

pytestmark = pytest.mark.browser

city_regulator, licensed = emergency_fixtures.city_regulator, emergency_fixtures.licensed


def test_scheme_and_library_fit_a_phone(app, browser, live_server, factory, licensed):
    regulator = factory.regulator(jurisdiction="411200")
    with app.test_request_context():
        licensed("三门峡某某环保科技有限公司（危险废物集中处置中心）", "34.730000", "111.150000")
        services.load_templates()
        incident = incidents.record_incident(
            db.session.merge(regulator), title="大营镇路边倾倒含油抹布", event_type="illegal_dumping",
            lat="34.732", lon="111.16", reporter="群众", occurred_at=datetime.now(UTC) - timedelta(hours=1),
            wastes=[{"waste_code": "900-041-49", "estimated_g": 500_000}])
        incidents.draft_scheme(db.session.merge(regulator), incident)
        db.session.commit()
        incident_id = incident.id
    context, page = _signed_in_page(app, browser, live_server, regulator)
    try:
        for path in (f"/emergency/incidents/{incident_id}", "/emergency/plans", "/emergency/incidents/new"):
            page.goto(path)
            assert page.evaluate(WIDER_THAN_WINDOW) is False, path
        page.goto(f"/emergency/incidents/{incident_id}")
        row = page.locator("table.cards tbody tr").first
        assert row.evaluate("row => getComputedStyle(row).display") == "block"
        assert PHONE["width"] == 390
    finally:
        context.close()
