"""Licence pages and API: regulators record and decide within their jurisdiction, holders only read."""
from datetime import date, timedelta

from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.clock import china_today
from portal.extensions import db
from portal.regulatory.licences.models import Licence
from tests.factories import login

FORM = {"number": "豫环许可危废字41120001号", "kind": "disposal", "issuing_authority": "河南省生态环境厅",
        "issued_on": "2025-01-01", "valid_from": "2025-01-01", "valid_until": "2029-12-31",
        "annual_capacity_t": "5000", "scopes": "HW08 R9 D10\n900-041-49 D10 200t", "notes": ""}


def _licence(app, make_licence, org, **overrides) -> int:
    with app.test_request_context():
        return make_licence(org, **overrides).id


def _count(app, model=Licence) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_regulator_records_a_licence_with_its_scope(app, client, regulator, receiver):
    login(client, regulator)
    assert client.get("/licences/new").status_code == 200
    response = client.post("/licences/new", data={**FORM, "organisation_id": receiver.id})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "豫环许可危废字41120001号" in page and "900-041-49" in page and "HW08" in page
    assert "5,000 t" in page  # the capacity remaining this year
    with app.app_context():
        licence = db.session.scalar(select(Licence))
        assert licence.annual_capacity_g == 5_000_000_000 and licence.scopes[1].annual_capacity_g == 200_000_000
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.object_type == "licences")) \
            == "licence.created"


def test_a_bad_scope_token_is_a_form_error_and_nothing_is_saved(app, client, regulator, receiver):
    login(client, regulator)
    data = {**FORM, "organisation_id": receiver.id, "scopes": "HW08 R9\n900-999-99 D10"}
    response = client.post("/licences/new", data=data)
    assert response.status_code == 422
    assert "900-999-99" in response.get_data(as_text=True)
    bad_dates = {**FORM, "organisation_id": receiver.id, "valid_until": "2024-12-31"}
    assert client.post("/licences/new", data=bad_dates).status_code == 422
    assert _count(app) == 0


def test_a_duplicate_number_is_refused_on_the_field(app, client, regulator, receiver, make_licence):
    _licence(app, make_licence, receiver, number=FORM["number"])
    login(client, regulator)
    response = client.post("/licences/new", data={**FORM, "organisation_id": receiver.id})
    assert response.status_code == 422 and _count(app) == 1


def test_another_districts_regulator_can_neither_see_nor_change_it(app, client, factory, receiver, make_licence):
    licence_id = _licence(app, make_licence, receiver)
    login(client, factory.regulator(jurisdiction="411202"))
    assert client.get(f"/licences/{licence_id}").status_code == 404
    assert client.get(f"/licences/{licence_id}/edit").status_code == 404
    assert client.post(f"/licences/{licence_id}/suspend", data={"reason": "x"}).status_code == 404
    assert client.post("/licences/new", data={**FORM, "organisation_id": receiver.id}).status_code == 422
    assert "41120001" not in client.get("/licences/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Licence, licence_id).status == "active" and _count(app) == 1


def test_suspend_needs_a_reason_and_is_audited(app, client, regulator, receiver, make_licence):
    licence_id = _licence(app, make_licence, receiver)
    login(client, regulator)
    assert client.post(f"/licences/{licence_id}/suspend", data={"reason": ""}).status_code == 422
    assert client.post(f"/licences/{licence_id}/suspend", data={"reason": "环评手续不全"}).status_code == 302
    page = client.get(f"/licences/{licence_id}").get_data(as_text=True)
    assert "环评手续不全" in page
    assert client.post(f"/licences/{licence_id}/suspend", data={"reason": "again"}).status_code == 409
    with app.app_context():
        assert db.session.get(Licence, licence_id).status == "suspended"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "licence.suspend"))
        assert entry.before["status"] == "active" and entry.after["status_reason"] == "环评手续不全"


def test_a_city_regulator_edits_scope_and_revoked_licences_stay_as_they_are(app, client, factory, receiver,
                                                                             make_licence):
    licence_id = _licence(app, make_licence, receiver)
    login(client, factory.regulator(jurisdiction="411200"))
    form = client.get(f"/licences/{licence_id}/edit").get_data(as_text=True)
    assert "900-041-49 D10" in form
    data = {**FORM, "organisation_id": receiver.id, "number": "NEW-1", "scopes": "HW49 D10"}
    assert client.post(f"/licences/{licence_id}/edit", data=data).status_code == 302
    with app.app_context():
        assert [s.category_code for s in db.session.get(Licence, licence_id).scopes] == ["HW49"]
    assert client.post(f"/licences/{licence_id}/revoke", data={"reason": "吊销"}).status_code == 302
    assert client.post(f"/licences/{licence_id}/edit", data=data).status_code == 409


