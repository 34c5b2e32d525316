"""The carriers' records through the JSON API, and a manifest leg naming them by id."""
from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import Role
from portal.clock import china_today
from portal.extensions import db
from portal.regulatory.transport.models import TransportWorker, Vehicle
from tests.regulatory.transport.helpers import id_number


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def vehicle_body(plate="豫MD12345", days=200) -> dict:
    return {"plate": plate, "vehicle_type": "tank_truck", "rated_load_kg": 15_000,
            "permit_number": "豫交运管三字411202399999号",
            "permit_valid_until": (china_today() + timedelta(days=days)).isoformat(), "gps_device_id": "013700000001"}


def test_the_office_records_vehicles_and_drivers_its_drivers_do_not(parties, client, factory):
    p = parties
    office = factory.token(factory.member(p.carrier1, role=Role.STAFF), p.carrier1)
    response = client.post("/api/v1/transport/vehicles", json=vehicle_body("豫M12345X"), headers=auth(office))
    assert response.status_code == 422 and "plate" in response.json["error"]["fields"]
    response = client.post("/api/v1/transport/vehicles", json=vehicle_body(" 豫md12345 "), headers=auth(office))
    assert response.status_code == 201, response.json
    assert response.json["plate"] == "豫MD12345" and response.json["expiry"] == "valid"
    again = client.post("/api/v1/transport/vehicles", json=vehicle_body("豫MD12345"), headers=auth(office))
    assert again.status_code == 409
    driver = factory.token(p.driver1, p.carrier1)
    assert client.post("/api/v1/transport/vehicles", json=vehicle_body("豫MD54321"),
                       headers=auth(driver)).status_code == 403
    worker = {"kind": "escort", "name": "周押运", "phone": "13700000002", "id_number": id_number(901),
              "certificate_number": "YY411200000901", "certificate_valid_until": china_today().isoformat()}
    response = client.post("/api/v1/transport/workers", json=worker, headers=auth(office))
    assert response.status_code == 201 and response.json["expiry"] == "expiring"
    bad = {**worker, "id_number": id_number(902)[:-1] + ("0" if id_number(902)[-1] != "0" else "1")}
    assert client.post("/api/v1/transport/workers", json=bad, headers=auth(office)).status_code == 422


def test_lists_filter_by_expiry_and_regulators_see_their_jurisdiction(parties, client, factory):
    p = parties
    office = factory.token(factory.member(p.carrier1, role=Role.STAFF), p.carrier1)
    client.post("/api/v1/transport/vehicles", json=vehicle_body("豫M1234挂", days=10), headers=auth(office))
    soon = client.get("/api/v1/transport/vehicles?expiring_within=30", headers=auth(office)).json
    assert [v["plate"] for v in soon["items"]] == ["豫M1234挂"] and soon["items"][0]["expiry"] == "expiring"
    own = client.get("/api/v1/transport/vehicles", headers=auth(office)).json
    assert {v["plate"] for v in own["items"]} == {"豫M12345", "豫M1234挂"}  # not the other carrier's
    city = factory.token(factory.regulator(jurisdiction="411200"))
    every = client.get("/api/v1/transport/vehicles?q=豫M", headers=auth(city)).json
    assert {"豫M12345", "豫M67890", "豫M1234挂"} <= {v["plate"] for v in every["items"]}
    lingbao = factory.token(p.regulator)  # 灵宝市 only; the carriers are in 义马市 and 渑池县
    assert client.get("/api/v1/transport/vehicles", headers=auth(lingbao)).json["total"] == 0
    licences = client.get(f"/api/v1/transport/licences?org={p.carrier2.id}", headers=auth(city)).json
    assert len(licences["items"]) == 1 and licences["items"][0]["dangerous_goods"] == ["9"]


def test_a_leg_named_by_ids_and_an_expired_certificate_at_pick_up(parties, client, factory):
    p = parties
    vehicle = db.session.scalar(select(Vehicle).where(Vehicle.organisation_id == p.carrier1.id))
    driver = db.session.scalar(select(TransportWorker).where(TransportWorker.organisation_id == p.carrier1.id,
                                                             TransportWorker.kind == "driver"))
    body = {**p.draft_values(), "carriers": [{"organisation_id": p.carrier1.id, "vehicle_id": vehicle.id,
                                              "driver_id": driver.id}]}
    body["lines"] = [{**body["lines"][0], "dangerous_goods_class": "9"}]
    generator = factory.token(p.generator_user, p.generator)
    response = client.post("/api/v1/manifests", json=body, headers=auth(generator))
    assert response.status_code == 201, response.json
    leg = response.json["carriers"][0]
    assert (leg["vehicle_id"], leg["driver_id"], leg["vehicle_plate"], leg["driver_name"]) == (
        vehicle.id, driver.id, "豫M12345", "张师傅")
    assert response.json["lines"][0]["dangerous_goods_class"] == "9"
    manifest_id = response.json["id"]
    assert client.post(f"/api/v1/manifests/{manifest_id}/actions/submit", json={},
                       headers=auth(generator)).status_code == 200
    driver.certificate_valid_until = china_today() - timedelta(days=1)
    db.session.commit()
    codes = [c.code for c in p.batch.containers]
    response = client.post(f"/api/v1/manifests/{manifest_id}/actions/pick_up", json={"scanned": codes},
                           headers=auth(factory.token(p.driver1, p.carrier1)))
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "transport_document_invalid" and "carriers[0].driver_id" in error["fields"]
    assert driver.certificate_number in error["message"]
