"""General industrial solid waste: its own transfer record and numbering, the exemption list applied to hazardous
waste, the general waste register, and hazardous manifests refused for it."""
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from portal.clock import china_today
from portal.errors import Conflict, DomainError, Forbidden
from portal.extensions import db
from portal.jurisdiction import manifest_region
from portal.regulatory.general.services import (
    create_general_transfer,
    general_register,
    receive_general_transfer,
    ship_general_transfer,
    transport_exemptions,
)
from portal.regulatory.ledger.models import LedgerEvent
from portal.regulatory.manifests.models import ManifestNumberCounter
from portal.regulatory.manifests.services import create_manifest_draft
from tests.factories import login
from tests.regulatory.batches.helpers import make_batch, make_generator


def _receiver(factory):
    user = factory.user()
    return user, factory.org(admin=user, is_receiver=True, district="411202")


def _transfer(gen, batch, receiver_org, **extra):
    return create_general_transfer(generator_org=gen.org, actor=gen.user, batch=batch, receiver_org=receiver_org,
                                   purpose="utilisation", carrier_name="三门峡顺达运输有限公司", **extra)


def test_fly_ash_travels_on_a_transfer_record_numbered_on_its_own(ctx, factory):
    gen = make_generator(factory)
    receiver_user, receiver_org = _receiver(factory)
    batch = make_batch(gen, containers=2, quantity="20", unit="t", code="SW02")
    record = _transfer(gen, batch, receiver_org, vehicle_plate="豫M12345")
    db.session.commit()
    assert record.number == f"YB{china_today().year}{manifest_region()}000001"
    assert db.session.scalar(select(func.count()).select_from(ManifestNumberCounter)) == 0
    second = _transfer(gen, make_batch(gen, containers=1, code="SW02"), receiver_org)
    assert second.number.endswith("000002")

    ship_general_transfer(record, gen.user)
    db.session.commit()
    assert record.state == "shipped" and batch.status == "in_transit"
    assert {c.status for c in batch.containers} == {"in_transit"}
    receive_general_transfer(record, receiver_user, 19_800_000)
    db.session.commit()
    assert record.state == "received" and record.received_g == 19_800_000 and batch.status == "received"
    events = db.session.scalars(select(LedgerEvent).where(LedgerEvent.batch_id == batch.id)
                                .order_by(LedgerEvent.seq)).all()
    picked = [e for e in events if e.event_type == "picked_up"]
    received = [e for e in events if e.event_type == "received"]
    assert [e.data["general_transfer"] for e in picked] == [record.number] * 2
    assert sum(e.quantity_g for e in received) == 19_800_000 and received[0].organisation_id == receiver_org.id


def test_the_general_register_shows_the_transfer_and_leaves_hazardous_codes_out(ctx, factory):
    gen = make_generator(factory)
    receiver_user, receiver_org = _receiver(factory)
    ash = make_batch(gen, containers=1, quantity="5", unit="t", code="SW02")
    make_batch(gen, containers=1, quantity="1", unit="t", code="900-249-08")
    record = _transfer(gen, ash, receiver_org)
    ship_general_transfer(record, gen.user)
    receive_general_transfer(record, receiver_user)
    db.session.commit()
    month = china_today().replace(day=1)
    rows = {row.waste_code: row.grams for row in general_register(gen.org, month).rows}
    assert list(rows) == ["SW02"]
    assert rows["SW02"]["generated"] == 5_000_000 and rows["SW02"]["transferred_out"] == 5_000_000
    received = {row.waste_code: row.grams for row in general_register(receiver_org, month).rows}
    assert received["SW02"]["received"] == 5_000_000
    assert general_register(gen.org, date(2020, 1, 1)).rows == []


def test_hazardous_waste_needs_a_transport_exemption_and_its_condition(ctx, factory):
    gen = make_generator(factory)
    _user, receiver_org = _receiver(factory)
    oil = make_batch(gen, containers=1, code="900-249-08")
    with pytest.raises(DomainError) as refused:
        _transfer(gen, oil, receiver_org)
    assert "exemption_item_id" in refused.value.fields
    assert transport_exemptions(oil) == []

    batteries = make_batch(gen, containers=1, code="900-052-31")  # 未破损的废铅蓄电池, item 18
    (item,) = transport_exemptions(batteries)
    assert item.item_no == 18 and item.exempt_stage == "运输"
    with pytest.raises(DomainError) as unconfirmed:
        _transfer(gen, batteries, receiver_org, exemption_item_id=item.id)
    assert "exemption_condition_met" in unconfirmed.value.fields
    other = transport_exemptions(make_batch(gen, containers=1, code="900-045-49"))[0]  # 废弃电路板, item 28
    with pytest.raises(DomainError) as wrong_item:
        _transfer(gen, batteries, receiver_org, exemption_item_id=other.id, exemption_condition_met=True)
    assert "exemption_item_id" in wrong_item.value.fields

    rags = make_batch(gen, containers=1, code="900-041-49")  # item 24: the whole process (全部环节) is exempt
    assert [(i.item_no, i.exempt_stage) for i in transport_exemptions(rags)] == [(24, "全部环节")]

    record = _transfer(gen, batteries, receiver_org, exemption_item_id=item.id, exemption_condition_met=True)
    db.session.commit()
    assert record.exemption_item.item_no == 18
    assert record.exemption_condition == "运输工具满足防雨、防渗漏、防遗撒要求。"
    assert record.exemption_declared_by_id == gen.user.id
    ship_general_transfer(record, gen.user)
    event = db.session.scalar(select(LedgerEvent).where(LedgerEvent.batch_id == batteries.id,
                                                        LedgerEvent.event_type == "picked_up"))
    assert event.data["exemption_item_no"] == 18


