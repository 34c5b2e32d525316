"""Complete hand-overs and the gate weight at receipt (issue 14, points 4 and 6), through the API as a carrier,
a receiver and its weighbridge would use it, with the alerts the regulators of both ends then see."""
import base64
import io

import pytest
from flask import g
from PIL import Image
from sqlalchemy import select

from portal.extensions import db
from portal.regulatory.alerts.models import Alert
from portal.regulatory.alerts.services import alerts_visible_to
from portal.regulatory.ledger.services import events_for
from portal.regulatory.manifests.models import GateWeighing, Manifest
from portal.regulatory.weighing import services as weighing
from tests.factories import login
from tests.regulatory.batches.helpers import make_batch, make_generator
from tests.regulatory.manifests.conftest import parties  # noqa: F401  (the fixture)
from tests.regulatory.manifests.test_api import auth, step, tokens

DESTINATION = "411203"  # 陕州区: the receiver is moved there, so the two ends are two districts


@pytest.fixture
def transfer(parties, client, factory):  # noqa: F811
    """A submitted manifest of five containers from 灵宝市 to 陕州区, picked up complete, with the tokens."""
    p = parties
    p.receiver.district_code = DESTINATION
    db.session.commit()
    t = tokens(p, factory)
    m = client.post("/api/v1/manifests", json=p.draft_values(), headers=auth(t["generator"])).json
    assert step(client, t["generator"], m["id"], "submit").status_code == 200
    codes = [c.code for c in p.batch.containers]
    assert step(client, t["carrier1"], m["id"], "pick_up", scanned=codes).status_code == 200
    return p, t, m["id"], codes


def jpeg_base64() -> str:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


def test_a_hand_over_missing_containers_is_refused_with_the_codes_named(transfer, client, factory):
    p, t, manifest_id, codes = transfer
    response = step(client, t["carrier2"], manifest_id, "hand_over", scanned=codes[:3])
    error = response.json["error"]
    assert response.status_code == 422 and error["code"] == "incomplete_scan"
    assert codes[3] in error["message"] and codes[4] in error["message"] and codes[0] not in error["message"]
    assert {"scanned", "exceptions"} <= set(error["fields"])

    other = make_batch(make_generator(factory), containers=2)
    foreign = [c.code for c in other.containers]
    response = step(client, t["carrier2"], manifest_id, "hand_over", scanned=codes + foreign)
    assert response.status_code == 422 and response.json["error"]["code"] == "not_on_manifest"
    assert all(code in response.json["error"]["message"] for code in foreign)

    response = step(client, t["carrier2"], manifest_id, "hand_over", scanned=codes[:4],
                    exceptions=[{"container_code": codes[4], "reason": "  "}])
    assert response.status_code == 422  # the reason is required
    response = step(client, t["carrier2"], manifest_id, "hand_over", scanned=codes,
                    exceptions=[{"container_code": codes[4], "reason": "没找到"}])
    assert response.status_code == 422 and "exceptions[0].container_code" in response.json["error"]["fields"]
    detail = client.get(f"/api/v1/manifests/{manifest_id}", headers=auth(t["carrier2"])).json
    assert detail["state"] == "in_transit" and detail["scan_exceptions"] == []
    assert db.session.scalar(select(Alert.id).where(Alert.kind == "manifest_scan_exception")) is None


def test_an_exception_for_each_missing_container_lets_it_pass_and_alerts_both_ends(transfer, client, factory):
    p, t, manifest_id, codes = transfer
    response = step(client, t["carrier2"], manifest_id, "hand_over", scanned=codes[:3], exceptions=[
        {"container_code": codes[3], "reason": "桶体破损，留在停车场待处置", "photo_base64": jpeg_base64()},
        {"container_code": codes[4].lower(), "reason": "标签污损无法扫描"}])
    assert response.status_code == 200, response.json
    body = response.json
    assert body["state"] == "handed_over"
    by_code = {e["container_code"]: e for e in body["scan_exceptions"]}
    assert set(by_code) == {codes[3], codes[4]} and by_code[codes[3]]["has_photo"]
    assert not by_code[codes[4]]["has_photo"] and by_code[codes[4]]["action"] == "hand_over"
    sealed = body["signatures"][-1]["sealed"]
    assert sealed["missing"] == sorted(codes[3:]) and sealed["exceptions"][0]["container_code"] == min(codes[3:])
    assert by_code[codes[3]]["photo_sha256"] in {e.get("photo_sha256") for e in sealed["exceptions"]}
    assert body["signatures"][-1]["intact"]

    [event] = events_for(p.batch.id, event_type="handed_over")
    assert sorted(e["container"] for e in event.data["exceptions"]) == sorted(codes[3:])

    alerts = db.session.scalars(select(Alert).where(Alert.kind == "manifest_scan_exception")).all()
    assert sorted(a.district_code for a in alerts) == sorted(["411282", DESTINATION])
    assert all(a.organisation_id == p.carrier1.id for a in alerts)  # about the carrier that handed over
    origin_regulator, destination_regulator = p.regulator, factory.regulator(jurisdiction=DESTINATION)
    for regulator, district in ((origin_regulator, "411282"), (destination_regulator, DESTINATION)):
        seen = db.session.scalars(alerts_visible_to(regulator).where(Alert.kind == "manifest_scan_exception")).all()
        assert [a.district_code for a in seen] == [district]

    # the deliverer must account for the same two again: they are still not on the truck
    response = step(client, t["carrier2"], manifest_id, "deliver", scanned=codes[:3])
    assert response.status_code == 422 and codes[3] in response.json["error"]["message"]

    for name in ("_login_user", "api_org"):  # the API calls above ran in this test's context
        g.pop(name, None)
    login(client, destination_regulator)
    page = client.get(f"/manifests/{manifest_id}").get_data(as_text=True)
    assert "桶体破损" in page and codes[4] in page
    exception_id = by_code[codes[3]]["id"]
    photo = client.get(f"/manifests/{manifest_id}/exceptions/{exception_id}/photo")
    assert photo.status_code == 200 and photo.data.startswith(b"\xff\xd8")


