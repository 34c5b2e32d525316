"""Organisations: registration with the USCC check, verification by the district's regulator, members,
invitations, the acting organisation, and who may see what (web and API)."""
import io
import re

import pytest
from sqlalchemy import func, select

from portal import auth
from portal.accounts.models import Membership, Organisation, OrgStatus, Role
from portal.audit import AuditEntry
from portal.errors import Forbidden
from portal.extensions import db
from portal.outbox import OutboxMessage
from tests.factories import PASSWORD, login, make_uscc

HUBIN, LINGBAO = "411202", "411282"
USCC_CHECK_MESSAGE = "The check character of this unified social credit code is wrong"


def _db(app, statement):
    with app.app_context():
        return db.session.scalar(statement)


def _bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


def wrong_uscc() -> str:
    code = make_uscc()
    return code[:17] + ("0" if code[17] != "0" else "1")


def licence_png() -> bytes:
    """A scan of a business licence as a phone sends it: a JPEG-able image with camera metadata."""
    from PIL import Image

    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0110] = "TestPhone 12"  # Model
    Image.new("RGB", (400, 300), (200, 40, 40)).save(out, "PNG", exif=exif)
    return out.getvalue()


LICENCE_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def org_form(**overrides) -> dict:
    data = {"uscc": make_uscc(), "name": "灵宝黄金冶炼有限公司", "industry": "黄金冶炼", "address": "灵宝市函谷路1号",
            "district_code": LINGBAO, "lat": "34.5210", "lon": "110.8940", "contact_name": "张工",
            "contact_phone": "0398-8888888", "contact_email": "env@gold.example.cn", "is_generator": "y",
            "business_licence": (io.BytesIO(licence_png()), "营业执照.png")}
    data.update(overrides)
    if data["business_licence"] is None:
        del data["business_licence"]
    return data


# --- registration ------------------------------------------------------------------------------

def test_district_select_offers_the_seven_county_level_divisions(client, factory):
    login(client, factory.user())
    page = client.get("/accounts/organisations/register").text
    options = re.findall(r'<option[^>]*value="(4112\d\d)"', page)
    assert sorted(options) == ["411202", "411203", "411221", "411224", "411271", "411281", "411282"]


def test_register_organisation_makes_the_user_its_pending_admin(app, client, factory):
    user = factory.user(locale="en")
    login(client, user)
    data = org_form()
    response = client.post("/accounts/organisations/register", data=data)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/accounts/organisation")
    page = client.get("/accounts/organisation")
    assert "灵宝黄金冶炼有限公司" in page.text and "Awaiting verification" in page.text
    with app.app_context():
        org = db.session.scalar(select(Organisation))
        assert org.status == OrgStatus.PENDING and org.uscc == data["uscc"]
        assert str(org.lat) == "34.521000" and org.is_generator and not org.is_receiver
        assert [(m.user_id, m.role) for m in org.memberships] == [(user.id, Role.ADMIN)]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_wrong_uscc_check_character_is_refused_and_nothing_saved(app, client, factory, locale):
    login(client, factory.user(locale=locale))
    response = client.post("/accounts/organisations/register", data=org_form(uscc=wrong_uscc()))
    assert response.status_code == 422
    assert 'id="uscc-error"' in response.text
    if locale == "en":
        assert USCC_CHECK_MESSAGE in response.text
    assert f'<html lang="{locale[:2]}' in response.text
    assert _db(app, select(func.count(Organisation.id))) == 0
    assert _db(app, select(func.count(Membership.id))) == 0


def test_registration_refuses_bad_fields(app, client, factory):
    login(client, factory.user(locale="en"))
    response = client.post("/accounts/organisations/register", data=org_form(
        lat="39.9", lon="abc", district_code="999999", contact_email="nope", uscc="SHORT"))
    assert response.status_code == 422
    for field in ("lat", "lon", "district_code", "contact_email", "uscc"):
        assert f'id="{field}-error"' in response.text
    assert "within 三门峡市 (33.5 to 35.1)" in response.text  # the configured city, by its name
    assert _db(app, select(func.count(Organisation.id))) == 0


