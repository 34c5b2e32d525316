"""Issue 14 point 2: a licence's remaining capacity deducts what was received this year and what is on its way
under submitted manifests, and submissions to one receiver count it one after another."""
import threading

import pytest

from portal.accounts.models import Organisation, User
from portal.clock import china_today
from portal.errors import DomainError
from portal.extensions import db
from portal.regulatory.licences import services as licences
from portal.regulatory.licences.models import Licence
from portal.regulatory.manifests import services
from portal.regulatory.manifests.models import Manifest
from portal.regulatory.manifests.states import apply_action
from tests.factories import login
from tests.regulatory.batches.helpers import make_batch, make_generator

from .conftest import TONNE, build_parties
from .test_states import codes

CODE = "900-249-08"


def _set_capacity(p, tonnes: int) -> Licence:
    licence = db.session.scalars(db.select(Licence).where(Licence.organisation_id == p.receiver.id)).one()
    licence.annual_capacity_g = tonnes * TONNE
    db.session.commit()
    return licence


def _draft(p, generator=None, generator_user=None, batch=None):
    values = p.draft_values()
    values.pop("receiver_id")
    if batch is not None:
        values["lines"] = [{"batch_id": batch.id}]
    manifest = services.create_manifest_draft(
        generator_org=generator or p.generator, receiver_org=p.receiver.id, actor=generator_user or p.generator_user,
        carriers=values.pop("carriers"), lines=values.pop("lines"), **values)
    db.session.commit()
    return manifest


def _second_generator(factory, tonnes: int):
    gen = make_generator(factory, district="411282", capacity_g=20 * TONNE)
    return gen, make_batch(gen, containers=1, quantity=str(tonnes), unit="t", code=CODE)


def test_a_submitted_manifest_counts_against_the_capacity_until_it_is_received(parties, factory):
    p = parties  # the parties' batch is 5 t of 900-249-08
    licence = _set_capacity(p, 8)
    first = _draft(p)
    gen, batch = _second_generator(factory, 5)
    second = _draft(p, gen.org, gen.user, batch)
    apply_action(first, "submit", p.generator_user, p.generator)
    db.session.commit()

    capacity = licences.licence_capacity(licence)
    assert (capacity.received_g, capacity.in_transit_g, capacity.remaining_g) == (0, 5 * TONNE, 3 * TONNE)
    decision = licences.check_receipt(p.receiver, CODE, 4 * TONNE, first.planned_delivery_on)
    assert (decision.reason_code, decision.in_transit_g, decision.remaining_g) == ("capacity_exceeded", 5 * TONNE,
                                                                                   3 * TONNE)

    with pytest.raises(DomainError) as refused:
        apply_action(second, "submit", gen.user, gen.org)
    db.session.rollback()
    assert refused.value.status == 422 and refused.value.code == "capacity_exceeded"
    assert "3 t of annual capacity left" in refused.value.message and "5 t on its way" in refused.value.message
    assert "receiver_id" in refused.value.fields
    assert db.session.get(Manifest, second.id).state == "draft"

    # the waste on its way is received: it moves from "on its way" to "received", not counted twice
    apply_action(first, "pick_up", p.driver1, p.carrier1, scanned=codes(p))
    apply_action(first, "hand_over", p.driver2, p.carrier2, scanned=codes(p))
    apply_action(first, "deliver", p.driver2, p.carrier2, scanned=codes(p))
    assert licences.licence_capacity(licence).in_transit_g == 5 * TONNE  # delivered is not received yet
    apply_action(first, "receive", p.receiver_user, p.receiver,
                 lines=[{"line_id": first.lines[0].id, "received_g": 4 * TONNE, "refused_g": TONNE, "reason": "破损"}],
                 gate_net_g=5 * TONNE, gate_ticket_no="T-1")
    db.session.commit()
    capacity = licences.licence_capacity(licence)
    assert (capacity.received_g, capacity.in_transit_g, capacity.remaining_g) == (4 * TONNE, 0, 4 * TONNE)


def test_receiving_a_manifest_that_fills_the_capacity_is_not_refused_by_itself(parties):
    p = parties
    licence = _set_capacity(p, 5)
    m = _draft(p)
    apply_action(m, "submit", p.generator_user, p.generator)
    apply_action(m, "pick_up", p.driver1, p.carrier1, scanned=codes(p))
    apply_action(m, "hand_over", p.driver2, p.carrier2, scanned=codes(p))
    apply_action(m, "deliver", p.driver2, p.carrier2, scanned=codes(p))
    assert licences.licence_capacity(licence).remaining_g == 0
    apply_action(m, "receive", p.receiver_user, p.receiver, lines=[{"line_id": m.lines[0].id, "received_g": 5 * TONNE}],
                 gate_net_g=5 * TONNE, gate_ticket_no="T-1")
    db.session.commit()
    assert m.state == "received"
    assert licences.licence_capacity(licence).received_g == 5 * TONNE


def test_a_cancelled_manifest_gives_its_capacity_back(parties):
    p = parties
    licence = _set_capacity(p, 8)
    m = _draft(p)
    apply_action(m, "submit", p.generator_user, p.generator)
    db.session.commit()
    assert licences.licence_capacity(licence).in_transit_g == 5 * TONNE
    apply_action(m, "cancel", p.generator_user, p.generator, reason="车辆故障")
    db.session.commit()
    assert licences.licence_capacity(licence).in_transit_g == 0


