"""The big screen on a 1920×1080 wall in real Chromium, over the demo data: every chart draws, a click on a
district opens that district's wall, and a batch registered while the wall is open shows up without a reload."""
from datetime import date
from decimal import Decimal

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.accounts.models import Organisation
from portal.clock import china_today
from portal.command.statistics import figures
from portal.command.statistics.aggregate import refresh, refresh_job
from portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo
from portal.extensions import db
from portal.regulatory.batches.services import create_batch
from tests.browser.test_reports import axe_violations

pytestmark = pytest.mark.browser

WALL = {"width": 1920, "height": 1080}
CHARTS = ("chart-rate", "chart-map", "chart-gauges", "chart-reports", "chart-trend")
# true when the chart's canvas has at least one pixel drawn
PAINTED = """id => {
  const canvas = document.querySelector('#' + id + ' canvas');
  if (!canvas || !canvas.width) { return false; }
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i]) { return true; } }
  return false;
}"""
# the pixel of a district's centre on the map, from the chart's own projection
DISTRICT_PIXEL = """name => {
  const chart = echarts.getInstanceByDom(document.getElementById('chart-map'));
  const district = chart.getModel().getComponent('geo').coordinateSystem.getRegion(name);
  const [x, y] = chart.convertToPixel({geoIndex: 0}, district.getCenter());
  const box = document.getElementById('chart-map').getBoundingClientRect();
  const scale = box.width / document.getElementById('chart-map').offsetWidth;
  return [box.left + x * scale, box.top + y * scale];
}"""


@pytest.fixture
def fast_poll(app):
    app.config.update(SCREEN_POLL_SECONDS=0.5, SCREEN_CACHE_SECONDS=0.4)
    yield
    app.config.pop("SCREEN_POLL_SECONDS")
    app.config.pop("SCREEN_CACHE_SECONDS")


@pytest.fixture
def demo(app):
    with app.app_context():
        seed_demo()
        refresh()  # the aggregates, as the statistics job keeps them
        db.session.commit()


def wall_page(open_page):
    page = open_page()
    page.set_viewport_size(WALL)
    page.goto("/accounts/login")
    page.get_by_label("E-mail or mobile number").fill("regulator@demo.wufei.cn")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code from the authenticator app").fill(pyotp.TOTP(DEMO_TOTP_SECRET).now())
    page.get_by_role("button", name="Confirm").click()
    # the wall speaks the city's language
    page.context.add_cookies([{"name": "lang", "value": "zh_CN", "url": page.url}])
    return page


def expect_painted(page) -> None:
    expect(page.locator("#status.live")).to_be_visible()
    for chart in CHARTS:
        page.wait_for_function(PAINTED, arg=chart)


def code_figures(app, code: str) -> tuple[Decimal, Decimal]:
    """This year's tonnes generated and received of a waste code, from figures()."""
    year = china_today().year
    with app.app_context():
        return tuple(sum((row["tonnes"] for row in figures(measure, code=code, start=date(year, 1, 1),
                                                            end=date(year, 12, 31))), Decimal(0))
                     for measure in ("generated", "received"))


def year_generated(page) -> Decimal:
    """The year's tonnes generated, as the wall's data endpoint answers them."""
    data = page.request.get("/command/screen/data.json", headers={"Accept": "application/json"}).json()
    return Decimal(data["totals"]["generated"])


def register_batch(app, org_name: str) -> None:
    """A new batch through the services, as a generator's staff would record it: a 'generated' ledger event."""
    with app.test_request_context():
        org = db.session.scalar(select(Organisation).where(Organisation.name == org_name))
        admin = next(m.user for m in org.memberships)
        create_batch(org, admin, "900-249-08", "3.5", "t", "liquid", "钢桶")
        db.session.commit()


def test_the_wall_draws_drills_down_and_follows_the_ledger(app, demo, fast_poll, open_page, screenshot_dir):
    page = wall_page(open_page)
    page.goto("/command/screen")
    expect_painted(page)
    expect(page.locator("#streams li")).to_have_count(6)
    assert axe_violations(page) == []
    # the same figures as the statistics layer answers (the statistics API reads them too)
    generated, received = code_figures(app, "321-002-48")
    row = page.locator("#codes tr", has_text="321-002-48")
    expect(row.locator("td")).to_have_text([f"{generated:f}".rstrip("0").rstrip("."), f"{received:f}".rstrip("0").rstrip(".")])
    before = page.locator("#kpi-generated").inner_text()
    generated_before = year_generated(page)
    first_event = page.locator("#activity li").first.get_attribute("data-event")
    screenshot_dir.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(1500)  # the charts' entry animation, for the picture only
    page.screenshot(path=str(screenshot_dir / "big-screen-1920x1080.png"))

    # appended while the wall is open: the wall polls and shows it, no reload
    page.evaluate("window.notReloaded = true")
    register_batch(app, "三门峡崤函氧化铝有限公司")
    newest = page.locator("#activity li").first
    expect(newest).not_to_have_attribute("data-event", first_event)
    expect(newest).to_contain_text("900-249-08")
    expect(newest).to_contain_text("陕州区")  # where, never who: the ticker names no enterprise
    assert "氧化铝" not in newest.inner_text()
    with app.app_context():
        refresh_job()  # the statistics' periodic refresh: the year's total follows on the next poll
    expect(page.locator("#kpi-generated")).not_to_have_text(before)
    assert year_generated(page) == generated_before + Decimal("3.5")
    assert page.evaluate("window.notReloaded") is True

    # the server goes away (a restart): the wall says so, keeps its last figures and comes back by itself
    page.route("**/command/screen/data.json*", lambda route: route.abort())
    expect(page.locator("#status.offline")).to_be_visible()
    expect(page.locator("#kpi-generated")).not_to_have_text(before)
    assert all(page.evaluate(PAINTED, chart) for chart in CHARTS)
    page.unroute("**/command/screen/data.json*")
    expect(page.locator("#status.live")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True

    # a click on 灵宝市 on the map opens 灵宝市's wall
    x, y = page.evaluate(DISTRICT_PIXEL, "灵宝市")
    page.mouse.click(x, y)
    page.wait_for_url("**/command/screen?division=411282")
    expect(page.locator("h1")).to_contain_text("灵宝市")
    expect_painted(page)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(screenshot_dir / "big-screen-lingbao.png"))


def test_the_public_wall_draws_without_signing_in(app, demo, fast_poll, open_page):
    page = open_page(locale="zh-CN")
    page.set_viewport_size(WALL)
    page.goto("/command/screen/public")
    expect_painted(page)
    expect(page.locator("#ticker li")).to_have_count(3)  # open alerts counted by severity, no text
    assert page.locator("#ticker a").count() == 0
    assert axe_violations(page) == []

    # a 4K wall shows the same layout at twice the size, its charts redrawn for its pixels
    page.set_viewport_size({"width": 3840, "height": 2160})
    page.wait_for_function("() => document.getElementById('screen').getBoundingClientRect().width === 3840")
    expect_painted(page)
    map_box = page.locator("#chart-map").bounding_box()
    assert page.evaluate("document.querySelector('#chart-map canvas').width") >= map_box["width"]
