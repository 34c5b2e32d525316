"""What crosses the city's boundary: the destination's regulators read it, the city's regulators filter it,
and arrivals from other cities are recorded by their external manifest number."""
from datetime import timedelta
from types import SimpleNamespace

import pytest

from portal import auth
from portal.accounts.models import Organisation, User
from portal.clock import china_today
from portal.errors import Conflict, DomainError, Forbidden, NotFound
from portal.extensions import db
from portal.regulatory.manifests import services as manifests
from portal.regulatory.manifests.models import Manifest
from portal.regulatory.manifests.states import allowed_actions, apply_action
from portal.regulatory.models import Division
from portal.regulatory.transfers import services
from tests.factories import login
from tests.regulatory.batches.helpers import make_batch, make_generator

from .conftest import build_cross


def _submitted_to_the_west(cross) -> Manifest:
    cross.approve()
    manifest = cross.draft()
    apply_action(manifest, "submit", cross.p.generator_user, cross.p.generator)
    db.session.commit()
    return manifest


def _listed(user, **filters) -> set[int]:
    return set(db.session.scalars(manifests.manifests_query(user, **filters).with_only_columns(Manifest.id)))


@pytest.mark.parametrize("area", ["610000", "610500", "610502"])
def test_the_destinations_regulator_reads_what_arrives_in_its_area_and_nothing_else(cross, factory, area):
    west_manifest = _submitted_to_the_west(cross)
    local = cross.draft(receiver=cross.p.receiver, lines=[])  # a draft inside the city
    weinan = db.session.get(User, factory.regulator(jurisdiction=area).id)
    assert _listed(weinan) == {west_manifest.id}
    assert manifests.get_manifest(weinan, west_manifest.id) is west_manifest
    with pytest.raises(NotFound):
        manifests.get_manifest(weinan, local.id)
    # read-only: no step, no organisation of the city, no review
    assert allowed_actions(west_manifest, weinan) == []
    with pytest.raises(Forbidden):
        apply_action(west_manifest, "cancel", weinan, cross.west)
    assert db.session.scalars(auth.orgs_visible_to(weinan)).all() == []
    assert not auth.can_review_org(weinan, cross.west)


def test_a_regulator_of_another_area_does_not_see_the_transfer(cross, factory):
    _submitted_to_the_west(cross)
    wuhan = db.session.get(User, factory.regulator(jurisdiction="420100").id)
    assert _listed(wuhan) == set()


def test_the_city_regulator_filters_transfers_leaving_and_entering_the_city(cross, factory):
    leaving = _submitted_to_the_west(cross)
    # a generator in Shaanxi sending to the city's receiver enters it
    western = make_generator(factory, district="610502")
    batch = make_batch(western, containers=1)
    entering = manifests.create_manifest_draft(
        generator_org=western.org, receiver_org=cross.p.receiver, actor=western.user,
        carriers=cross.p.draft_values()["carriers"], lines=[{"batch": batch}], emergency_measures="围堵")
    # entering from another province needs its approval too (recorded here by the city's regulator)
    services.record_approval(cross.city_regulator, generator=western.org, receiver=cross.p.receiver,
                             number="陕环危跨审〔2026〕3号", approving_authority="陕西省生态环境厅",
                             valid_from=china_today(), valid_until=china_today(),
                             lines=services.parse_quantity_lines("900-249-08 1t", "lines"))
    db.session.commit()
    apply_action(entering, "submit", western.user, western.org)
    db.session.commit()
    city = cross.city_regulator
    assert _listed(city, crossing="outgoing") == {leaving.id}
    assert _listed(city, crossing="incoming") == {entering.id}
    assert _listed(city, crossing="any") == {leaving.id, entering.id}
    assert _listed(city) == {leaving.id, entering.id}


def _arrival(receiver, user, **overrides):
    values = dict(external_number="20261408000123", issuing_system="全国固体废物管理信息系统",
                  origin_district_code="140802", generator_name="运城某机械厂", generator_uscc=None,
                  received_on=china_today() - timedelta(days=1),
                  lines=services.parse_quantity_lines("900-249-08 1.5t", "lines"))
    values.update(overrides)
    transfer = services.record_incoming(user, receiver, **values)
    db.session.commit()
    return transfer


