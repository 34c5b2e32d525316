"""A citizen reports illegal dumping from a phone in real Chromium; the department finds it in its inbox.
axe-core checks the report pages for serious and critical accessibility violations."""
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from participation.reports.models import Moderation, Report
from participation.reports.photos import photo_dir
from portal.accounts.models import Department
from portal.extensions import db
from portal.regulatory.geo import district_at, wgs84_to_gcj02
from tests.browser.test_registration import sign_in
from tests.participation.helpers import HUBIN, has_exif, photo_bytes

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
AXE = "/static/vendor/axe-core/axe.min.js"


def phone_page(open_page):
    page = open_page()
    page.set_viewport_size(PHONE)
    return page


def axe_violations(page) -> list[str]:
    """Serious and critical axe-core violations of the page (the script is loaded same-origin: CSP)."""
    page.add_script_tag(url=AXE)
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def file_from_phone(page, tmp_path: Path) -> str:
    photo = tmp_path / "dump.jpg"
    photo.write_bytes(photo_bytes(HUBIN))
    page.goto("/reports/new")
    page.get_by_label("Photos (up to 5, recommended)").set_input_files(str(photo))
    # the place is suggested from the photo's GPS: the pin and the hidden fields are set
    expect(page.locator("#place-status")).to_contain_text("where the photo was taken")
    assert page.locator("input[name=lat]").input_value() == str(HUBIN[0])
    page.get_by_label("What kind of waste?").select_option("household")
    page.get_by_label("What did you see?").fill("路边倾倒了十几袋生活垃圾")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("heading", name="Thank you — your report was received")).to_be_visible()
    return page.locator("#tracking-code").inner_text()


def test_citizen_reports_from_a_phone_and_the_department_gets_it(app, factory, open_page, tmp_path):
    citizen = phone_page(open_page)
    code = file_from_phone(citizen, tmp_path)
    expect(citizen.locator("#follow-link")).to_contain_text(f"/reports/f/{code}/")

    # the photo as served to the reporter carries no EXIF, nor does the stored file
    src = citizen.locator("ul.photos img").first.get_attribute("src")
    served = citizen.request.get(src)
    assert served.ok and not has_exif(served.body())
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.tracking_code == code))
        assert report.district_code == "411202" and report.department == Department.URBAN
        assert not has_exif((photo_dir() / report.photos[0].filename).read_bytes())
        accept_due = report.accept_due

    officer_user = factory.regulator(jurisdiction="411202", department="urban", locale="en",
                                     email="officer@hubin.example.gov.cn")
    others = factory.regulator(jurisdiction="411202", department="ecology", locale="en",
                               email="eco@hubin.example.gov.cn")
    officer = phone_page(open_page)
    sign_in(officer, officer_user.email, officer_user.totp_secret)
    officer.goto("/staff/reports/")
    row = officer.locator("tr", has_text=code)
    expect(row).to_be_visible()
    # a new report waits to be accepted: the inbox shows that deadline, from the working-day calendar
    expect(row.locator(".due")).to_contain_text("accept by")
    assert row.locator(".due time").get_attribute("datetime") == accept_due.isoformat()
    assert axe_violations(officer) == []
    row.get_by_role("link", name=code).click()
    expect(officer.get_by_role("heading", name=f"Report {code}")).to_be_visible()
    assert axe_violations(officer) == []

    ecology = phone_page(open_page)
    sign_in(ecology, others.email, others.totp_secret)
    ecology.goto("/staff/reports/")
    expect(ecology.get_by_text(code)).to_have_count(0)


def test_report_pages_have_no_serious_accessibility_violations(app, open_page, tmp_path):
    page = phone_page(open_page)
    page.goto("/reports/new")
    assert axe_violations(page) == []
    # the form with errors shown
    page.get_by_role("button", name="Send the report").click()
    expect(page.locator(".error-summary")).to_be_visible()
    assert axe_violations(page) == []
    code = file_from_phone(page, tmp_path)
    assert axe_violations(page) == []
    follow = page.locator("#follow-link a").get_attribute("href").replace("http://wufei.test", "")
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.tracking_code == code))
        report.moderation = Moderation.PUBLIC
        db.session.commit()
    for path in (f"/reports/r/{code}", follow, "/reports/", "/reports/map", "/reports/track"):
        page.goto(path)
        assert axe_violations(page) == [], path


def test_report_without_a_photo_the_pin_chooses_the_district(app, open_page):
    page = phone_page(open_page)
    page.goto("/reports/new")
    legend = page.locator("#report-map .map-legend")
    expect(legend).to_contain_text("District boundary")
    # the boundaries are drawn from the bundled file: no tile server is asked for anything
    assert page.locator("#report-map .leaflet-tile").count() == 0
    expect(page.locator("#report-map path.leaflet-interactive").first).to_be_visible()
    # the page's GCJ-02 shift (for a configured tile service) is the server's formula
    for lat, lon in ((34.7727, 111.2003), (34.0540, 111.0480)):
        shifted = page.evaluate(f"WufeiMap.wgsToGcj({lat}, {lon})")
        expected_shift = wgs84_to_gcj02(lat, lon)
        assert abs(shifted[0] - expected_shift[0]) < 1e-9 and abs(shifted[1] - expected_shift[1]) < 1e-9
        back = page.evaluate(f"WufeiMap.gcjToWgs({shifted[0]}, {shifted[1]})")
        assert abs(back[0] - lat) < 1e-7 and abs(back[1] - lon) < 1e-7
    # a tap in 灵宝市 (the map's west) sets the pin and, in the page, the district
    page.evaluate("""() => {
        const el = document.getElementById('report-map');
        el.scrollIntoView();
    }""")
    box = page.locator("#report-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.22, box["y"] + box["height"] * 0.45)
    expect(page.locator("#place-status")).to_contain_text("Place chosen on the map")
    lat = float(page.locator("input[name=lat]").input_value())
    lon = float(page.locator("input[name=lon]").input_value())
    expected = district_at(lat, lon)
    assert expected is not None
    expect(page.get_by_label("District", exact=True)).to_have_value(expected)
    page.get_by_label("What kind of waste?").select_option("construction")
    page.get_by_label("What did you see?").fill("路口堆了一车建筑垃圾，没有拍照")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("heading", name="Thank you — your report was received")).to_be_visible()
    code = page.locator("#tracking-code").inner_text()
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.tracking_code == code))
        assert report.photos == [] and report.district_code == expected
    assert axe_violations(page) == []