@pytest.mark.parametrize("code", ["110100", "110000", "411202001", "11010", "东城区"])
def test_district_must_be_a_county_level_code(client, factory, code):
    login(client, factory.user(locale="en"))
    response = client.post("/accounts/organisations/register", data=org_form(district_code=code))
    assert response.status_code == 422 and 'id="district_code-error"' in response.text


def test_organisation_registered_in_beijing_dongcheng(app, client, factory):
    """A receiver outside the city registers with its own district; the city's regulators verify it."""
    applicant = factory.user(locale="en")
    login(client, applicant)
    response = client.post("/accounts/organisations/register", data=org_form(
        name="北京环境处置有限公司", address="北京市东城区东长安街1号", district_code=" 110101 ", lat="39.9042", lon="116.4074",
        is_generator="", is_receiver="y"))
    assert response.status_code == 302
    with app.app_context():
        org = db.session.scalar(select(Organisation))
        assert org.district_code == "110101" and org.district.name == "东城区" and org.is_receiver
        org_id = org.id
    client.post("/accounts/logout")
    login(client, factory.regulator(jurisdiction=LINGBAO))
    assert "北京环境处置有限公司" not in client.get("/accounts/review").text
    client.post("/accounts/logout")
    login(client, factory.regulator(jurisdiction="411200"))
    assert "北京环境处置有限公司" in client.get("/accounts/review").text
    assert client.post(f"/accounts/organisations/{org_id}/verify").status_code == 302
    assert _db(app, select(Organisation.status)) == OrgStatus.VERIFIED


def test_duplicate_uscc_is_refused(app, client, factory):
    existing = factory.org()
    login(client, factory.user(locale="en"))
    response = client.post("/accounts/organisations/register", data=org_form(uscc=existing.uscc))
    assert response.status_code == 422
    assert "registered already" in response.text
    assert _db(app, select(func.count(Organisation.id))) == 1


def test_registration_asks_for_the_business_licence(app, client, factory):
    login(client, factory.user(locale="en"))
    response = client.post("/accounts/organisations/register", data=org_form(business_licence=None))
    assert response.status_code == 422
    assert 'id="business_licence-error"' in response.text and "Add the business licence" in response.text
    assert _db(app, select(func.count(Organisation.id))) == 0


def test_a_licence_that_is_not_an_image_or_pdf_is_refused(app, client, factory):
    login(client, factory.user(locale="en"))
    response = client.post("/accounts/organisations/register", data=org_form(
        business_licence=(io.BytesIO(b"MZ\x90\x00 an executable"), "licence.pdf")))
    assert response.status_code == 422
    assert "must be a JPEG, PNG or WebP image or a PDF file" in response.text
    assert _db(app, select(func.count(Organisation.id))) == 0


def test_the_reviewer_sees_the_business_licence_and_strangers_do_not(app, client, factory):
    applicant = factory.user(locale="en")
    login(client, applicant)
    assert client.post("/accounts/organisations/register", data=org_form()).status_code == 302
    with app.app_context():
        org = db.session.scalar(select(Organisation))
        org_id, stored = org.id, org.licence_file
        assert org.licence_name == "营业执照.png" and stored.endswith(".jpg")  # re-encoded, metadata gone
    own = client.get(f"/accounts/organisations/{org_id}/licence")
    assert own.status_code == 200 and own.data[:3] == b"\xff\xd8\xff" and b"TestPhone" not in own.data
    client.post("/accounts/logout")

    login(client, factory.regulator(jurisdiction=LINGBAO, locale="en"))
    page = client.get(f"/accounts/organisations/{org_id}").text
    assert f'href="/accounts/organisations/{org_id}/licence"' in page and "营业执照.png" in page
    assert client.get(f"/accounts/organisations/{org_id}/licence").status_code == 200
    client.post("/accounts/logout")

    for stranger in (factory.regulator(jurisdiction=HUBIN), factory.user()):
        login(client, stranger)
        assert client.get(f"/accounts/organisations/{org_id}/licence").status_code == 404
        client.post("/accounts/logout")


