"""`wufei seed demo`: idempotent, realistic, and every stable demo login works."""
import pyotp
import pytest
from sqlalchemy import func, select

from portal import auth
from portal.accounts import services
from portal.accounts.models import Membership, Organisation, OrgStatus, Regulator, Role
from portal.accounts.uscc import is_valid
from portal.clock import china_today
from portal.coordination.demo import OFFICERS as CASE_OFFICERS
from portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, ORGANISATIONS, USERS, seed_demo
from portal.errors import DomainError
from portal.extensions import db
from portal.jurisdiction import in_jurisdiction
from portal.regulatory.general.models import GeneralTransfer
from portal.regulatory.general.services import general_register
from portal.regulatory.geo import district_at
from portal.regulatory.manifests.services import manifests_query
from portal.regulatory.transfers import services as transfers
from portal.regulatory.transfers.models import IncomingTransfer, TransferApproval

STABLE_LOGINS = ["admin@demo.wufei.cn", "regulator@demo.wufei.cn", "regulator.lingbao@demo.wufei.cn",
                 "generator@demo.wufei.cn", "receiver@demo.wufei.cn", "transporter@demo.wufei.cn",
                 "driver@demo.wufei.cn"]


def row_counts() -> dict:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


@pytest.fixture
def seeded(ctx):
    summary = seed_demo()
    db.session.commit()
    return summary


def test_second_run_duplicates_nothing(seeded):
    first = row_counts()
    again = seed_demo()
    db.session.commit()
    assert row_counts() == first
    assert again["organisations_created"] == again["users_created"] == 0
    assert again["organisations"] == seeded["organisations"] == len(ORGANISATIONS)
    assert seeded["users_created"] == len(USERS)


def test_every_demo_login_authenticates(seeded):
    for login in STABLE_LOGINS:
        assert services.authenticate(login, DEMO_PASSWORD).email == login


def test_reseeding_restores_a_changed_password_and_lifts_locks(seeded):
    user = services.find_user("generator@demo.wufei.cn")
    user.password_hash = services.hash_password("something else 1")
    user.active = False
    db.session.commit()
    seed_demo()
    db.session.commit()
    assert services.authenticate("generator@demo.wufei.cn", DEMO_PASSWORD).active


def test_regulators_and_admin_use_the_fixed_totp_secret(seeded):
    code = pyotp.TOTP(DEMO_TOTP_SECRET).now()
    for login in ("admin@demo.wufei.cn", "regulator@demo.wufei.cn", "regulator.lingbao@demo.wufei.cn"):
        user = services.find_user(login)
        assert user.needs_totp and user.totp_enabled
        services.verify_totp(user, code)  # raises when refused
    with pytest.raises(DomainError):
        services.verify_totp(services.find_user("regulator@demo.wufei.cn"), "000000" if code != "000000"
                             else "111111")


def test_roles_and_jurisdictions(seeded):
    find = services.find_user
    assert find("admin@demo.wufei.cn").is_platform_admin
    city, lingbao = find("regulator@demo.wufei.cn").regulator, find("regulator.lingbao@demo.wufei.cn").regulator
    assert (city.department, city.jurisdiction_code) == ("ecology", "411200")
    assert (lingbao.department, lingbao.jurisdiction_code) == ("ecology", "411282")
    weinan = find("regulator.weinan@demo.wufei.cn").regulator  # the destination of the cross-province transfer
    assert (weinan.department, weinan.jurisdiction_code) == ("ecology", "610500")

    (generator,) = find("generator@demo.wufei.cn").memberships
    assert generator.role == Role.ADMIN and generator.organisation.is_generator
    assert generator.organisation.is_verified and generator.organisation.district_code == "411282"
    (receiver,) = find("receiver@demo.wufei.cn").memberships
    assert receiver.organisation.is_receiver and receiver.organisation.is_verified
    (transporter,) = find("transporter@demo.wufei.cn").memberships
    (driver,) = find("driver@demo.wufei.cn").memberships
    assert transporter.organisation_id == driver.organisation_id and transporter.organisation.is_transporter
    assert (transporter.role, driver.role) == (Role.ADMIN, Role.DRIVER)
    # the three above and the officers of the 城市管理局 who handle the demo cases
    assert db.session.scalar(select(func.count()).select_from(Regulator)) == 3 + len(CASE_OFFICERS)