def deliver(client, t, manifest_id, codes):
    assert step(client, t["carrier2"], manifest_id, "hand_over", scanned=codes).status_code == 200
    assert step(client, t["carrier2"], manifest_id, "deliver", scanned=codes).status_code == 200


def test_the_weighbridge_gate_weight_not_the_declared_one_feeds_the_mismatch_alert(transfer, client, factory):
    p, t, manifest_id, codes = transfer
    _device, secret = weighing.register_device(p.receiver_user, p.receiver, kind="weighbridge", name="入厂地磅",
                                               serial="DB-01")
    _other, other_secret = weighing.register_device(p.generator_user, p.generator, kind="weighbridge",
                                                    name="厂内地磅", serial="DB-02")
    db.session.commit()
    number = db.session.get(Manifest, manifest_id).number
    body = {"manifest_number": number, "gross_g": 19_600_000, "tare_g": 15_000_000, "ticket_no": "DB-0037"}
    refused = client.post("/api/v1/gate-weighings", json=body, headers={"Authorization": f"Device {other_secret}"})
    assert refused.status_code == 404  # not the receiver's weighbridge
    unknown = client.post("/api/v1/gate-weighings", json={**body, "manifest_number": "20990000000001"},
                          headers={"Authorization": f"Device {secret}"})
    assert unknown.status_code == 404

    deliver(client, t, manifest_id, codes)
    headers = {"Authorization": f"Device {secret}", "Idempotency-Key": "truck-1"}
    posted = client.post("/api/v1/gate-weighings", json=body, headers=headers)
    assert posted.status_code == 201, posted.json
    assert posted.json["net_g"] == 4_600_000 and posted.json["source"] == "device" and not posted.json["counted"]
    again = client.post("/api/v1/gate-weighings", json=body, headers=headers)
    assert again.status_code == 200 and again.json["id"] == posted.json["id"]
    assert db.session.scalar(select(db.func.count()).select_from(GateWeighing)) == 1

    # the receiver types the declared 5 t per line; the weighbridge's 4.6 t is what the alert reads
    line_id = client.get(f"/api/v1/manifests/{manifest_id}", headers=auth(t["receiver"])).json["lines"][0]["id"]
    received = step(client, t["receiver"], manifest_id, "receive",
                    lines=[{"line_id": line_id, "received_g": 5_000_000}])
    assert received.status_code == 200, received.json
    assert received.json["gate_net_g"] == 4_600_000 and received.json["gate_difference_g"] == -400_000
    gate = received.json["signatures"][-1]["sealed"]["gate"]
    assert gate["source"] == "device" and gate["weighing_id"] == posted.json["id"] and gate["ticket_no"] == "DB-0037"
    [alert] = db.session.scalars(select(Alert).where(Alert.kind == "manifest_weight_mismatch")).all()
    assert alert.params["gate"] and alert.params["received_kg"] == "4600" and alert.params["shipped_kg"] == "5000"
    assert alert.district_code == DESTINATION

    late = client.post("/api/v1/gate-weighings", json=body, headers={"Authorization": f"Device {secret}"})
    assert late.status_code == 409  # after the receipt the gate weight is sealed
    weighed = [e for e in events_for(p.batch.id, event_type="weighed") if e.data.get("gate")]
    assert [(e.quantity_g, e.data["device_id"]) for e in weighed] == [(4_600_000, posted.json["device_id"])]


def test_a_typed_gate_weight_needs_its_ticket_and_decides_the_alert(transfer, client):
    p, t, manifest_id, codes = transfer
    deliver(client, t, manifest_id, codes)
    lines = [{"position": 0, "received_g": 4_500_000}]
    response = step(client, t["receiver"], manifest_id, "receive", lines=lines)
    assert response.status_code == 422 and response.json["error"]["code"] == "gate_weight_required"
    assert "gate_net_g" in response.json["error"]["fields"]
    response = step(client, t["receiver"], manifest_id, "receive", lines=lines, gate_net_g=4_980_000)
    assert response.status_code == 422 and "gate_ticket_no" in response.json["error"]["fields"]
    response = step(client, t["receiver"], manifest_id, "receive", lines=lines, gate_net_g=9_000_000,
                    gate_ticket_no="GB-1")
    assert response.status_code == 422 and "gate_net_g" in response.json["error"]["fields"]  # implausible

    response = step(client, t["receiver"], manifest_id, "receive", lines=lines, gate_net_g=4_980_000,
                    gate_ticket_no="GB-20261204-08", gate_weighed_at="2026-12-04T09:30:00+08:00")
    assert response.status_code == 200, response.json
    [weighing_json] = response.json["gate_weighings"]
    assert weighing_json["source"] == "manual" and weighing_json["ticket_no"] == "GB-20261204-08"
    assert weighing_json["counted"] and weighing_json["weighed_at"].startswith("2026-12-04T01:30")
    # 4.98 t at the gate is within 5 % of 5 t: no alert, although 4.5 t was accepted on the line
    assert db.session.scalar(select(Alert.id).where(Alert.kind == "manifest_weight_mismatch")) is None
    [event] = [e for e in events_for(p.batch.id, event_type="weighed") if e.data.get("gate")]
    assert event.data["source"] == "manual" and event.quantity_g == 4_980_000