def test_the_applicant_replaces_the_licence_with_a_pdf_until_verified(app, client, factory):
    applicant = factory.user(locale="en")
    org = factory.org(district=LINGBAO, status=OrgStatus.PENDING, admin=applicant)
    login(client, applicant)
    page = client.get(f"/accounts/organisations/{org.id}").text
    assert 'data-testid="no-licence"' in page
    response = client.post(f"/accounts/organisations/{org.id}/licence",
                           data={"business_licence": (io.BytesIO(LICENCE_PDF), "执照.pdf")})
    assert response.status_code == 302
    served = client.get(f"/accounts/organisations/{org.id}/licence")
    assert served.data == LICENCE_PDF and served.headers["Content-Disposition"].startswith("attachment")
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "organisation.licence_uploaded"))
        assert entry.after["licence_name"] == "执照.pdf" and entry.actor_id == applicant.id
        db.session.get(Organisation, org.id).status = OrgStatus.VERIFIED
        db.session.commit()
    refused = client.post(f"/accounts/organisations/{org.id}/licence",
                          data={"business_licence": (io.BytesIO(licence_png()), "new.png")})
    assert refused.status_code == 409
    assert client.get(f"/accounts/organisations/{org.id}/licence").data == LICENCE_PDF


def test_unverified_organisation_is_flagged(app, ctx, factory):
    pending = factory.org(status=OrgStatus.PENDING)
    with pytest.raises(Forbidden) as refused:
        auth.require_verified(pending)
    assert refused.value.code == "unverified"
    with pytest.raises(Forbidden):
        auth.require_verified(None)
    verified = factory.org()
    assert auth.require_verified(verified) is verified


# --- verification ------------------------------------------------------------------------------

def test_regulator_rejects_with_a_reason_the_applicant_sees_then_verifies(app, client, factory):
    applicant = factory.user(locale="en")
    org = factory.org(district=LINGBAO, status=OrgStatus.PENDING, admin=applicant, name="渑池铝业")
    regulator = factory.regulator(jurisdiction=LINGBAO, locale="en")
    login(client, regulator)
    queue = client.get("/accounts/review")
    assert "渑池铝业" in queue.text

    missing = client.post(f"/accounts/organisations/{org.id}/reject", data={"reason": " "})
    assert missing.status_code == 422 and 'id="reason-error"' in missing.text
    assert _db(app, select(Organisation.status)) == OrgStatus.PENDING

    reason = "营业执照照片不清晰，请重新上传"
    assert client.post(f"/accounts/organisations/{org.id}/reject", data={"reason": reason}).status_code == 302
    mail = _db(app, select(OutboxMessage).where(OutboxMessage.recipient == applicant.email))
    assert reason in mail.body

    client.post("/accounts/logout")
    login(client, applicant)
    page = client.get("/accounts/organisation")
    assert reason in page.text and "Returned" in page.text
    edited = client.post(f"/accounts/organisations/{org.id}/edit", data=org_form(
        uscc=org.uscc, name="渑池铝业有限公司", district_code=LINGBAO))
    assert edited.status_code == 302
    assert client.post(f"/accounts/organisations/{org.id}/resubmit").status_code == 302
    assert _db(app, select(Organisation.status)) == OrgStatus.PENDING

    client.post("/accounts/logout")
    login(client, regulator)
    assert client.post(f"/accounts/organisations/{org.id}/verify").status_code == 302
    assert _db(app, select(Organisation.status)) == OrgStatus.VERIFIED
    client.post("/accounts/logout")
    login(client, applicant)
    assert "Verified" in client.get("/accounts/organisation").text