def test_only_each_party_takes_its_step_in_order(ctx, factory):
    gen = make_generator(factory)
    receiver_user, receiver_org = _receiver(factory)
    record = _transfer(gen, make_batch(gen, containers=1, code="SW05"), receiver_org)
    db.session.commit()
    with pytest.raises(Forbidden):
        ship_general_transfer(record, receiver_user)
    with pytest.raises(Forbidden):
        receive_general_transfer(record, gen.user)
    with pytest.raises(Conflict):
        receive_general_transfer(record, receiver_user)
    ship_general_transfer(record, gen.user)
    with pytest.raises(DomainError):
        receive_general_transfer(record, receiver_user, -5)
    with pytest.raises(DomainError) as twice:
        _transfer(gen, record.batch, receiver_org)
    assert "batch_id" in twice.value.fields


def test_a_hazardous_manifest_refuses_general_waste(ctx, factory):
    gen = make_generator(factory)
    _user, receiver_org = _receiver(factory)
    ash = make_batch(gen, containers=1, code="SW02")
    with pytest.raises(DomainError) as refused:
        create_manifest_draft(generator_org=gen.org, receiver_org=receiver_org, carriers=[],
                              lines=[{"batch_id": ash.id}], actor=gen.user)
    assert refused.value.code == "not_hazardous" and "lines[0].batch_id" in refused.value.fields
    assert "general" in refused.value.message


def test_api_creates_ships_receives_and_reads_the_register(app, client, factory):
    with app.app_context():
        gen = make_generator(factory)
        receiver_user, receiver_org = _receiver(factory)
        batch_id = make_batch(gen, containers=2, quantity="3", unit="t", code="SW02").id
        generator_token = factory.token(gen.user, gen.org)
        receiver_token = factory.token(receiver_user, receiver_org)
        receiver_id, generator_org_id = receiver_org.id, gen.org.id
    as_generator = {"Authorization": f"Bearer {generator_token}"}
    as_receiver = {"Authorization": f"Bearer {receiver_token}"}
    created = client.post("/api/v1/general-transfers", headers=as_generator, json={
        "batch_id": batch_id, "receiver_id": receiver_id, "purpose": "utilisation", "carrier_name": "顺达运输"})
    assert created.status_code == 201, created.json
    record = created.json
    assert record["number"].startswith("YB") and record["state"] == "created" and record["quantity_g"] == 3_000_000
    assert record["allowed_actions"] == ["ship"] and record["exemption"] is None
    assert client.post(f"/api/v1/general-transfers/{record['id']}/ship", headers=as_receiver).status_code == 403
    assert client.post(f"/api/v1/general-transfers/{record['id']}/ship", headers=as_generator).json["state"] == "shipped"
    received = client.post(f"/api/v1/general-transfers/{record['id']}/receive", headers=as_receiver,
                           json={"received_g": 2_950_000})
    assert received.status_code == 200 and received.json["received_g"] == 2_950_000
    month = china_today().strftime("%Y-%m")
    register = client.get(f"/api/v1/general-register?month={month}", headers=as_generator).json
    assert register["rows"][0]["waste_code"] == "SW02"
    assert register["rows"][0]["grams"]["transferred_out"] == 3_000_000
    listed = client.get("/api/v1/general-transfers", headers=as_receiver).json
    assert [item["number"] for item in listed["items"]] == [record["number"]]
    outsider = client.get(f"/api/v1/general-register?month={month}&organisation={generator_org_id}",
                          headers=as_receiver)
    assert outsider.status_code == 404


def test_pages_create_a_record_and_show_the_exemption_applied(app, client, factory):
    with app.app_context():
        gen = make_generator(factory)
        _user, receiver_org = _receiver(factory)
        batch = make_batch(gen, containers=1, code="900-052-31")
        item_id = transport_exemptions(batch)[0].id
        batch_id, receiver_id, user = batch.id, receiver_org.id, SimpleNamespace(id=gen.user.id)
    login(client, user)
    form = client.get("/general/transfers/new")
    assert form.status_code == 200 and "900-052-31" in form.get_data(as_text=True)
    data = {"batch_id": batch_id, "receiver_id": receiver_id, "purpose": "utilisation", "carrier_name": "顺达运输",
            "exemption_item_id": item_id}
    refused = client.post("/general/transfers/new", data=data)
    assert refused.status_code == 422 and "Confirm that the condition" in refused.get_data(as_text=True)
    created = client.post("/general/transfers/new", data={**data, "exemption_condition_met": "y"},
                          follow_redirects=True)
    page = created.get_data(as_text=True)
    assert created.status_code == 200 and "Exemption applied" in page and "运输工具满足防雨、防渗漏、防遗撒要求。" in page
    assert client.get("/general/transfers").status_code == 200
    assert client.get("/general/register").status_code == 200


def test_a_general_batch_page_offers_a_transfer_record_not_labels(app, client, factory):
    with app.app_context():
        gen = make_generator(factory)
        batch_id, user = make_batch(gen, containers=1, code="SW02").id, SimpleNamespace(id=gen.user.id)
    login(client, user)
    page = client.get(f"/batches/{batch_id}").get_data(as_text=True)
    assert "/general/transfers/new" in page and "labels.pdf" not in page
    assert client.post(f"/batches/{batch_id}/labels.pdf").status_code == 409
