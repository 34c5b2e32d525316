"""EPCIS 2.0 export of a batch's ledger, validated against GS1's JSON schema (../shared/data/epcis)."""
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from portal.extensions import db
from portal.regulatory.batches import services
from portal.regulatory.epcis import batch_epcis_document, container_uri
from portal.regulatory.ledger.services import append_event
from tests.regulatory.batches.helpers import make_batch, make_generator

EPCIS_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "epcis"
pytestmark = pytest.mark.skipif(not (EPCIS_DIR / "EPCIS-JSON-Schema.json").exists(),
                                reason=f"the GS1 EPCIS schema is not at {EPCIS_DIR.resolve()} (../shared is absent)")


@pytest.fixture(scope="module")
def validator():
    schema = json.loads((EPCIS_DIR / "EPCIS-JSON-Schema.json").read_text())
    # the format checker makes 'uri' and 'date-time' real checks, not annotations
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


def _errors(validator, document) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_validator_accepts_the_six_gs1_examples(validator):
    examples = sorted((EPCIS_DIR / "examples").glob("*.jsonld"))
    assert len(examples) == 6
    for path in examples:
        assert _errors(validator, json.loads(path.read_text())) == [], path.name


def test_validator_checks_formats_and_required_fields(validator):
    broken = json.loads((EPCIS_DIR / "examples" / "Example_9.6.1-ObjectEvent.jsonld").read_text())
    event = broken["epcisBody"]["eventList"][0]
    del event["eventTimeZoneOffset"]
    event["readPoint"] = {"id": "not a uri"}
    assert len(_errors(validator, broken)) >= 2


def _transferred_batch(factory):
    """Stored, retrieved, split (on creation), picked up, delivered, received and treated; one correction."""
    gen = make_generator(factory)
    carrier = factory.org(is_transporter=True)
    receiver = factory.org(is_receiver=True)
    batch = make_batch(gen, containers=3, quantity="900", unit="kg")
    first, second, _third = batch.containers
    services.store_container(first, gen.facility, actor=gen.user)
    services.store_container(second, gen.facility, actor=gen.user)
    services.retrieve_container(first, gen.facility, actor=gen.user)
    now = datetime.now(UTC)
    place = {"place": "三门峡市湖滨区", "lat": "34.772", "lon": "111.200"}
    append_event(batch, "picked_up", actor=None, organisation=carrier, container=first, quantity_g=300_000,
                 occurred_at=now + timedelta(minutes=1), data={"manifest_number": "20244112000001"}, **place)
    append_event(batch, "delivered", actor=None, organisation=carrier, container=first,
                 occurred_at=now + timedelta(hours=2), data={"manifest_number": "20244112000001"})
    append_event(batch, "received", actor=None, organisation=receiver, container=first, quantity_g=299_500,
                 occurred_at=now + timedelta(hours=3), data={"manifest_number": "20244112000001"})
    append_event(batch, "treated", actor=None, organisation=receiver, container=first, quantity_g=299_500,
                 occurred_at=now + timedelta(days=1), data={"method": "R9", "output_g": 250_000})
    stored = next(e for e in batch_events(batch) if e.event_type == "stored")
    services.correct_event(batch, stored.seq, "称重有误", actor=gen.user, quantity_g=301_000)
    db.session.commit()
    return gen, batch


def batch_events(batch):
    from portal.regulatory.ledger.services import events_for

    return events_for(batch.id)