def test_review_queue_shows_only_the_jurisdiction_and_filters(client, factory):
    factory.org(district=LINGBAO, status=OrgStatus.PENDING, name="灵宝待审企业")
    factory.org(district=LINGBAO, status=OrgStatus.VERIFIED, name="灵宝已审企业")
    factory.org(district=HUBIN, status=OrgStatus.PENDING, name="湖滨待审医院")
    login(client, factory.regulator(jurisdiction=LINGBAO))
    pending = client.get("/accounts/review").text
    assert "灵宝待审企业" in pending and "灵宝已审企业" not in pending and "湖滨待审医院" not in pending
    verified = client.get("/accounts/review?status=verified").text
    assert "灵宝已审企业" in verified and "灵宝待审企业" not in verified
    everything = client.get("/accounts/review?status=all&q=待审").text
    assert "灵宝待审企业" in everything and "灵宝已审企业" not in everything and "湖滨待审医院" not in everything
    # a district outside the jurisdiction is no valid filter and shows nothing of it
    assert "湖滨待审医院" not in client.get(f"/accounts/review?district={HUBIN}").text
    assert client.get("/accounts/review?status=bogus").status_code == 200


def test_city_regulator_sees_every_district(client, factory):
    factory.org(district=HUBIN, status=OrgStatus.PENDING, name="湖滨待审医院")
    login(client, factory.regulator(jurisdiction="411200"))
    page = client.get(f"/accounts/review?district={HUBIN}").text
    assert "湖滨待审医院" in page


def test_enterprise_users_cannot_open_the_review_queue(client, factory):
    user = factory.user()
    factory.org(admin=user)
    login(client, user)
    assert client.get("/accounts/review").status_code == 403


def test_lingbao_regulator_cannot_reach_a_hubin_organisation(app, client, factory):
    hubin = factory.org(district=HUBIN, status=OrgStatus.PENDING, name="湖滨区人民医院")
    lingbao_regulator = factory.regulator(jurisdiction=LINGBAO)
    login(client, lingbao_regulator)
    assert client.get(f"/accounts/organisations/{hubin.id}").status_code == 404
    assert client.post(f"/accounts/organisations/{hubin.id}/verify").status_code == 404
    assert client.post(f"/accounts/organisations/{hubin.id}/reject", data={"reason": "x"}).status_code == 404
    assert _db(app, select(Organisation.status)) == OrgStatus.PENDING

    secret = factory.token(lingbao_regulator)
    assert client.get(f"/api/v1/organisations/{hubin.id}", headers=_bearer(secret)).status_code == 404
    assert client.get(f"/api/v1/organisations/{hubin.id}/members", headers=_bearer(secret)).status_code == 404
    listing = client.get("/api/v1/organisations?status=pending", headers=_bearer(secret)).json
    assert listing["total"] == 0

    hubin_regulator = factory.regulator(jurisdiction=HUBIN)
    client.post("/accounts/logout")
    login(client, hubin_regulator)
    assert "湖滨区人民医院" in client.get(f"/accounts/organisations/{hubin.id}").text


def test_a_member_cannot_verify_its_own_organisation(app, client, factory):
    user = factory.user()
    org = factory.org(admin=user, status=OrgStatus.PENDING)
    login(client, user)
    assert client.post(f"/accounts/organisations/{org.id}/verify").status_code == 403
    assert _db(app, select(Organisation.status)) == OrgStatus.PENDING


# --- members -----------------------------------------------------------------------------------

def test_enterprise_cannot_read_another_enterprises_members(client, factory):
    mine_admin = factory.user()
    factory.org(admin=mine_admin, name="我的企业")
    other_admin = factory.user(name="别家管理员")
    other = factory.org(admin=other_admin, name="别家企业")
    login(client, mine_admin)
    response = client.get(f"/accounts/organisations/{other.id}")
    assert response.status_code == 404 and "别家管理员" not in response.text

    secret = factory.token(mine_admin)
    assert client.get(f"/api/v1/organisations/{other.id}/members", headers=_bearer(secret)).status_code == 404
    assert client.get(f"/api/v1/organisations/{other.id}", headers=_bearer(secret)).status_code == 404

    own_secret = factory.token(other_admin)
    members = client.get(f"/api/v1/organisations/{other.id}/members", headers=_bearer(own_secret)).json
    assert [m["name"] for m in members["items"]] == ["别家管理员"]
    assert members["items"][0]["role"] == "admin"


