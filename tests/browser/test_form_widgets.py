"""In Chromium on a phone: signing in lands on the role home, which fits 390 px; the waste-code picker
suggests catalogue entries as the user types and takes one with the keyboard; without JavaScript the code
field stays a plain input."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_registration import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _generator(factory):
    user = factory.user(email="picker@example.cn")
    factory.org(admin=user, is_generator=True)
    return user


def test_the_home_after_sign_in_fits_a_phone(factory, open_page):
    _generator(factory)
    page = open_page()
    page.set_viewport_size(PHONE)
    sign_in(page, "picker@example.cn")
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.get_by_role("heading", name="My work", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Drafts to submit")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_picker_suggests_codes_and_takes_one_with_the_keyboard(factory, open_page):
    _generator(factory)
    page = open_page()
    page.set_viewport_size(PHONE)
    sign_in(page, "picker@example.cn")
    page.goto("/batches")
    code = page.get_by_role("combobox", name="Waste code")
    code.fill("HW01")
    options = page.locator("#" + code.get_attribute("aria-controls")).get_by_role("option")
    expect(options).to_have_count(5)
    expect(code).to_have_attribute("aria-expanded", "true")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    code.press("ArrowDown")
    code.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    code.press("Enter")
    expect(code).to_have_value("841-002-01")
    expect(code).to_have_attribute("aria-expanded", "false")
    code.fill("90021408")  # the compact spelling finds the dashed code
    expect(options).to_have_count(1)
    options.first.click()
    expect(code).to_have_value("900-214-08")


def test_without_javascript_the_code_field_is_a_plain_input(factory, browser, live_server):
    _generator(factory)
    context = browser.new_context(base_url=live_server, locale="en-US", viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/accounts/login")
        page.get_by_label("E-mail or mobile number").fill("picker@example.cn")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto("/batches?waste_code=HW99")
        field = page.get_by_label("Waste code")
        expect(field).to_have_value("HW99")
        expect(field).not_to_have_attribute("role", "combobox")
    finally:
        context.close()
