"""A citizen scans a printed label: its QR code, decoded by a real decoder (zxing-cpp), opens the trace page in
Chromium showing the whole chain through treatment, in English and in Chinese."""
import io
import re
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import expect

from portal.extensions import db
from portal.regulatory.batches.services import container_by_code
from portal.regulatory.labels.services import label_png
from tests.documents import qr_codes
from tests.participation.trace.conftest import PLATES, build_chain

pytestmark = pytest.mark.browser
CHINESE = re.compile(r"^zh(-|$)")


@pytest.fixture
def scanned_path(app, factory) -> str:
    """The path inside the QR code of the first container's printed label."""
    with app.test_request_context():
        chain = build_chain(factory)
        png = label_png(container_by_code(chain.code))
        db.session.remove()
    symbols = qr_codes(Image.open(io.BytesIO(png)))
    assert len(symbols) == 1
    url = symbols[0]
    assert url.endswith("/t/" + chain.code)
    return urlsplit(url).path


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_scanned_label_opens_the_chain_through_treatment(open_page, scanned_path, locale):
    page = open_page(locale=locale)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(scanned_path)
    expect(page.locator("html")).to_have_attribute("lang", "en" if locale == "en-US" else CHINESE)
    steps = page.locator("ol.trace-steps > li")
    expect(steps).to_have_count(9)  # generated, packed, stored, taken out, picked up … treated
    expect(steps.last).to_contain_text("D10")
    expect(steps.last).to_contain_text("灵宝市危废处置有限公司")
    expect(page.locator(".trace-steps")).to_contain_text("义马市危险货物运输有限公司")
    expect(page.locator(".integrity-ok")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(PLATES[0])
    report = page.get_by_role("link", name=re.compile("Report a problem|报告"))
    expect(report).to_have_attribute("href", re.compile(r"/reports/new\?code="))