def test_org_admin_changes_roles_and_removes_members_but_keeps_one_admin(app, client, factory):
    admin = factory.user(locale="en", name="管理员")
    org = factory.org(admin=admin)
    staff = factory.member(org, name="员工甲")
    login(client, admin)
    page = client.get("/accounts/organisation").text
    assert "员工甲" in page
    ids = {m.user_id: m.id for m in _members(app, org.id)}

    response = client.post(f"/accounts/organisations/{org.id}/members/{ids[staff.id]}/role",
                           data={f"m{ids[staff.id]}-role": "driver"})
    assert response.status_code == 302
    assert {m.user_id: m.role for m in _members(app, org.id)}[staff.id] == Role.DRIVER

    refused = client.post(f"/accounts/organisations/{org.id}/members/{ids[admin.id]}/role",
                          data={f"m{ids[admin.id]}-role": "staff"}, follow_redirects=True)
    assert "at least one administrator" in refused.text
    assert {m.user_id: m.role for m in _members(app, org.id)}[admin.id] == Role.ADMIN

    assert client.post(f"/accounts/organisations/{org.id}/members/{ids[staff.id]}/remove").status_code == 302
    assert [m.user_id for m in _members(app, org.id)] == [admin.id]


def test_staff_cannot_manage_members(app, client, factory):
    admin = factory.user()
    org = factory.org(admin=admin)
    staff = factory.member(org)
    ids = {m.user_id: m.id for m in _members(app, org.id)}
    login(client, staff)
    assert client.post(f"/accounts/organisations/{org.id}/members/{ids[admin.id]}/remove").status_code == 403
    assert client.post(f"/accounts/organisations/{org.id}/invitations",
                       data={"email": "x@example.cn", "role": "staff"}).status_code == 403
    assert client.get(f"/accounts/organisations/{org.id}/edit").status_code == 403
    assert len(_members(app, org.id)) == 2


def test_member_id_of_another_organisation_is_not_found(app, client, factory):
    admin = factory.user()
    org = factory.org(admin=admin)
    other_admin = factory.user()
    other = factory.org(admin=other_admin)
    foreign_member = _members(app, other.id)[0]
    login(client, admin)
    assert client.post(f"/accounts/organisations/{org.id}/members/{foreign_member.id}/remove").status_code == 404


def _members(app, org_id):
    with app.app_context():
        rows = db.session.scalars(select(Membership).where(Membership.organisation_id == org_id)
                                  .order_by(Membership.id)).all()
        db.session.expunge_all()
        return rows


def _invitation_path(app, email):
    body = _db(app, select(OutboxMessage.body).where(OutboxMessage.recipient == email))
    return re.search(r"http://wufei\.test(/accounts/invitations/\S+)", body).group(1)


def test_invitation_signs_up_a_new_person(app, client, factory):
    admin = factory.user(locale="en")
    org = factory.org(admin=admin, name="三门峡危废运输")
    login(client, admin)
    response = client.post(f"/accounts/organisations/{org.id}/invitations",
                           data={"email": "Driver@Example.cn", "role": "driver"}, follow_redirects=True)
    assert "An invitation has been sent to" in response.text
    path = _invitation_path(app, "driver@example.cn")

    guest = client.application.test_client()
    assert "三门峡危废运输" in guest.get(path).text
    short = guest.post(path, data={"name": "司机", "password": "short", "confirm": "short", "locale": "zh_CN"})
    assert short.status_code == 422
    joined = guest.post(path, data={"name": "司机", "password": "drive safely", "confirm": "drive safely",
                                    "locale": "zh_CN"})
    assert joined.headers["Location"].endswith("/accounts/organisation")
    assert "三门峡危废运输" in guest.get("/accounts/organisation").text
    roles = [m.role for m in _members(app, org.id)]
    assert roles == [Role.ADMIN, Role.DRIVER]
    # an invitation works once
    assert guest.application.test_client().get(path).status_code == 404


