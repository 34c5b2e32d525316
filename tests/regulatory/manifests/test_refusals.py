"""Refused waste goes somewhere: a return to the generator or a forwarding to another licensed receiver, each a
new manifest linked to the refused one; until then the waste awaits, and after the city's working days, alerts."""
from datetime import date, timedelta

from flask import g
from sqlalchemy import select

from portal.clock import china_today
from portal.extensions import db
from portal.regulatory.alerts.models import Alert
from portal.regulatory.alerts.services import scan_all
from portal.regulatory.alerts.settings import set_refusal_follow_up_days
from portal.regulatory.ledger.services import events_for, verify_batch
from portal.regulatory.manifests import followups, services
from portal.regulatory.manifests.states import apply_action
from portal.regulatory.register import monthly_register, this_month
from tests.factories import login
from tests.regulatory.manifests.conftest import TONNE, record_licence
from tests.regulatory.manifests.test_api import auth, step, tokens
from tests.regulatory.manifests.test_states import codes, draft, run_to_delivered


def refuse(p, received_g: int, refused_g: int):
    manifest = draft(p)
    run_to_delivered(p, manifest)
    apply_action(manifest, "receive", p.receiver_user, p.receiver, reason="包装破损，桶体渗漏",
                 lines=[{"line_id": manifest.lines[0].id, "received_g": received_g, "refused_g": refused_g}],
                 gate_net_g=received_g + refused_g, gate_ticket_no="T-1")
    db.session.commit()
    return manifest


def carriers(p) -> list[dict]:
    return [{"organisation_id": p.carrier1.id, "vehicle_plate": "豫M12345", "driver_name": "张师傅",
             "driver_phone": "13800000001"}]


def follow_up(client, token, manifest, **body):
    body.setdefault("emergency_measures", "泄漏时用吸附棉围堵")
    return client.post(f"/api/v1/manifests/{manifest.id}/follow-ups", json=body, headers=auth(token))


def test_partial_refusal_awaits_until_a_return_is_submitted(parties, client, factory):
    p = parties
    t = tokens(p, factory)
    manifest = refuse(p, 3 * TONNE, 2 * TONNE)
    assert manifest.state == "partly_received"
    assert followups.awaiting_g(manifest) == 2 * TONNE and followups.awaiting_for_batch(p.batch) == 2 * TONNE
    assert client.get(f"/api/v1/manifests/{manifest.id}", headers=auth(t["regulator"])).json[
        "refused_awaiting_g"] == 2 * TONNE

    # the receiver refused; the generator, as the law's 移出人, starts what happens next
    assert follow_up(client, t["receiver"], manifest, kind="return", carriers=carriers(p)).status_code == 403
    response = follow_up(client, t["generator"], manifest, kind="return", carriers=carriers(p))
    assert response.status_code == 201, response.json
    back = response.json
    assert back["follows"] == {"id": manifest.id, "number": manifest.number, "kind": "return",
                             "state": "partly_received"}
    assert back["state"] == "draft"
    assert back["receiver"]["id"] == p.generator.id and back["lines"][0]["quantity_g"] == 2 * TONNE
    assert followups.awaiting_g(manifest) == 2 * TONNE  # a draft is not yet a follow-up
    edit = client.put(f"/api/v1/manifests/{back['id']}", json={"lines": [{"batch_id": p.batch.id}]},
                      headers=auth(t["generator"]))
    assert edit.status_code == 409 and edit.json["error"]["code"] == "follow_up_fixed"
    replan = client.put(f"/api/v1/manifests/{back['id']}", json={"via_points": "G310"}, headers=auth(t["generator"]))
    assert replan.status_code == 200 and replan.json["lines"][0]["follows_line_id"] == manifest.lines[0].id

    assert step(client, t["generator"], back["id"], "submit").json["state"] == "submitted"
    db.session.expire_all()
    assert followups.awaiting_g(manifest) == 0 and followups.awaiting_for_batch(p.batch) == 0
    listed = {m["id"]: m for m in client.get("/api/v1/manifests", headers=auth(t["generator"])).json["items"]}
    assert listed[manifest.id]["follow_ups"][0]["id"] == back["id"]
    assert listed[manifest.id]["refused_awaiting_g"] == 0
    assert listed[back["id"]]["follows"]["id"] == manifest.id
    rerouted = events_for(p.batch.id, event_type="rerouted")
    assert [(e.quantity_g, e.data["kind"], e.data["follows"]) for e in rerouted] == [
        (2 * TONNE, "return", manifest.number)]

    # it leaves from the receiver's gate and the generator takes it back: no licence, no treatment
    all_codes = codes(p)
    assert step(client, t["carrier1"], back["id"], "pick_up", scanned=all_codes).json["state"] == "in_transit"
    assert step(client, t["carrier1"], back["id"], "deliver", scanned=all_codes).json["state"] == "delivered"
    line_id = back["lines"][0]["id"]
    refusing = step(client, t["generator"], back["id"], "receive",
                    lines=[{"line_id": line_id, "received_g": TONNE, "refused_g": TONNE}], reason="不要")
    assert refusing.status_code == 422 and "lines[0].refused_g" in refusing.json["error"]["fields"]
    response = step(client, t["generator"], back["id"], "receive", lines=[{"line_id": line_id, "received_g": 2 * TONNE}])
    assert response.status_code == 200 and response.json["state"] == "received", response.json
    assert "treat" not in response.json["allowed_actions"]
    assert step(client, t["generator"], back["id"], "treat", method="D10").status_code == 422
    assert [e.quantity_g for e in events_for(p.batch.id, event_type="returned")] == [2 * TONNE]
    assert verify_batch(p.batch.id) == []