def test_a_stored_split_and_transferred_batch_validates(ctx, factory, validator):
    _gen, batch = _transferred_batch(factory)
    document = batch_epcis_document(batch)
    assert _errors(validator, document) == []
    events = document["epcisBody"]["eventList"]
    assert document["schemaVersion"] == "2.0" and document["type"] == "EPCISDocument"
    kinds = [(e["type"], e.get("bizStep"), e.get("wufei:ledgerEventType")) for e in events]
    assert kinds[0] == ("ObjectEvent", "commissioning", "generated")
    assert [k for k in kinds if k[2] == "split"] == [("AggregationEvent", "packing", "split")] * 3
    assert ("ObjectEvent", "storing", "stored") in kinds and ("ObjectEvent", "picking", "retrieved") in kinds
    assert ("ObjectEvent", "shipping", "picked_up") in kinds and ("ObjectEvent", "receiving", "received") in kinds
    treated = next(e for e in events if e.get("wufei:ledgerEventType") == "treated")
    assert treated["type"] == "TransformationEvent"
    assert treated["inputEPCList"] == [container_uri(batch.containers[0].code)]
    assert treated["outputQuantityList"][0]["quantity"] == 250 and treated["outputQuantityList"][0]["uom"] == "KGM"
    generated = events[0]
    assert generated["quantityList"] == [{"epcClass": f"https://id.wufei.cn/lot/{batch.id}", "quantity": 900,
                                          "uom": "KGM"}]
    picked = next(e for e in events if e.get("wufei:ledgerEventType") == "picked_up")
    assert picked["disposition"] == "in_transit" and "bizLocation" not in picked
    assert picked["bizTransactionList"][0]["bizTransaction"].endswith("/manifest/20244112000001")
    received = next(e for e in events if e.get("wufei:ledgerEventType") == "received")
    assert received["quantityList"][0]["quantity"] == 299.5
    # the correction: the stored event declared erroneous, a corrective event with the new quantity
    declared = [e for e in events if "errorDeclaration" in e]
    assert len(declared) == 1 and declared[0]["errorDeclaration"]["reason"] == "incorrect_data"
    corrective = next(e for e in events if e.get("wufei:ledgerEventType") == "corrected")
    assert corrective["eventID"] in declared[0]["errorDeclaration"]["correctiveEventIDs"]
    assert corrective["quantityList"][0]["quantity"] == 301


def test_merge_is_a_transformation_on_both_sides(ctx, factory, validator):
    gen = make_generator(factory)
    first = make_batch(gen, containers=2, quantity="200")
    second = make_batch(gen, containers=1, quantity="100")
    merged = services.merge_containers(gen.org, [*first.containers, *second.containers], actor=gen.user,
                                       site=gen.site)
    db.session.commit()
    target = batch_epcis_document(merged)
    source = batch_epcis_document(first)
    assert _errors(validator, target) == [] and _errors(validator, source) == []
    into = next(e for e in target["epcisBody"]["eventList"] if e["type"] == "TransformationEvent")
    assert len(into["inputEPCList"]) == 3 and into["outputQuantityList"][0]["quantity"] == 300
    out_of = [e for e in source["epcisBody"]["eventList"] if e["type"] == "TransformationEvent"]
    assert len(out_of) == 2 and {e["transformationID"] for e in out_of} == {into["transformationID"]}


def _api_setup(app, factory):
    with app.app_context():
        gen, batch = _transferred_batch(factory)
        ids = (gen.user.id, gen.org.id, batch.id, gen.org.district_code)
        db.session.remove()
    return ids


def test_api_returns_the_document_to_the_producer(app, client, factory, validator):
    user_id, org_id, batch_id, _district = _api_setup(app, factory)
    from portal.accounts.models import Organisation, User

    with app.app_context():
        token = factory.token(db.session.get(User, user_id), db.session.get(Organisation, org_id))
    response = client.get(f"/api/v1/batches/{batch_id}/epcis", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert _errors(validator, response.get_json()) == []
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "get" in spec["paths"]["/batches/{batch_id}/epcis"]


def test_api_refuses_outsiders_and_anonymous_callers(app, client, factory):
    _user_id, _org_id, batch_id, district = _api_setup(app, factory)
    assert client.get(f"/api/v1/batches/{batch_id}/epcis").status_code == 401
    outsider = factory.user()
    org = factory.org(admin=outsider)
    token = factory.token(outsider, org)
    response = client.get(f"/api/v1/batches/{batch_id}/epcis", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"
    regulator = factory.regulator(jurisdiction=district)
    token = factory.token(regulator)
    response = client.get(f"/api/v1/batches/{batch_id}/epcis", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