def test_invitation_for_an_existing_account_asks_to_sign_in(app, client, factory):
    admin = factory.user()
    org = factory.org(admin=admin)
    invitee = factory.user(email="staff@example.cn")
    factory.org(admin=invitee, name="原单位")
    login(client, admin)
    client.post(f"/accounts/organisations/{org.id}/invitations", data={"email": "staff@example.cn", "role": "staff"})
    path = _invitation_path(app, "staff@example.cn")

    guest = client.application.test_client()
    page = guest.get(path)
    assert "/accounts/login?next=" in page.text
    signed_in = guest.post(f"/accounts/login?next={path}", data={"login": "staff@example.cn", "password": PASSWORD})
    assert signed_in.headers["Location"].endswith(path)
    assert guest.post(path).status_code == 302
    assert invitee.id in [m.user_id for m in _members(app, org.id)]

    # joining made the new organisation the acting one; with two, the user can switch
    assert _heading(guest.get("/accounts/organisation").text).startswith(org.name)
    original = next(m.organisation_id for m in _memberships_of(app, invitee.id) if m.organisation_id != org.id)
    assert guest.post("/accounts/switch-organisation", data={"organisation_id": str(original)}).status_code == 302
    assert _heading(guest.get("/accounts/organisation").text).startswith("原单位")
    foreign = factory.org()
    guest.post("/accounts/switch-organisation", data={"organisation_id": str(foreign.id)})
    assert _heading(guest.get("/accounts/organisation").text).startswith("原单位")


def _heading(html: str) -> str:
    return html.split("<h1>")[1].split("</h1>")[0].strip()


def _memberships_of(app, user_id):
    with app.app_context():
        rows = db.session.scalars(select(Membership).where(Membership.user_id == user_id)).all()
        db.session.expunge_all()
        return rows


def test_invitation_for_someone_else_cannot_be_accepted(app, client, factory):
    admin = factory.user()
    org = factory.org(admin=admin)
    login(client, admin)
    client.post(f"/accounts/organisations/{org.id}/invitations", data={"email": "a@example.cn", "role": "staff"})
    path = _invitation_path(app, "a@example.cn")
    stranger = client.application.test_client()
    login(stranger, factory.user(email="b@example.cn", locale="en"))
    assert "You are signed in with another account" in stranger.get(path).text
    assert stranger.post(path).status_code == 403
    assert len(_members(app, org.id)) == 1


def test_unknown_invitation_is_not_found(client):
    assert client.get("/accounts/invitations/not-a-secret").status_code == 404


# --- API ---------------------------------------------------------------------------------------

def test_api_me_and_organisation_listing(client, factory):
    user = factory.user(name="赵会计")
    org = factory.org(admin=user, name="卢氏县再生资源", district="411224")
    factory.org(name="别人的企业")
    secret = factory.token(user, org)
    me = client.get("/api/v1/me", headers=_bearer(secret)).json
    assert me["user"]["name"] == "赵会计" and me["organisation"]["district_code"] == "411224"
    listing = client.get("/api/v1/organisations", headers=_bearer(secret)).json
    assert [o["name"] for o in listing["items"]] == ["卢氏县再生资源"]
    detail = client.get(f"/api/v1/organisations/{org.id}", headers=_bearer(secret)).json
    assert detail["uscc"] == org.uscc and detail["status"] == "verified"


def test_api_organisation_filters_and_bad_status(client, factory):
    factory.org(district=LINGBAO, name="灵宝甲", status=OrgStatus.PENDING)
    factory.org(district=HUBIN, name="湖滨乙")
    secret = factory.token(factory.regulator(jurisdiction="411200"))
    headers = _bearer(secret)
    assert client.get("/api/v1/organisations", headers=headers).json["total"] == 2
    assert [o["name"] for o in client.get("/api/v1/organisations?status=pending", headers=headers).json["items"]] \
        == ["灵宝甲"]
    assert client.get(f"/api/v1/organisations?district={HUBIN}", headers=headers).json["items"][0]["name"] == "湖滨乙"
    assert client.get("/api/v1/organisations?q=%E7%81%B5%E5%AE%9D", headers=headers).json["total"] == 1
    bad = client.get("/api/v1/organisations?status=bogus", headers=headers)
    assert bad.status_code == 422 and "status" in bad.json["error"]["fields"]  # well-formed, not a status
    assert client.get("/api/v1/organisations").status_code == 401