def test_wholly_refused_waste_is_forwarded_only_to_a_licensed_receiver(parties, client, factory):
    p = parties
    t = tokens(p, factory)
    manifest = refuse(p, 0, 5 * TONNE)
    assert manifest.state == "refused" and {c.status for c in p.batch.containers} == {"in_transit"}
    unlicensed = factory.org(name="渑池县无证回收站", district="411221", is_receiver=True)
    response = follow_up(client, t["generator"], manifest, kind="forward", receiver_id=unlicensed.id,
                         carriers=carriers(p))
    assert response.status_code == 422 and "receiver_id" in response.json["error"]["fields"], response.json
    same = follow_up(client, t["generator"], manifest, kind="forward", receiver_id=p.receiver.id, carriers=carriers(p))
    assert same.status_code == 422

    other = factory.org(name="灵宝市危废综合利用有限公司", district="411282", is_receiver=True)
    record_licence(p.regulator, other)
    response = follow_up(client, t["generator"], manifest, kind="forward", receiver_id=other.id,
                         carriers=carriers(p), lines=[{"line_id": manifest.lines[0].id, "planned_method": "D10"}])
    assert response.status_code == 201, response.json
    onward = response.json
    assert onward["origin"] == manifest.destination and onward["lines"][0]["quantity_g"] == 5 * TONNE
    assert step(client, t["generator"], onward["id"], "submit").status_code == 200
    assert step(client, t["carrier1"], onward["id"], "pick_up", scanned=codes(p)).status_code == 200
    assert step(client, t["carrier1"], onward["id"], "deliver", scanned=codes(p)).status_code == 200
    other_user = factory.member(other)
    response = step(client, factory.token(other_user, other), onward["id"], "receive",
                    lines=[{"line_id": onward["lines"][0]["id"], "received_g": 5 * TONNE}],
                    gate_net_g=5 * TONNE, gate_ticket_no="T-2")
    assert response.status_code == 200 and response.json["state"] == "received", response.json
    db.session.expire_all()
    assert {c.status for c in p.batch.containers} == {"received"} and followups.awaiting_g(manifest) == 0


def test_follow_ups_cannot_exceed_the_refused_quantity(parties, client, factory):
    p = parties
    t = tokens(p, factory)
    manifest = refuse(p, 4 * TONNE, TONNE)
    line = manifest.lines[0].id
    too_much = follow_up(client, t["generator"], manifest, kind="return", carriers=carriers(p),
                         lines=[{"line_id": line, "quantity_g": TONNE + 1}])
    assert too_much.status_code == 422 and too_much.json["error"]["code"] == "exceeds_refused"
    first = follow_up(client, t["generator"], manifest, kind="return", carriers=carriers(p),
                      lines=[{"line_id": line, "quantity_g": 600_000}])
    assert first.status_code == 201
    second = follow_up(client, t["generator"], manifest, kind="return", carriers=carriers(p),
                       lines=[{"line_id": line, "quantity_g": 400_001}])
    assert second.status_code == 422 and "lines[0].quantity_g" in second.json["error"]["fields"]
    rest = follow_up(client, t["generator"], manifest, kind="return", carriers=carriers(p))
    assert rest.status_code == 201 and rest.json["lines"][0]["quantity_g"] == 400_000
    assert follow_up(client, t["generator"], manifest, kind="return", carriers=carriers(p)).status_code == 409
    # cancelling a draft gives its quantity back
    assert step(client, t["generator"], first.json["id"], "cancel").status_code == 200
    again = follow_up(client, t["generator"], manifest, kind="return", carriers=carriers(p))
    assert again.status_code == 201 and again.json["lines"][0]["quantity_g"] == 600_000


def test_returned_waste_is_back_at_the_generator_and_can_be_shipped_again(parties, factory):
    p = parties
    manifest = refuse(p, 0, 5 * TONNE)
    back = followups.create_follow_up(manifest, p.generator_user, p.generator, kind="return",
                                      carriers=carriers(p), emergency_measures="泄漏时围堵")
    apply_action(back, "submit", p.generator_user, p.generator)
    apply_action(back, "pick_up", p.driver1, p.carrier1, scanned=codes(p))
    apply_action(back, "deliver", p.driver1, p.carrier1, scanned=codes(p))
    apply_action(back, "receive", p.generator_user, p.generator,
                 lines=[{"line_id": back.lines[0].id, "received_g": 5 * TONNE}])
    db.session.commit()
    assert p.batch.status == "open" and {c.status for c in p.batch.containers} == {"retrieved"}
    again = draft(p)
    assert again.lines[0].quantity_g == 5 * TONNE
    # the register counts the waste leaving once, not again when its return was picked up
    register = monthly_register(p.generator, this_month())
    [row] = register.rows
    assert row.grams["transferred_out"] == 5 * TONNE


