"""The batches API: creation with container codes, reading, storage moves, and bad input refused cleanly."""

import pytest
from sqlalchemy import func, select

from portal.clock import china_today
from portal.extensions import db
from portal.regulatory.batches.models import Batch, Container
from portal.regulatory.batches.services import container_code
from portal.regulatory.ledger.models import LedgerEvent
from tests.factories import make_uscc

from .helpers import make_batch, make_generator


@pytest.fixture
def gen(app, factory):
    with app.app_context():
        generator = make_generator(factory)
        ids = {"user": generator.user.id, "org": generator.org.id, "uscc": generator.org.uscc,
               "site": generator.site.id, "facility": generator.facility.id}
        token = factory.token(generator.user, generator.org)
    return {**ids, "headers": {"Authorization": f"Bearer {token}"}}


def _counts(app):
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Batch, Container, LedgerEvent))


BODY = {"waste_code": "900-249-08", "quantity": "0.9", "unit": "t", "form": "liquid", "packaging": "200L铁桶",
        "main_components": "矿物油", "site_id": None, "containers": 3}


def test_create_batch_with_three_containers(client, gen):
    response = client.post("/api/v1/batches", json={**BODY, "site_id": gen["site"]}, headers=gen["headers"])
    assert response.status_code == 201, response.json
    batch = response.json
    assert batch["quantity_g"] == 900_000 and batch["hazards"] == ["T", "I"]
    assert [len(c["code"]) for c in batch["containers"]] == [37, 37, 37]
    assert all(c["code"].startswith(gen["uscc"]) for c in batch["containers"])
    events = client.get(f"/api/v1/batches/{batch['id']}/events", headers=gen["headers"]).json
    assert events["intact"] and [e["event_type"] for e in events["items"]] == ["generated", "split", "split", "split"]
    one = client.get(f"/api/v1/containers/{batch['containers'][0]['code']}", headers=gen["headers"])
    assert one.status_code == 200 and one.json["batch_id"] == batch["id"]
    listed = client.get("/api/v1/batches?waste_code=90024908", headers=gen["headers"]).json
    assert [b["id"] for b in listed["items"]] == [batch["id"]]


# 400: a value of the wrong JSON type or unparseable; 422: well-formed but breaking a rule
@pytest.mark.parametrize("change, field, status", [
    ({"waste_code": "123-456-78"}, "waste_code", 422), ({"quantity": "0"}, "quantity", 422),
    ({"quantity": "-3"}, "quantity", 422), ({"quantity": None}, "quantity", 400), ({"unit": "lb"}, "unit", 422),
    ({"form": "plasma"}, "form", 422), ({"containers": 0}, "containers", 422),
    ({"generated_on": "2024-13-01"}, "generated_on", 400), ({"generated_on": "0999-01-01"}, "generated_on", 422),
    ({"containers": True}, "containers", 400), ({"quantity": "1e400"}, "quantity", 422),
])
def test_bad_batch_input_is_refused_with_the_field(app, client, gen, change, field, status):
    before = _counts(app)
    response = client.post("/api/v1/batches", json={**BODY, **change}, headers=gen["headers"])
    assert response.status_code == status
    assert field in response.json["error"]["fields"]
    assert _counts(app) == before


def test_storage_moves_and_their_refusals(app, client, gen, factory):
    batch = client.post("/api/v1/batches", json=BODY, headers=gen["headers"]).json
    code = batch["containers"][0]["code"]
    move = {"container": code, "facility": gen["facility"], "direction": "in"}
    stored = client.post("/api/v1/storage-moves", json=move, headers=gen["headers"])
    assert stored.status_code == 201 and stored.json["event_type"] == "stored"
    before = _counts(app)
    # out of storage before it was ever stored: a step out of order, 409 naming what is possible now
    second = {**move, "container": batch["containers"][1]["code"], "direction": "out"}
    response = client.post("/api/v1/storage-moves", json=second, headers=gen["headers"])
    assert response.status_code == 409 and response.json["error"]["fields"]["state"] == "created"
    assert "store" in response.json["error"]["fields"]["allowed_actions"]
    # a code of the right shape whose waste code segment does not match any container of ours
    wrong_code = code[:18] + "90004149" + code[26:]
    response = client.post("/api/v1/storage-moves", json={**move, "container": wrong_code}, headers=gen["headers"])
    assert response.status_code == 404 and "container" in response.json["error"]["fields"]
    # a code that does not carry our credit code
    foreign = container_code(make_uscc(), "900-249-08", china_today(), 1)
    response = client.post("/api/v1/storage-moves", json={**move, "container": foreign}, headers=gen["headers"])
    assert response.status_code == 422 and "container" in response.json["error"]["fields"]
    for bad in ({**move, "container": "123"}, {**move, "direction": "sideways"}, {**move, "facility": "x"}):
        response = client.post("/api/v1/storage-moves", json=bad, headers=gen["headers"])
        assert response.status_code in (400, 422) and response.json["error"]["fields"], bad
    assert _counts(app) == before


def test_another_organisations_objects_are_invisible(app, client, gen, factory):
    with app.app_context():
        other = make_generator(factory)
        theirs = make_batch(other, containers=1)
        batch_id, code, facility_id = theirs.id, theirs.containers[0].code, other.facility.id
    assert client.get(f"/api/v1/batches/{batch_id}", headers=gen["headers"]).status_code == 404
    assert client.get(f"/api/v1/batches/{batch_id}/events", headers=gen["headers"]).status_code == 404
    assert client.get(f"/api/v1/containers/{code}", headers=gen["headers"]).status_code == 404
    assert client.get("/api/v1/batches", headers=gen["headers"]).json["total"] == 0
    ours = client.post("/api/v1/batches", json=BODY, headers=gen["headers"]).json["containers"][0]["code"]
    before = _counts(app)
    response = client.post("/api/v1/storage-moves", json={"container": ours, "facility": facility_id,
                                                          "direction": "in"}, headers=gen["headers"])
    assert response.status_code == 422 and "facility" in response.json["error"]["fields"]
    response = client.post("/api/v1/batches", json={**BODY, "site_id": 999999}, headers=gen["headers"])
    assert response.status_code == 422 and "site" in response.json["error"]["fields"]
    assert _counts(app) == before


def test_regulator_sees_batches_of_the_jurisdiction_only(app, client, gen, factory):
    with app.app_context():
        make_batch(make_generator(factory, district="411202"), containers=1)
    client.post("/api/v1/batches", json=BODY, headers=gen["headers"])
    lingbao = factory.regulator(jurisdiction="411282")
    token = factory.token(lingbao)
    listed = client.get("/api/v1/batches", headers={"Authorization": f"Bearer {token}"}).json
    assert listed["total"] == 1 and listed["items"][0]["organisation"]["uscc"] == gen["uscc"]


def test_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/batches", "/batches/{batch_id}", "/batches/{batch_id}/events", "/containers/{code}",
                 "/storage-moves"):
        assert path in paths