def test_api_registers_an_organisation(app, client, factory):
    user = factory.user()
    secret = factory.token(user)
    body = {"uscc": make_uscc(), "name": "义马气化厂", "address": "义马市千秋路", "district_code": "411281",
            "lat": 34.7473, "lon": "111.8690", "contact_name": "孙工", "contact_phone": "0398-5555555",
            "is_generator": True, "is_receiver": False}
    response = client.post("/api/v1/organisations", json=body, headers=_bearer(secret))
    assert response.status_code == 201, response.json
    assert response.json["status"] == "pending" and response.json["lat"] == "34.747300"
    assert response.json["is_generator"] is True and response.json["is_receiver"] is False
    assert response.headers["Location"].endswith(f"/api/v1/organisations/{response.json['id']}")
    assert client.get("/api/v1/me", headers=_bearer(secret)).status_code == 200
    with app.app_context():
        org = db.session.scalar(select(Organisation))
        assert [m.user_id for m in org.memberships] == [user.id]


def test_api_registers_an_organisation_in_beijing_and_keeps_the_city_box_for_its_districts(client, factory):
    secret = factory.token(factory.user(locale="en"))
    body = {"uscc": make_uscc(), "name": "北京再生资源有限公司", "address": "北京市东城区东长安街1号",
            "district_code": "110101", "lat": 39.9042, "lon": 116.4074, "contact_name": "王工",
            "contact_phone": "010-88888888", "is_receiver": True}
    response = client.post("/api/v1/organisations", json=body, headers=_bearer(secret))
    assert response.status_code == 201, response.json
    assert response.json["district_code"] == "110101" and response.json["district_name"] == "东城区"
    in_lingbao = {**body, "uscc": make_uscc(), "district_code": LINGBAO}
    response = client.post("/api/v1/organisations", json=in_lingbao, headers=_bearer(secret))
    assert response.status_code == 422 and set(response.json["error"]["fields"]) == {"lat", "lon"}


def test_api_refuses_a_wrong_uscc_and_saves_nothing(app, client, factory):
    secret = factory.token(factory.user(locale="en"))
    body = {"uscc": wrong_uscc(), "name": "x", "address": "y", "district_code": LINGBAO,
            "contact_name": "z", "contact_phone": "0398-1234567"}
    response = client.post("/api/v1/organisations", json=body, headers=_bearer(secret))
    assert response.status_code == 422
    assert USCC_CHECK_MESSAGE in response.json["error"]["fields"]["uscc"]
    assert _db(app, select(func.count(Organisation.id))) == 0


def test_api_names_every_bad_field(app, client, factory):
    secret = factory.token(factory.user(locale="en"))
    response = client.post("/api/v1/organisations", json={"uscc": make_uscc(), "lat": 60, "is_generator": "yes",
                                                          "name": ["not", "a", "string"]},
                           headers=_bearer(secret))
    assert response.status_code == 400  # values of the wrong JSON type
    fields = response.json["error"]["fields"]
    assert {"lat", "is_generator", "name", "address", "district_code", "contact_name"} <= set(fields)
    response = client.post("/api/v1/organisations", json={"uscc": make_uscc(), "lat": 60}, headers=_bearer(secret))
    assert response.status_code == 422 and {"lat", "name", "address"} <= set(response.json["error"]["fields"])
    assert client.post("/api/v1/organisations", data="[]", content_type="application/json",
                       headers=_bearer(secret)).status_code == 400
    assert _db(app, select(func.count(Organisation.id))) == 0


def test_openapi_documents_the_accounts_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/me", "/organisations", "/organisations/{org_id}", "/organisations/{org_id}/members"):
        assert path in paths
    assert "post" in paths["/organisations"]
