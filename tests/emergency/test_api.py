"""The emergency API: a regulator's token records an incident and reads the drafted scheme; the look-up."""
from portal.emergency import services
from portal.extensions import db


def test_record_and_read_an_incident_through_the_api(app, client, factory, licensed):
    with app.test_request_context():
        licensed("近处处置公司", "34.730000", "111.150000")
    regulator = factory.regulator(jurisdiction="411200")
    token = factory.token(regulator)
    headers = {"Authorization": f"Bearer {token}"}
    body = {"title": "倾倒", "event_type": "illegal_dumping", "occurred_at": "2026-01-05T08:30:00+08:00",
            "lat": 34.732, "lon": 111.16, "reporter": "群众", "wastes": [{"waste_code": "900-041-49"}]}
    refused = client.post("/api/v1/emergency/incidents", json={**body, "lat": 39.9, "lon": 116.4}, headers=headers)
    assert refused.status_code == 422 and "lat" in refused.json["error"]["fields"]
    created = client.post("/api/v1/emergency/incidents", json=body, headers=headers)
    assert created.status_code == 201
    facilities = created.json["scheme"]["drafted"]["wastes"][0]["facilities"]
    assert [f["name"] for f in facilities] == ["近处处置公司"]
    read = client.get(f"/api/v1/emergency/incidents/{created.json['id']}", headers=headers)
    assert read.status_code == 200 and read.json["district_code"] == "411203"
    enterprise = factory.user()
    factory.org(admin=enterprise)
    other = {"Authorization": f"Bearer {factory.token(enterprise)}"}
    assert client.post("/api/v1/emergency/incidents", json=body, headers=other).status_code == 403
    assert client.get(f"/api/v1/emergency/incidents/{created.json['id']}", headers=other).status_code == 404


def test_plan_look_up(app, client, factory):
    regulator = factory.regulator(jurisdiction="411200")
    with app.test_request_context():
        services.load_templates()
        services.create_plan(db.session.merge(regulator), "city", title="市级预案", response_levels=["III"],
                             waste_codes="900-041-49")
        db.session.commit()
    headers = {"Authorization": f"Bearer {factory.token(regulator)}"}
    found = client.get("/api/v1/emergency/plans?waste_code=900-041-49", headers=headers)
    assert found.status_code == 200 and found.json["total"] == 1 and found.json["items"][0]["response_levels"] == ["III"]
