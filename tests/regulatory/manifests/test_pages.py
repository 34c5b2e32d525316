"""The manifest flow through the pages, as the generator, the drivers, the receiver and the regulator use it."""

from portal.clock import china_today
from portal.extensions import db
from portal.regulatory.manifests.models import Manifest
from portal.regulatory.manifests.states import apply_action
from tests.factories import login


def form_data(p) -> dict:
    today = china_today().isoformat()
    return {"receiver_id": p.receiver.id, "batches": [p.batch.id],
            "carriers-0-organisation_id": p.carrier1.id, "carriers-0-vehicle_plate": "豫M12345",
            "carriers-0-driver_name": "张师傅", "carriers-0-driver_phone": "13800000001",
            "carriers-1-organisation_id": p.carrier2.id, "carriers-1-vehicle_plate": "豫M67890",
            "carriers-1-driver_name": "王师傅", "carriers-1-driver_phone": "13800000002",
            "planned_pickup_on": today, "planned_delivery_on": today, "origin": "灵宝市函谷路8号",
            "destination": "灵宝市处置中心", "emergency_measures": "泄漏时用吸附棉围堵。"}


def load(app, manifest_id: int) -> dict:
    with app.app_context():
        m = db.session.get(Manifest, manifest_id)
        return {"state": m.state, "number": m.number, "line_id": m.lines[0].id, "received_g": m.lines[0].received_g}


def create_and_submit(client, p) -> int:
    login(client, p.generator_user)
    response = client.post("/manifests/new", data=form_data(p))
    assert response.status_code == 302, response.text
    manifest_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert client.post(f"/manifests/{manifest_id}/steps/submit").status_code == 302
    return manifest_id


def test_whole_flow_through_the_pages(app, page_parties, client):
    p = page_parties
    codes = "\n".join(p.codes)
    login(client, p.generator_user)
    assert client.get("/manifests/new").status_code == 200
    manifest_id = create_and_submit(client, p)
    assert load(app, manifest_id)["state"] == "submitted"

    login(client, p.driver1)
    assert manifest_id and "scan-form" in client.get(f"/manifests/{manifest_id}/scan/pick_up").text
    assert client.post(f"/manifests/{manifest_id}/scan/pick_up", data={"scanned": codes}).status_code == 302
    login(client, p.driver2)
    assert client.post(f"/manifests/{manifest_id}/scan/hand_over", data={"scanned": codes}).status_code == 302
    assert client.post(f"/manifests/{manifest_id}/scan/deliver", data={"scanned": codes}).status_code == 302

    login(client, p.receiver_user)
    m = load(app, manifest_id)
    assert m["state"] == "delivered" and m["number"] in client.get("/manifests?role=receiver").text
    assert client.get(f"/manifests/{manifest_id}/receive").status_code == 200
    response = client.post(f"/manifests/{manifest_id}/receive", data={
        "lines-0-line_id": m["line_id"], "lines-0-received": "4600", "outcome": "accepted",
        "gate_net": "4600", "gate_ticket_no": "GB-0001"})
    assert response.status_code == 302, response.text
    response = client.post(f"/manifests/{manifest_id}/treat", data={
        "method": "D10", "treated_on": china_today().isoformat(), "quantity": "4600"})
    assert response.status_code == 302, response.text
    m = load(app, manifest_id)
    assert m["state"] == "treated" and m["received_g"] == 4_600_000

    login(client, p.regulator)
    assert m["number"] in client.get("/manifests?status=treated&district=411282").text
    detail = client.get(f"/manifests/{manifest_id}").text
    assert detail.count("badge badge-ok") == 6  # six signatures, each seal verified
    assert "GB-0001" in detail and "4.6 t" in detail  # the gate weight and its ticket
    pdf = client.get(f"/manifests/{manifest_id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_bad_input_shows_on_the_field_and_saves_nothing(app, page_parties, client):
    p = page_parties
    login(client, p.generator_user)
    response = client.post("/manifests/new", data={**form_data(p), "planned_delivery_on": "2020-01-01"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Manifest)) == 0
    manifest_id = create_and_submit(client, p)
    login(client, p.driver1)
    response = client.post(f"/manifests/{manifest_id}/scan/pick_up", data={"scanned": "NOT-A-CODE"})
    assert response.status_code == 422 and "NOT-A-CODE" in response.text
    response = client.post(f"/manifests/{manifest_id}/scan/pick_up", data={"scanned": "\n".join(p.codes[:4])})
    assert response.status_code == 422 and p.codes[4] in response.text  # the missing one is named
    assert load(app, manifest_id)["state"] == "submitted"
    client.post(f"/manifests/{manifest_id}/scan/pick_up", data={"scanned": "\n".join(p.codes[:4]),
                                                                f"reason-{p.codes[4]}": "标签污损"})
    login(client, p.regulator)
    page = client.get(f"/manifests/{manifest_id}").text
    assert "count mismatch" in page.lower() or "badge-bad" in page
    assert p.codes[4] in page  # the missing container is named on the manifest and in its timeline
    assert load(app, manifest_id)["state"] == "in_transit"


def test_receive_page_refuses_implausible_weights(app, page_parties, client):
    p = page_parties
    manifest_id = create_and_submit(client, p)
    with app.app_context():
        m = db.session.get(Manifest, manifest_id)
        for action, user, org in (("pick_up", p.driver1, p.carrier1), ("hand_over", p.driver2, p.carrier2),
                                  ("deliver", p.driver2, p.carrier2)):
            from portal.accounts.models import Organisation, User
            apply_action(m, action, db.session.get(User, user.id), db.session.get(Organisation, org.id),
                         scanned=p.codes)
        db.session.commit()
    line_id = load(app, manifest_id)["line_id"]
    login(client, p.receiver_user)
    for typed in ("9000", "-1"):
        response = client.post(f"/manifests/{manifest_id}/receive", data={
            "lines-0-line_id": line_id, "lines-0-received": typed, "gate_net": "5000", "gate_ticket_no": "T"})
        assert response.status_code == 422, typed
        assert 'id="lines-0-received-error"' in response.text
    assert load(app, manifest_id)["state"] == "delivered"


def test_drafts_are_private_and_regulators_see_only_their_districts(app, page_parties, client, factory):
    p = page_parties
    login(client, p.generator_user)
    client.post("/manifests/new", data=form_data(p))
    with app.app_context():
        manifest_id = db.session.scalar(db.select(Manifest.id))
    login(client, p.regulator)
    assert client.get(f"/manifests/{manifest_id}").status_code == 404  # a draft is the generator's own
    login(client, p.generator_user)
    client.post(f"/manifests/{manifest_id}/steps/submit")
    login(client, p.regulator)
    assert client.get(f"/manifests/{manifest_id}").status_code == 200
    login(client, factory.regulator(jurisdiction="411202"))
    assert client.get(f"/manifests/{manifest_id}").status_code == 404
    assert "No manifests match" in client.get("/manifests").text or "没有" in client.get("/manifests").text
    stranger = factory.user()
    factory.org(admin=stranger, is_generator=True)
    login(client, stranger)
    assert client.get(f"/manifests/{manifest_id}").status_code == 404
    assert client.get(f"/manifests/{manifest_id}.pdf").status_code == 404
    login(client, p.receiver_user)
    response = client.post(f"/manifests/{manifest_id}/steps/cancel", data={"reason": "x"})
    assert response.status_code == 403 and load(app, manifest_id)["state"] == "submitted"
