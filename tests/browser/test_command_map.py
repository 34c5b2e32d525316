"""The one map in Chromium: every layer draws for the demo data, a click on a licensed facility opens its card
with its licence and links, and the page fits a laptop and a phone (screenshots at 1366×768 and 390×844)."""
import os

import pyotp
import pytest
from playwright.sync_api import expect

from portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo
from portal.extensions import db
from tests.browser.test_walk import _axe_violations, _overflows

FACILITY = "三门峡豫西环保科技有限公司"
SCREENSHOTS = os.environ.get("MAP_SCREENSHOTS")  # a directory to keep the screenshots in, for a human to look at


@pytest.fixture
def demo(app):
    with app.test_request_context():
        seed_demo()
        db.session.commit()


def sign_in_regulator(page):
    page.goto("/accounts/login")
    page.get_by_label("E-mail or mobile number").fill("regulator@demo.wufei.cn")
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code from the authenticator app").fill(pyotp.TOTP(DEMO_TOTP_SECRET).now())
    page.get_by_role("button", name="Confirm").click()


def _markers(page, layer: str):
    return page.locator(f"#command-map .leaflet-marker-icon.map-point-{layer}")


def test_every_layer_draws_and_a_facility_opens_its_card(demo, open_page):
    page = open_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in_regulator(page)
    page.goto("/command/map")
    for layer in ("generators", "storage", "facilities", "reports"):
        expect(_markers(page, layer).first).to_be_attached()
    expect(page.locator("#command-map path.map-flow").first).to_be_attached()
    assert page.locator("#command-map path.leaflet-interactive").count() > 6  # boundaries and flows
    assert page.locator("#command-map .leaflet-tile").count() == 0  # no tile server: the boundaries are the base

    page.locator(f'#command-map .map-point-facilities[title^="{FACILITY}"]').click()
    card = page.locator("#map-card")
    expect(card.get_by_role("heading", name=FACILITY)).to_be_visible()
    expect(card).to_contain_text("Annual capacity")
    expect(card.get_by_role("link", name="Organisation")).to_have_attribute("href", "/accounts/organisations/" + (
        page.locator(f'#command-map .map-point-facilities[title^="{FACILITY}"]').get_attribute("data-id")))
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, "map-1366.png"))
    assert _axe_violations(page) == []

    # switching a layer off takes its markers away; on again brings them back
    page.get_by_role("checkbox", name="Waste generators").uncheck()
    expect(_markers(page, "generators")).to_have_count(0)
    page.get_by_role("checkbox", name="Waste generators").check()
    expect(_markers(page, "generators").first).to_be_attached()


def test_the_map_on_a_phone(demo, open_page):
    page = open_page()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_regulator(page)
    page.goto("/command/map")
    expect(_markers(page, "facilities").first).to_be_attached()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"
    page.locator("#command-map .map-point.map-point-facilities").first.click()
    expect(page.locator("#map-card h2")).to_have_text(FACILITY)
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, "map-390.png"), full_page=True)


def test_the_map_in_chinese_fits_every_viewport_without_serious_violations(demo, open_page):
    page = open_page(locale="zh-CN")
    sign_in_regulator_zh(page)
    page.goto("/command/map")
    expect(_markers(page, "storage").first).to_be_attached()
    page.locator("#command-map .map-point.map-point-facilities").first.click()
    expect(page.locator("#map-card dl")).to_contain_text("核准经营规模")
    assert _overflows(page) == [] and _axe_violations(page) == []
    if SCREENSHOTS:
        page.set_viewport_size({"width": 1366, "height": 768})
        page.screenshot(path=os.path.join(SCREENSHOTS, "map-zh-1366.png"), full_page=True)


def sign_in_regulator_zh(page):
    page.goto("/accounts/login")
    page.locator("#login").fill("regulator@demo.wufei.cn")
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main form [type=submit]").first.click()
    page.locator("#code").fill(pyotp.TOTP(DEMO_TOTP_SECRET).now())
    page.locator("main form [type=submit]").first.click()
