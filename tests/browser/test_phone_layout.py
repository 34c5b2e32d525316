"""On a 390 px phone: a table shows its rows as cards, each value under its column's name (from the template, or
from static/js/tables.js); a 37-character container code wraps in its four segments and copies as one string;
the driver's task list works with its GET filter."""
import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.regulatory.manifests.models import Manifest
from tests.browser.test_walk import _session_cookie
from tests.regulatory.manifests.conftest import Parties, build_parties
from tests.regulatory.manifests.test_pages import create_and_submit

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WIDER_THAN_WINDOW = "() => document.documentElement.scrollWidth > window.innerWidth"


@pytest.fixture
def parties(app, factory):
    """The ids of the parties of a transfer (as tests/regulatory/manifests' page_parties) and the batch's codes."""
    with app.app_context():
        p = build_parties(factory)
        return SimpleNamespace(**{name: SimpleNamespace(id=getattr(p, name).id) for name in Parties.__annotations__},
                               codes=[c.code for c in p.batch.containers])


def _signed_in_page(app, browser, live_server, user, javascript=True):
    context = browser.new_context(base_url=live_server, locale="en-US", viewport=PHONE, java_script_enabled=javascript)
    context.add_cookies([{"name": "session", "value": _session_cookie(app, user), "url": live_server}])
    return context, context.new_page()


def test_container_codes_wrap_in_segments_and_copy_whole(app, browser, live_server, parties):
    context, page = _signed_in_page(app, browser, live_server, parties.generator_user)
    try:
        page.goto(f"/batches/{parties.batch.id}")
        code = page.locator(".code-groups").first
        expect(code.locator("span")).to_have_count(4)
        assert page.evaluate(WIDER_THAN_WINDOW) is False
        copied = code.evaluate("""element => {
          const range = document.createRange();
          range.selectNodeContents(element);
          getSelection().removeAllRanges();
          getSelection().addRange(range);
          return getSelection().toString();
        }""")
        assert copied == parties.codes[0]
        # the table of containers is a list of cards, each value named by its column (set by tables.js)
        row = page.locator("table.cards tbody tr").first
        assert row.evaluate("row => getComputedStyle(row).display") == "block"
        assert row.locator("td").first.get_attribute("data-label") == "Identification code"
    finally:
        context.close()


def test_the_drivers_task_list_is_cards_and_filters_without_javascript(app, browser, live_server, parties, client):
    manifest_id = create_and_submit(client, parties)
    with app.app_context():
        number = db.session.get(Manifest, manifest_id).number
    context, page = _signed_in_page(app, browser, live_server, parties.driver1, javascript=False)
    try:
        page.goto("/manifests?role=carrier")
        expect(page.get_by_label("Tasks")).to_have_value("open")
        cell = page.locator("table.cards tbody tr td").first
        expect(cell).to_contain_text(number)
        assert cell.get_attribute("data-label") == "Number"
        assert cell.evaluate("cell => getComputedStyle(cell).display") == "block"
        assert page.evaluate(WIDER_THAN_WINDOW) is False
        page.get_by_label("Tasks").select_option("finished")
        page.get_by_role("button", name="Filter").click()
        expect(page).to_have_url(re.compile(r"progress=finished"))
        expect(page.get_by_text("No manifests match.")).to_be_visible()
    finally:
        context.close()