def test_a_receiver_records_an_arrival_by_its_external_number_and_it_is_searchable(cross, factory):
    p = cross.p
    transfer = _arrival(p.receiver, p.receiver_user)
    assert transfer.total_g == 1_500_000 and transfer.origin_district_code == "140802"
    for user in (p.receiver_user, cross.city_regulator, p.regulator):  # p.regulator: the receiver's district
        assert db.session.scalars(services.incoming_visible_to(user, "2026140800")).all() == [transfer]
    assert db.session.scalars(services.incoming_visible_to(cross.city_regulator, "运城")).all() == [transfer]
    assert db.session.scalars(services.incoming_visible_to(cross.city_regulator, "99999")).all() == []
    assert db.session.scalars(services.incoming_visible_to(p.generator_user)).all() == []
    weinan = db.session.get(User, factory.regulator(jurisdiction="610500").id)
    assert db.session.scalars(services.incoming_visible_to(weinan)).all() == []


@pytest.mark.parametrize(("overrides", "field"), [
    ({"origin_district_code": "411203"}, "origin_district_code"),  # from within the city
    ({"origin_district_code": "140800"}, "origin_district_code"),  # a prefecture, not a county
    ({"received_on": china_today() + timedelta(days=1)}, "received_on"),
    ({"external_number": f"{china_today().year}4112000001"}, "external_number"),  # one of our own numbers
])
def test_an_arrival_with_a_wrong_field_is_refused_on_that_field(cross, overrides, field):
    with pytest.raises(DomainError) as refused:
        _arrival(cross.p.receiver, cross.p.receiver_user, **overrides)
    db.session.rollback()
    assert field in refused.value.fields


def test_only_the_receivers_office_records_its_arrivals_once(cross, factory):
    p = cross.p
    with pytest.raises(Forbidden):
        _arrival(p.receiver, p.generator_user)
    db.session.rollback()
    west_user = db.session.get(User, factory.member(cross.west).id)
    with pytest.raises(DomainError) as refused:  # a receiver outside the city records in its own system
        _arrival(db.session.get(Organisation, cross.west.id), west_user)
    db.session.rollback()
    assert "receiver_id" in refused.value.fields
    _arrival(p.receiver, p.receiver_user)
    with pytest.raises(Conflict):
        _arrival(p.receiver, p.receiver_user)
    db.session.rollback()


# --- pages ---------------------------------------------------------------------------------------

@pytest.fixture
def page_cross(app, factory):
    with app.app_context():
        cross = build_cross(factory)
        ids = SimpleNamespace(generator=cross.p.generator.id, west=cross.west.id,
                              regulator=cross.p.regulator.id, city=cross.city_regulator.id,
                              receiver_user=cross.p.receiver_user.id, generator_user=cross.p.generator_user.id)
        manifest = cross.draft()
        ids.manifest = manifest.id
        return ids


def _user(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id)


def test_regulator_records_an_approval_on_the_form_and_the_manifest_page_shows_it(app, client, page_cross):
    login(client, _user(app, page_cross.regulator))
    today = china_today()
    form = {"generator_id": page_cross.generator, "receiver_id": page_cross.west, "number": "豫环危跨审〔2026〕7号",
            "approving_authority": "河南省生态环境厅", "valid_from": (today - timedelta(days=1)).isoformat(),
            "valid_until": (today + timedelta(days=90)).isoformat(), "lines": "900-249-08 1t"}
    bad = client.post("/transfers/approvals/new", data={**form, "lines": "900-249-08 lots"})
    assert bad.status_code == 422 and 'id="lines-error"' in bad.text
    response = client.post("/transfers/approvals/new", data=form)
    assert response.status_code == 302
    detail = client.get(response.headers["Location"])
    assert detail.status_code == 200 and "900-249-08" in detail.text and "1 t" in detail.text
    listing = client.get("/transfers/approvals")
    assert "豫环危跨审〔2026〕7号" in listing.text
    # the 5 t manifest exceeds the 1 t: its submission names the line; with 10 t more it goes through
    login(client, _user(app, page_cross.generator_user))
    refused = client.post(f"/manifests/{page_cross.manifest}/steps/submit", follow_redirects=True)
    assert "900-249-08" in refused.text and "豫环危跨审〔2026〕7号" in refused.text
    with app.app_context():
        assert db.session.get(Manifest, page_cross.manifest).state == "draft"
        approval = services.record_approval(
            db.session.get(User, page_cross.city), generator=db.session.get(Organisation, page_cross.generator),
            receiver=db.session.get(Organisation, page_cross.west), number="豫环危跨审〔2026〕8号",
            approving_authority="河南省生态环境厅", valid_from=today, valid_until=today,
            lines=services.parse_quantity_lines("900-249-08 10t", "lines"))
        db.session.commit()
        number = approval.number
    assert client.post(f"/manifests/{page_cross.manifest}/steps/submit").status_code == 302
    page = client.get(f"/manifests/{page_cross.manifest}")
    assert number in page.text