def test_alert_after_the_citys_working_days_and_none_without_its_rule(parties):
    p = parties
    manifest = refuse(p, 3 * TONNE, 2 * TONNE)
    later = manifest.received_at + timedelta(days=40)
    scan_all(later)
    db.session.commit()
    kinds = db.session.scalars(select(Alert.kind)).all()
    assert "manifest_refusal_unresolved" not in kinds  # the city has set no deadline: none is invented

    # the rule in force on the day of the refusal decides: a later version does not apply to it
    set_refusal_follow_up_days(p.regulator, 10, date(2020, 1, 1))
    set_refusal_follow_up_days(p.regulator, 60, services.china_date(manifest.received_at) + timedelta(days=1))
    db.session.commit()
    scan_all(manifest.received_at + timedelta(days=5))
    db.session.commit()
    assert db.session.scalar(select(Alert).where(Alert.kind == "manifest_refusal_unresolved")) is None
    scan_all(later)
    scan_all(later)
    db.session.commit()
    [alert] = db.session.scalars(select(Alert).where(Alert.kind == "manifest_refusal_unresolved")).all()
    assert alert.object_id == manifest.id and alert.organisation_id == p.generator.id
    assert alert.params["awaiting_kg"] == "2000"


def test_no_alert_once_a_follow_up_is_submitted(parties):
    p = parties
    manifest = refuse(p, 3 * TONNE, 2 * TONNE)
    set_refusal_follow_up_days(p.regulator, 1, date(2020, 1, 1))
    back = followups.create_follow_up(manifest, p.generator_user, p.generator, kind="return",
                                      carriers=carriers(p), emergency_measures="泄漏时围堵")
    apply_action(back, "submit", p.generator_user, p.generator)
    db.session.commit()
    scan_all(manifest.received_at + timedelta(days=40))
    db.session.commit()
    assert db.session.scalar(select(Alert).where(Alert.kind == "manifest_refusal_unresolved")) is None


def test_pages_show_the_waiting_waste_and_the_generator_starts_its_return(app, parties, client):
    p = parties
    manifest = refuse(p, 3 * TONNE, 2 * TONNE)
    code, number, batch_id = p.batch.containers[0].code, manifest.number, p.batch.id
    waiting = "Refused, awaiting return or forwarding"
    g.pop("_login_user", None)
    login(client, p.regulator)
    assert waiting in client.get("/manifests").get_data(as_text=True)
    page = client.get(f"/manifests/{manifest.id}").get_data(as_text=True)
    assert waiting in page and "The city has not set a deadline" in page
    assert "Return or forward</a>" not in page  # the regulator does not act for the generator
    client.post("/accounts/logout")
    assert waiting in client.get(f"/t/{code}").get_data(as_text=True)
    assert waiting in client.get(f"/t/{number}").get_data(as_text=True)

    g.pop("_login_user", None)
    login(client, p.generator_user)
    assert waiting in client.get(f"/batches/{batch_id}").get_data(as_text=True)
    assert "Return or forward</a>" in client.get(f"/manifests/{manifest.id}").get_data(as_text=True)
    form = client.get(f"/manifests/{manifest.id}/follow-up")
    assert form.status_code == 200
    response = client.post(f"/manifests/{manifest.id}/follow-up", data={
        "kind": "return", "receiver_id": "0", "carrier-organisation_id": str(p.carrier1.id),
        "carrier-vehicle_plate": "豫M12345", "carrier-driver_name": "张师傅", "carrier-driver_phone": "13800000001",
        "planned_pickup_on": china_today().isoformat(), "planned_delivery_on": china_today().isoformat(),
        "emergency_measures": "泄漏时围堵"})
    assert response.status_code == 302, response.get_data(as_text=True)
    draft_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Return to the generator" in draft_page and number in draft_page


def test_the_city_sets_the_follow_up_deadline_as_versions(client, factory):
    login(client, factory.user(admin=True))
    assert "The city has not set this deadline" in client.get("/admin/alert-settings").get_data(as_text=True)
    assert client.post("/admin/alert-settings/refusal-follow-up",
                       data={"working_days": "0", "in_force_from": "2026-01-01"}).status_code == 422
    for days, since in (("5", "2026-01-01"), ("8", "2099-01-01")):
        response = client.post("/admin/alert-settings/refusal-follow-up",
                               data={"working_days": days, "in_force_from": since})
        assert response.status_code == 302
    page = client.get("/admin/alert-settings").get_data(as_text=True)
    assert "In force: 5 working days, since 2026-01-01." in page and "2099-01-01" in page
