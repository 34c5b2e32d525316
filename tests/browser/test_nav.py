"""On a phone the main navigation folds behind the "Menu" button, which works with the keyboard; without
JavaScript nothing folds; on a wide screen the groups show as a bar without the button."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_the_menu_button_folds_the_navigation_on_a_phone(open_page):
    page = open_page()
    page.set_viewport_size(PHONE)
    page.goto("/")
    button = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    report = nav.get_by_role("link", name="Report dumping")
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(report).to_be_hidden()

    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(report).to_be_visible()
    expect(nav.get_by_role("heading", name="Public services")).to_be_visible()
    page.keyboard.press("Tab")
    expect(nav.get_by_role("link").first).to_be_focused()

    page.keyboard.press("Escape")  # closes, and focus goes back to the button
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(button).to_be_focused()
    expect(report).to_be_hidden()


def test_without_javascript_the_navigation_stays_open(browser, live_server):
    context = browser.new_context(base_url=live_server, locale="en-US", viewport=PHONE, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/")
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Report dumping")).to_be_visible()
        expect(page.locator(".nav-toggle")).to_be_hidden()
    finally:
        context.close()


def test_a_wide_screen_shows_the_groups_without_the_button(page):
    page.goto("/")
    expect(page.locator(".nav-toggle")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Report dumping")).to_be_visible()
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()
