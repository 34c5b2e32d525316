"""The regulators' dashboard on a 390 px phone, in Chinese and in English: nothing wider than the screen, the
month trend drawn by ECharts (a non-empty canvas) above its table of cards."""
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from tests.browser.test_walk import _session_cookie
from tests.test_command_dashboard import demo_users  # noqa: F401  (the fixture: demo, alerts, statistics)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WIDER_THAN_WINDOW = "() => document.documentElement.scrollWidth > window.innerWidth"
CANVAS_DRAWN = """canvas => {
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
  return false;
}"""


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_the_dashboard_fits_a_phone_and_draws_its_trend(app, browser, live_server, demo_users, locale):  # noqa: F811
    context = browser.new_context(base_url=live_server, locale=locale, viewport=PHONE)
    context.add_cookies([{"name": "session", "value": _session_cookie(app, SimpleNamespace(id=demo_users["regulator"])),
                          "url": live_server}])
    page = context.new_page()
    try:
        page.goto("/command/")
        canvas = page.locator("#dash-trend-chart canvas").first
        expect(canvas).to_be_visible()
        page.wait_for_timeout(500)  # ECharts animates its first frame in
        assert canvas.evaluate(CANVAS_DRAWN)
        page.locator("section[aria-labelledby=dash-trend] details summary").click()
        row = page.locator("table.cards tbody tr").first
        assert row.evaluate("row => getComputedStyle(row).display") == "block"
        assert page.evaluate(WIDER_THAN_WINDOW) is False
    finally:
        context.close()