def test_a_scope_with_its_own_capacity_counts_only_its_codes_on_their_way(parties, factory):
    p = parties
    licence = db.session.scalars(db.select(Licence).where(Licence.organisation_id == p.receiver.id)).one()
    licences.update_licence(p.regulator, licence, scopes=licences.parse_scope_text("HW08 R9 D10 6t\nHW49 D10"),
                            **{name: getattr(licence, name) for name in
                               ("number", "organisation_id", "issuing_authority", "issued_on", "valid_from",
                                "valid_until", "kind", "annual_capacity_g", "notes")})
    db.session.commit()
    m = _draft(p)
    apply_action(m, "submit", p.generator_user, p.generator)
    db.session.commit()
    capacity = licences.licence_capacity(licence)
    (scope, usage), = capacity.scopes
    assert scope.target == "HW08" and (usage.in_transit_g, usage.remaining_g) == (5 * TONNE, TONNE)
    assert licences.check_receipt(p.receiver, "900-041-49", 50 * TONNE, m.planned_delivery_on).allowed  # HW49
    assert licences.check_receipt(p.receiver, CODE, 2 * TONNE, m.planned_delivery_on).remaining_g == TONNE


def test_the_page_and_the_api_show_received_on_its_way_and_remaining(app, page_parties, client, factory):
    p = page_parties
    with app.app_context():
        token = factory.token(db.session.get(User, p.generator_user.id), db.session.get(Organisation, p.generator.id))
        licence_id = db.session.scalars(db.select(Licence.id).where(Licence.organisation_id == p.receiver.id)).one()
    headers = {"Authorization": f"Bearer {token}"}
    draft = client.post("/api/v1/manifests", json=_api_values(p), headers=headers)
    assert draft.status_code == 201, draft.json
    submitted = client.post(f"/api/v1/manifests/{draft.json['id']}/actions/submit", json={}, headers=headers)
    assert submitted.status_code == 200, submitted.json

    detail = client.get(f"/api/v1/licences/{licence_id}", headers=headers).json["capacity"]
    assert (detail["received_g"], detail["in_transit_g"], detail["remaining_g"]) == (0, 5 * TONNE, 95 * TONNE)
    check = client.get(f"/api/v1/licences/check?org={p.receiver.id}&code={CODE}&quantity_kg=1",
                       headers=headers).json
    assert check["allowed"] and (check["received_g"], check["in_transit_g"], check["remaining_g"]) == (
        0, 5 * TONNE, 95 * TONNE)

    login(client, p.generator_user)
    page = client.get(f"/licences/{licence_id}").text
    assert "on its way" in page and "95 t" in page and "5 t" in page
    checked = client.get(f"/licences/check?org={p.receiver.id}&code={CODE}&quantity_kg=1&date={china_today()}").text
    assert "on its way" in checked and "95 t" in checked


def _api_values(p) -> dict:
    today = china_today().isoformat()
    return {"receiver_id": p.receiver.id, "lines": [{"batch_id": p.batch.id}],
            "carriers": [{"organisation_id": p.carrier1.id, "vehicle_plate": "豫M12345", "driver_name": "张师傅",
                          "driver_phone": "13800000001"}],
            "planned_pickup_on": today, "planned_delivery_on": today,
            "emergency_measures": "泄漏时用吸附棉围堵，拨打0398-119。"}


def test_two_concurrent_submissions_cannot_both_take_the_last_capacity(app, factory, client):
    """Two generators, 6 t each, to a receiver with 10 t left: exactly one submission succeeds."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises every writer on its file lock; the row lock is tested on PostgreSQL")
        p = build_parties(factory)
        _set_capacity(p, 10)
        submitters = []
        for _n in range(2):
            gen, batch = _second_generator(factory, 6)
            manifest = _draft(p, gen.org, gen.user, batch)
            submitters.append((manifest.id, factory.token(gen.user, gen.org)))
        licence_id = db.session.scalars(db.select(Licence.id).where(Licence.organisation_id == p.receiver.id)).one()
    barrier = threading.Barrier(len(submitters))
    answers = []

    def submit(manifest_id: int, token: str):
        own_client = app.test_client()  # each thread its own requests, sessions and connections
        barrier.wait(timeout=30)
        answers.append(own_client.post(f"/api/v1/manifests/{manifest_id}/actions/submit", json={},
                                       headers={"Authorization": f"Bearer {token}"}))

    threads = [threading.Thread(target=submit, args=pair) for pair in submitters]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 422], [a.json for a in answers]
    refused = next(a for a in answers if a.status_code == 422).json["error"]
    assert refused["code"] == "capacity_exceeded"
    assert "annual capacity left" in refused["message"] and "6 t on its way" in refused["message"]
    assert "receiver_id" in refused["fields"]
    with app.app_context():
        capacity = licences.licence_capacity(db.session.get(Licence, licence_id))
        assert (capacity.in_transit_g, capacity.remaining_g) == (6 * TONNE, 4 * TONNE)