def test_the_review_queue_is_not_empty(seeded):
    pending = db.session.scalars(select(Organisation).where(Organisation.status == OrgStatus.PENDING)).all()
    returned = db.session.scalars(select(Organisation).where(Organisation.status == OrgStatus.REJECTED)).all()
    assert pending and returned and all(o.rejection_reason for o in returned)
    for login in ("regulator@demo.wufei.cn", "regulator.lingbao@demo.wufei.cn"):
        assert any(auth.can_review_org(services.find_user(login), o) for o in pending)
    assert all(m.role == Role.ADMIN for o in pending + returned for m in o.memberships)


def test_enterprises_are_real_industries_in_their_districts(seeded):
    orgs = db.session.scalars(select(Organisation)).all()
    industries = " ".join(o.industry for o in orgs)
    for word in ("金矿", "金冶炼", "氧化铝", "赤泥", "煤矸石", "粉煤灰", "脱硫石膏", "医疗废物", "危险废物", "运输", "建材"):
        assert word in industries, word
    for org in orgs:
        assert is_valid(org.uscc), org.uscc
        assert org.uscc[2:8] == org.district_code
        if in_jurisdiction(org.district_code):  # the boundaries shipped are the city's
            assert district_at(org.lat, org.lon) == org.district_code, org.name
    by_district = {o.district_code for o in orgs if o.is_verified}
    assert {"411202", "411203", "411221", "411281", "411282"} <= by_district


def test_verified_demo_organisations_are_put_back_when_changed(seeded):
    org = db.session.scalar(select(Membership).join(Membership.user).where(
        Membership.role == Role.ADMIN, Membership.organisation.has(Organisation.is_generator),
        Membership.user.has(email="generator@demo.wufei.cn"))).organisation
    org.status = OrgStatus.REJECTED
    db.session.commit()
    seed_demo()
    db.session.commit()
    assert org.status == OrgStatus.VERIFIED


def test_cli_seed_demo(app):
    result = app.test_cli_runner().invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    assert f"organisations: {len(ORGANISATIONS)}" in result.output
    result = app.test_cli_runner().invoke(args=["seed", "demo"])
    assert "organisations_created: 0" in result.output


def test_demo_admin_signs_in_with_password_and_totp_and_opens_admin(app, client):
    with app.app_context():
        seed_demo()
        db.session.commit()
    response = client.post("/accounts/login", data={"login": "admin@demo.wufei.cn", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and "/accounts/totp" in response.headers["Location"]
    assert client.get("/admin/").status_code == 302
    response = client.post("/accounts/totp", data={"code": pyotp.TOTP(DEMO_TOTP_SECRET).now()})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/users?q=demo.wufei.cn").status_code == 200


def test_the_demo_shows_general_waste_on_its_own_transfer_records_and_register(seeded):
    records = {r.batch.waste_code: r for r in db.session.scalars(select(GeneralTransfer))}
    assert records["SW02"].state == "received" and records["SW02"].number.startswith("YB")
    assert records["772-007-50"].state == "created" and records["772-007-50"].exemption_item.item_no == 29
    recycler = records["SW02"].receiver
    register = general_register(recycler, china_today().replace(day=1))
    assert [(row.waste_code, row.grams["received"]) for row in register.rows] == [("SW02", 29_860_000)]


def test_the_demo_crosses_the_boundary_both_ways(seeded):
    (approval,) = db.session.scalars(select(TransferApproval)).all()
    (drawn,) = [r for r in transfers.remaining(approval) if r.drawn_g]
    assert (drawn.waste_code, drawn.drawn_g) == ("321-032-48", 2_000_000)
    weinan = services.find_user("regulator.weinan@demo.wufei.cn")
    (seen,) = db.session.scalars(manifests_query(weinan)).all()
    assert seen.transfer_approval_id == approval.id and seen.receiver.district_code.startswith("6105")
    (arrival,) = db.session.scalars(select(IncomingTransfer)).all()
    assert arrival.external_number and not in_jurisdiction(arrival.origin_district_code)
