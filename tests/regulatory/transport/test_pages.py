"""The fleet pages: the office adds a vehicle (the plate rule shown on the field), expiry warnings, the
regulator's view of every carrier."""
from datetime import timedelta

from portal.accounts.models import Role
from portal.clock import china_today
from portal.extensions import db
from portal.regulatory.transport.models import Vehicle
from tests.factories import login
from tests.regulatory.transport.helpers import make_fleet


def test_office_adds_a_vehicle_and_sees_the_expiry_warning(app, client, factory):
    with app.app_context():
        carrier = factory.org(name="三门峡安运危货", district="411202", is_transporter=True)
        office = factory.member(carrier, role=Role.STAFF)
        make_fleet(factory, carrier, plate="豫M11111", valid_until=china_today() + timedelta(days=5), office=office)
        office_id, carrier_id = office.id, carrier.id
    with app.app_context():
        login(client, db.session.get(type(office), office_id))
    page = client.get("/transport/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "豫M11111" in html and "badge-wait" in html
    form = {"plate": "豫M1111", "vehicle_type": "tank_truck", "rated_load_t": "9.8",
            "permit_number": "豫交运管三字411202300999号",
            "permit_valid_until": (china_today() + timedelta(days=90)).isoformat()}
    refused = client.post("/transport/vehicles/new", data=form)
    assert refused.status_code == 422 and "豫M1111" in refused.get_data(as_text=True)
    saved = client.post("/transport/vehicles/new", data={**form, "plate": "豫M05678D", "active": "y"})
    assert saved.status_code == 302
    with app.app_context():
        vehicle = db.session.query(Vehicle).filter_by(plate="豫M05678D").one()
        assert vehicle.rated_load_kg == 9_800 and vehicle.organisation_id == carrier_id
    drivers = client.get("/transport/?show=workers&expiring=30").get_data(as_text=True)
    assert "张师傅" in drivers


def test_regulator_sees_the_carriers_of_the_city(app, client, factory):
    with app.app_context():
        carrier = factory.org(name="灵宝危运", district="411282", is_transporter=True)
        make_fleet(factory, carrier, plate="豫M22222")
        regulator = factory.regulator(jurisdiction="411200")
        login(client, regulator)
        carrier_id = carrier.id
    html = client.get("/transport/?show=licences").get_data(as_text=True)
    assert "灵宝危运" in html and "三门峡市交通运输局" in html
    assert "豫M22222" in client.get(f"/transport/?org={carrier_id}").get_data(as_text=True)
    assert client.get("/transport/vehicles/new").status_code == 403