def test_the_holder_reads_licences_but_cannot_change_them(app, client, factory, make_licence):
    admin = factory.user()
    holder = factory.org(admin=admin, district="411282", is_receiver=True)
    licence_id = _licence(app, make_licence, holder)
    _licence(app, make_licence, factory.org(name="别家企业", district="411282"), suffix="other")
    login(client, admin)
    listing = client.get("/licences/").get_data(as_text=True)
    assert f"{holder.id}A号" in listing and "other号" in listing  # licences are public to verified enterprises
    page = client.get(f"/licences/{licence_id}").get_data(as_text=True)
    assert "/edit" not in page and "/suspend" not in page
    assert client.get(f"/licences/{licence_id}/edit").status_code == 403
    assert client.post(f"/licences/{licence_id}/revoke", data={"reason": "x"}).status_code == 403


def test_the_list_filters_by_status_code_district_and_expiry(app, client, factory, regulator, receiver,
                                                             make_licence):
    soon = china_today() + timedelta(days=20)
    _licence(app, make_licence, receiver, suffix="soon", valid_until=soon, scopes="HW08 R9")
    _licence(app, make_licence, receiver, suffix="late", valid_until=date(2035, 1, 1), scopes="900-041-49 D10")
    login(client, regulator)
    text = lambda url: client.get(url).get_data(as_text=True)  # noqa: E731
    assert "soon号" in text("/licences/?expiring=30") and "late号" not in text("/licences/?expiring=30")
    assert "late号" in text("/licences/?code=90004149") and "soon号" not in text("/licences/?code=90004149")
    assert "soon号" in text("/licences/?code=900-249-08")
    assert "soon号" not in text("/licences/?status=suspended")
    assert "soon号" in text("/licences/?district=411282")
    response = client.get("/licences/?code=123&expiring=-1")
    assert response.status_code == 200 and "soon号" in response.get_data(as_text=True)


def test_the_check_page_gives_the_reason(app, client, regulator, receiver, make_licence):
    _licence(app, make_licence, receiver, scopes="HW08 R9")
    login(client, regulator)
    assert client.get("/licences/check").status_code == 200
    page = client.get(f"/licences/check?org={receiver.id}&code=900-041-49&quantity_kg=10&date=2026-06-15")
    assert "code_out_of_scope" in page.get_data(as_text=True)
    page = client.get(f"/licences/check?org={receiver.id}&code=900-249-08&quantity_kg=10&date=2026-06-15")
    assert "allowed" in page.get_data(as_text=True)
    bad = client.get(f"/licences/check?org={receiver.id}&code=999&quantity_kg=-1&date=2026-06-15")
    assert bad.status_code == 422


def test_the_api_lists_visible_licences_and_answers_the_check(app, client, factory, regulator, make_licence):
    admin = factory.user()
    holder = factory.org(admin=admin, district="411282", is_receiver=True)
    _licence(app, make_licence, holder, scopes="HW08 R9 10t")
    _licence(app, make_licence, factory.org(district="411282"), suffix="other")
    own = factory.token(admin, holder)
    listing = client.get("/api/v1/licences", headers={"Authorization": f"Bearer {own}"}).get_json()
    assert holder.id in [item["holder"]["id"] for item in listing["items"]] and listing["total"] == 2  # public
    assert next(i for i in listing["items"] if i["holder"]["id"] == holder.id)["scopes"][0] == {"waste_code": None, "category_code": "HW08", "methods": ["R9"],
                                                "annual_capacity_g": 10_000_000}
    regulator_token = factory.token(regulator)
    assert client.get("/api/v1/licences", headers={"Authorization": f"Bearer {regulator_token}"}
                      ).get_json()["total"] == 2

    generator_admin = factory.user()
    factory.org(admin=generator_admin, is_generator=True)
    generator = factory.token(generator_admin, factory.org(admin=generator_admin))
    headers = {"Authorization": f"Bearer {generator}"}
    url = f"/api/v1/licences/check?org={holder.id}&code=90024908&date=2026-06-15&quantity_kg="
    ok = client.get(url + "1500.5", headers=headers).get_json()
    assert ok["allowed"] and ok["reason_code"] == "allowed" and ok["remaining_g"] == 10_000_000
    refused = client.get(url + "10000.001", headers=headers).get_json()
    assert (refused["allowed"], refused["reason_code"]) == (False, "capacity_exceeded")
    assert client.get(url + "1", headers={}).status_code == 401


def test_the_check_api_names_each_bad_parameter(client, factory, regulator, receiver):
    headers = {"Authorization": f"Bearer {factory.token(regulator)}"}
    response = client.get("/api/v1/licences/check?org=x&quantity_kg=0&date=2026-13-01", headers=headers)
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {"org", "code", "quantity_kg", "date"}
    unknown = client.get(f"/api/v1/licences/check?org={receiver.id}&code=999-999-99&quantity_kg=1",
                         headers=headers)
    assert unknown.status_code == 422 and "code" in unknown.get_json()["error"]["fields"]
    assert client.get("/api/v1/licences/check?org=999999&code=900-041-49&quantity_kg=1",
                      headers=headers).status_code == 404
    assert client.get("/api/v1/licences?status=bogus", headers=headers).status_code == 422
