"""The batch, site, storage and stock pages as a generator and as a regulator sees them."""
import re
from types import SimpleNamespace

from sqlalchemy import func, select

from portal.extensions import db
from portal.regulatory.batches.models import Batch, Container, Site, StorageFacility
from portal.regulatory.batches.services import store_container
from tests.factories import login

from .helpers import make_batch, make_generator


def _setup(app, factory, **kwargs):
    with app.app_context():
        gen = make_generator(factory, **kwargs)
        batch = make_batch(gen, containers=2)
        store_container(batch.containers[0], gen.facility, actor=gen.user)
        db.session.commit()
        return {"user": SimpleNamespace(id=gen.user.id), "org": gen.org.id, "uscc": gen.org.uscc, "site": gen.site.id,
                "facility": gen.facility.id, "batch": batch.id, "codes": [c.code for c in batch.containers]}


def test_generator_registers_a_batch_through_the_form(app, client, factory):
    ids = _setup(app, factory)
    login(client, ids["user"])
    assert client.get("/batches/new").status_code == 200
    response = client.post("/batches/new", data={
        "waste_code": "900-249-08", "quantity": "0.9", "unit": "t", "form": "liquid", "packaging": "铁桶",
        "main_components": "矿物油", "harmful_components": "", "generated_on": "2025-01-02",
        "site_id": str(ids["site"]), "containers": "3"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    prefix = ids["uscc"] + "90024908" + "20250102"
    assert set(re.findall(prefix + r"\d{3}", page)) == {prefix + "001", prefix + "002", prefix + "003"}
    assert "badge-ok" in page  # the chain verifies


def test_bad_form_input_shows_field_errors_and_saves_nothing(app, client, factory):
    ids = _setup(app, factory)
    login(client, ids["user"])
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Batch))
    for change in ({"waste_code": "000-000-00"}, {"quantity": "0"}, {"quantity": "-2"}):
        data = {"waste_code": "900-249-08", "quantity": "1", "unit": "kg", "form": "solid", "packaging": "桶",
                "generated_on": "2025-01-02", "site_id": "0", "containers": "1", **change}
        response = client.post("/batches/new", data=data)
        assert response.status_code == 422
        assert 'class="error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Batch)) == before


def test_lists_detail_stock_and_sites_render(app, client, factory):
    ids = _setup(app, factory)
    login(client, ids["user"])
    listing = client.get("/batches?waste_code=90024908&status=open")
    assert listing.status_code == 200 and f"/batches/{ids['batch']}" in listing.get_data(as_text=True)
    assert client.get("/batches?date_from=not-a-date").status_code == 422
    detail = client.get(f"/batches/{ids['batch']}").get_data(as_text=True)
    assert ids["codes"][0] in detail and "badge-ok" in detail
    stock = client.get("/stock").get_data(as_text=True)
    assert "900-249-08" in stock
    assert client.get("/stock?waste_code=nonsense").status_code == 422
    assert "一号车间" in client.get("/sites").get_data(as_text=True)


def test_storage_out_of_a_facility_that_does_not_hold_it_is_a_form_error(app, client, factory):
    ids = _setup(app, factory)
    login(client, ids["user"])
    response = client.post("/storage/move", data={"container": ids["codes"][1], "facility": str(ids["facility"]),
                                                  "direction": "out"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Container.status).where(Container.code == ids["codes"][1])) == "created"
    response = client.post("/storage/move", data={"container": ids["codes"][1], "facility": str(ids["facility"]),
                                                  "direction": "in"})
    assert response.status_code == 302


def test_site_crud(app, client, factory):
    ids = _setup(app, factory)
    login(client, ids["user"])
    response = client.post("/sites/new", data={"name": "二号库", "kind": "storage", "address": "义马市1号",
                                               "district_code": "411281", "lat": "", "lon": ""})
    assert response.status_code == 302
    with app.app_context():
        site_id = db.session.scalar(select(Site.id).where(Site.name == "二号库"))
    assert client.post(f"/sites/{site_id}/edit", data={"name": "二号仓库", "kind": "storage", "address": "义马市1号",
                                                       "district_code": "411281"}).status_code == 302
    assert client.post("/sites/new", data={"name": "", "kind": "storage", "address": "x",
                                           "district_code": "411281"}).status_code == 422
    assert client.post(f"/sites/{site_id}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Site, site_id) is None


def test_other_organisation_and_regulators_outside_the_jurisdiction_see_nothing(app, client, factory):
    ids = _setup(app, factory)
    stranger = factory.user()
    factory.org(admin=stranger, is_generator=True)
    login(client, stranger)
    assert client.get(f"/batches/{ids['batch']}").status_code == 404
    assert f"/batches/{ids['batch']}" not in client.get("/batches").get_data(as_text=True)
    assert client.post(f"/sites/{ids['site']}/edit", data={"name": "x"}).status_code == 404
    elsewhere = factory.regulator(jurisdiction="411202")
    login(client, elsewhere)
    assert client.get(f"/batches/{ids['batch']}").status_code == 404
    local = factory.regulator(jurisdiction="411282")
    login(client, local)
    assert client.get(f"/batches/{ids['batch']}").status_code == 200
    page = client.get("/batches?district=411282").get_data(as_text=True)
    assert f"/batches/{ids['batch']}" in page
    assert client.get("/batches/new").status_code == 403


def test_facility_form_declares_capacity_in_tonnes_or_cubic_metres(app, client, factory):
    ids = _setup(app, factory)
    login(client, ids["user"])
    base = {"name": "废液储罐", "site_id": str(ids["site"]), "streams": "hazardous", "hazardous_allowed": "y"}
    assert client.post("/facilities/new", data={**base, "capacity": "2.5", "capacity_unit": "t"}).status_code == 302
    assert client.post("/facilities/new", data={**base, "name": "储罐B", "capacity": "12",
                                                "capacity_unit": "m3"}).status_code == 302
    refused = client.post("/facilities/new", data={**base, "capacity": "0.0001", "capacity_unit": "m3"})
    assert refused.status_code == 422 and 'class="error"' in refused.get_data(as_text=True)
    with app.app_context():
        rows = {f.name: (f.capacity_unit, f.capacity_g, f.capacity_l)
                for f in db.session.scalars(select(StorageFacility))}
    assert rows["废液储罐"] == ("t", 2_500_000, None) and rows["储罐B"] == ("m3", None, 12_000)
    sites = client.get("/sites").get_data(as_text=True)
    assert "2.5 t" in sites and "12 m³" in sites


def test_facility_page_shows_use_and_the_oldest_waste(app, client, factory):
    ids = _setup(app, factory)
    login(client, ids["user"])
    page = client.get(f"/facilities/{ids['facility']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "0.45 t / 5 t" in text and "(9 %)" in text  # one of two containers of a 900 kg batch, of 5 t
    assert ids["codes"][0] in text and "365" in text  # generated today: the whole year left
    with app.app_context():
        other = make_generator(factory)
        other_facility = other.facility.id
    assert client.get(f"/facilities/{other_facility}").status_code == 404


def test_facility_page_marks_ninety_percent(app, client, factory):
    with app.app_context():
        gen = make_generator(factory, capacity_g=1_000_000)
        store_container(make_batch(gen, containers=1, quantity="950").containers[0], gen.facility, actor=gen.user)
        db.session.commit()
        user, facility_id = SimpleNamespace(id=gen.user.id), gen.facility.id
    login(client, user)
    page = client.get(f"/facilities/{facility_id}")
    assert page.status_code == 200 and "0.95 t / 1 t" in page.text and "90 %" in page.text