def test_receiver_records_an_arrival_on_the_form_and_finds_it(app, client, page_cross):
    login(client, _user(app, page_cross.receiver_user))
    form = {"external_number": "20261408000777", "issuing_system": "山西省固体废物管理信息平台",
            "origin_district_code": "140802", "generator_name": "运城某机械厂",
            "received_on": china_today().isoformat(), "lines": "900-249-08 800kg"}
    bad = client.post("/transfers/incoming/new", data={**form, "origin_district_code": "411282"})
    assert bad.status_code == 422 and 'id="origin_district_code-error"' in bad.text
    response = client.post("/transfers/incoming/new", data=form)
    assert response.status_code == 302
    detail = client.get(response.headers["Location"])
    assert "20261408000777" in detail.text and "山西省 / 运城市 / 盐湖区" in detail.text
    assert "20261408000777" in client.get("/transfers/incoming?q=202614080007").text
    assert "20261408000777" not in client.get("/transfers/incoming?q=19991").text


def test_the_organisation_page_shows_the_full_division_path(app, client, page_cross):
    login(client, _user(app, page_cross.generator_user))
    page = client.get("/accounts/organisation")
    assert page.status_code == 200 and "河南省 / 三门峡市 / 灵宝市" in page.text


def test_the_api_reads_approvals_with_what_is_left_and_finds_arrivals_by_external_number(app, client, factory):
    with app.app_context():
        cross = build_cross(factory)
        manifest = _submitted_to_the_west(cross)
        _arrival(cross.p.receiver, cross.p.receiver_user)
        weinan = factory.regulator(jurisdiction="610500")
        tokens = {name: factory.token(user) for name, user in (
            ("weinan", weinan), ("city", cross.city_regulator), ("generator", cross.p.generator_user))}
        manifest_number = manifest.number

    def get(name, path):
        return client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {tokens[name]}"})

    (approval,) = get("weinan", "/transfer-approvals").json["items"]
    assert approval["codes"] == [{"waste_code": "900-249-08", "approved_g": 10_000_000, "drawn_g": 5_000_000,
                                  "remaining_g": 5_000_000}]
    assert get("generator", f"/transfer-approvals/{approval['id']}").json["number"] == approval["number"]
    (seen,) = get("weinan", "/manifests").json["items"]
    assert seen["number"] == manifest_number and seen["transfer_approval"]["id"] == approval["id"]
    assert [t["external_number"] for t in get("city", "/incoming-transfers?q=2026140800").json["items"]] == [
        "20261408000123"]
    assert get("city", "/incoming-transfers?q=1999").json["items"] == []
    assert get("weinan", "/incoming-transfers").json["items"] == []
    assert get("generator", "/incoming-transfers/1").status_code == 404
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/transfer-approvals", "/incoming-transfers/{transfer_id}"} <= set(paths)


@pytest.mark.parametrize(("area", "inside", "outside"), [
    ("610000", "610502", "411282"), ("610500", "610502", "610602"), ("610502", "610502", "610503"),
    ("411200", "411282001", "410102"), ("441900", "441900", "441800"),  # 东莞: a prefecture without counties
])
def test_a_division_covers_what_lies_within_it(ctx, area, inside, outside):
    division = db.session.get(Division, area)
    assert division.covers(inside) and not division.covers(outside) and not division.covers(None)
