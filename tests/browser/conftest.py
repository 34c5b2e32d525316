"""Browser tests: Playwright for Python drives Debian's Chromium (/usr/bin/chromium, installed by make test;
never a browser downloaded by Playwright) against the portal served by `live_server`, with CSRF on.

`page` opens a page whose browser asks for English, so that label lookups hold whether or not the
catalogues are compiled; `open_page(locale=…)` opens one in another language. Each test leaves one
screenshot under <pytest basetemp>/screenshots/ for humans to look at."""
import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling Google's hosts, which this network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        message = f"{CHROMIUM} is missing: install Debian's chromium (make test does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def csrf_enabled(app):
    """The browser posts real forms, so CSRF is checked as in production."""
    previous = app.config["WTF_CSRF_ENABLED"]
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = previous


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.getbasetemp() / "screenshots"


@pytest.fixture
def open_page(browser, live_server, csrf_enabled, screenshot_dir, request):
    """Opens pages in fresh browser contexts (own cookies) against the live server."""
    contexts = []

    def open_(locale: str = "en-US"):
        context = browser.new_context(base_url=live_server, locale=locale, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_
    screenshot_dir.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    for number, context in enumerate(contexts):
        for page in context.pages:
            suffix = f"-{number}" if len(contexts) > 1 else ""
            page.screenshot(path=str(screenshot_dir / f"{name}{suffix}.png"), full_page=True)
        context.close()


@pytest.fixture
def page(open_page):
    return open_page()
