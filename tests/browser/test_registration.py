"""An enterprise registers itself in real Chromium; a regulator of its district verifies it."""
import re

import pyotp
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.accounts.models import Organisation, OrgStatus
from portal.accounts.uscc import ALPHABET
from portal.extensions import db
from tests.factories import PASSWORD, make_uscc

pytestmark = pytest.mark.browser

LINGBAO = "411282"


def organisations(app) -> list[tuple[str, str, OrgStatus]]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            select(Organisation.uscc, Organisation.district_code, Organisation.status))]


def wrong_check_character(code: str) -> str:
    return code[:17] + next(ch for ch in ALPHABET if ch != code[17])


def sign_up(page, name: str, email: str) -> None:
    page.goto("/accounts/signup")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("combobox", name="Language").select_option("en")
    page.get_by_role("button", name="Create the account").click()


def sign_in(page, login: str, totp_secret: str | None = None) -> None:
    page.goto("/accounts/login")
    page.get_by_label("E-mail or mobile number").fill(login)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if totp_secret:
        expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
        page.get_by_label("Code from the authenticator app").fill(pyotp.TOTP(totp_secret).now())
        page.get_by_role("button", name="Confirm").click()


def licence_file(tmp_path) -> str:
    """A phone photo of the business licence, as the registration asks for one."""
    from tests.accounts.test_organisations import licence_png

    path = tmp_path / "营业执照.png"
    path.write_bytes(licence_png())
    return str(path)


def test_enterprise_registers_and_a_wrong_check_character_is_refused(app, page, tmp_path):
    sign_up(page, "王经理", "wang@lingbao-gold.example.cn")
    expect(page.get_by_role("heading", name="Register an enterprise")).to_be_visible()

    uscc = make_uscc(division=LINGBAO)
    page.get_by_label("Unified social credit code").fill(wrong_check_character(uscc))
    page.get_by_label("Name of the organisation").fill("灵宝测试黄金冶炼有限公司")
    page.get_by_label("Address").fill("灵宝市函谷路88号")
    page.get_by_label("District").fill(LINGBAO)
    page.get_by_label("Contact person").fill("王经理")
    page.get_by_label("Contact telephone").fill("0398-8601234")
    page.get_by_label("Generates waste").check()
    page.get_by_label("Business licence").set_input_files(licence_file(tmp_path))
    page.get_by_role("button", name="Submit for verification").click()

    uscc_field = page.get_by_label("Unified social credit code")
    expect(uscc_field).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field.has-error")).to_contain_text(re.compile("check character .* is wrong"))
    assert organisations(app) == [], "nothing is saved when the code is refused"

    # the other answers survive the refusal; only the code needs correcting
    expect(page.get_by_label("Name of the organisation")).to_have_value("灵宝测试黄金冶炼有限公司")
    uscc_field.fill(uscc)
    page.get_by_label("Business licence").set_input_files(licence_file(tmp_path))
    page.get_by_role("button", name="Submit for verification").click()

    expect(page.get_by_role("heading", name="灵宝测试黄金冶炼有限公司")).to_contain_text("Awaiting verification")
    expect(page.get_by_text(re.compile("Awaiting verification by a regulator"))).to_be_visible()
    assert organisations(app) == [(uscc, LINGBAO, OrgStatus.PENDING)]


def test_a_district_anywhere_in_china_is_picked_province_prefecture_county(app, page, tmp_path):
    sign_up(page, "王北京", "wang@beijing-disposal.example.cn")
    expect(page.get_by_role("heading", name="Register an enterprise")).to_be_visible()
    page.get_by_label("Unified social credit code").fill(make_uscc())
    page.get_by_label("Name of the organisation").fill("北京测试处置有限公司")
    page.get_by_label("Address").fill("北京市东城区东长安街1号")
    page.get_by_label("Province").select_option(label="北京市")
    page.get_by_label("Prefecture").select_option(label="市辖区")
    page.get_by_label("County").select_option(label="东城区")
    expect(page.get_by_label("District")).to_have_value("110101")
    page.get_by_label("Contact person").fill("王北京")
    page.get_by_label("Contact telephone").fill("010-88886666")
    page.get_by_label("Licensed receiver (utilisation or disposal)").check()
    page.get_by_label("Business licence").set_input_files(licence_file(tmp_path))
    page.get_by_role("button", name="Submit for verification").click()
    expect(page.get_by_role("heading", name="北京测试处置有限公司")).to_contain_text("Awaiting verification")
    assert [district for _, district, _ in organisations(app)] == ["110101"]


def test_regulator_of_the_district_verifies_and_the_enterprise_sees_the_badge(app, factory, open_page):
    applicant = factory.user(email="li@yima-coal.example.cn", name="李主任", locale="en")
    org = factory.org(name="灵宝测试选矿有限公司", district=LINGBAO, status=OrgStatus.PENDING, admin=applicant,
                      is_generator=True)
    regulator = factory.regulator(jurisdiction=LINGBAO, email="inspector@lingbao.example.gov.cn", locale="en")

    officer = open_page()
    sign_in(officer, regulator.email, regulator.totp_secret)
    officer.goto("/accounts/review")
    expect(officer.get_by_role("heading", name="Verify enterprises")).to_be_visible()
    officer.get_by_role("link", name=org.name).click()
    expect(officer.get_by_role("heading", name=org.name)).to_contain_text("Awaiting verification")
    officer.get_by_role("button", name="Verify this organisation").click()
    expect(officer.get_by_text(f"{org.name} is now verified.")).to_be_visible()
    assert organisations(app) == [(org.uscc, LINGBAO, OrgStatus.VERIFIED)]

    enterprise = open_page()
    sign_in(enterprise, applicant.email)  # lands on the role home; the badge is on the organisation's page
    enterprise.goto("/accounts/organisation")
    heading = enterprise.get_by_role("heading", level=1)
    expect(heading).to_contain_text(org.name)
    expect(heading).to_contain_text("Verified")
    expect(heading.locator(".badge")).to_have_text("Verified")

