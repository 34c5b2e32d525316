"""The manifest flow through the JSON API, with the errors a client sees."""
from portal.extensions import db
from portal.regulatory.manifests.models import Manifest, ManifestNumberCounter


def auth(token: str, key: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return headers


def tokens(p, factory) -> dict:
    return {"generator": factory.token(p.generator_user, p.generator),
            "carrier1": factory.token(p.driver1, p.carrier1), "carrier2": factory.token(p.driver2, p.carrier2),
            "receiver": factory.token(p.receiver_user, p.receiver),
            "regulator": factory.token(p.regulator)}


def step(client, token, manifest_id, action, key=None, **fields):
    return client.post(f"/api/v1/manifests/{manifest_id}/actions/{action}", json=fields, headers=auth(token, key))


def test_whole_flow_through_the_api(parties, client, factory):
    p = parties
    t = tokens(p, factory)
    codes = [c.code for c in p.batch.containers]
    response = client.post("/api/v1/manifests", json=p.draft_values(), headers=auth(t["generator"], "draft-1"))
    assert response.status_code == 201, response.json
    m = response.json
    assert m["number"] is None and m["state"] == "draft" and m["allowed_actions"] == ["submit", "cancel"]
    again = client.post("/api/v1/manifests", json=p.draft_values(), headers=auth(t["generator"], "draft-1"))
    assert again.json["id"] == m["id"] and again.headers["Idempotent-Replayed"] == "true"

    response = step(client, t["generator"], m["id"], "submit")
    assert response.status_code == 200 and response.json["state"] == "submitted"
    number = response.json["number"]
    assert len(number) == 14 and number[4:8] == "4112"
    assert step(client, t["carrier1"], m["id"], "pick_up", scanned=codes).json["state"] == "in_transit"
    assert step(client, t["carrier2"], m["id"], "hand_over", scanned=codes).json["state"] == "handed_over"
    assert step(client, t["carrier2"], m["id"], "deliver", scanned=codes).json["state"] == "delivered"
    line_id = response.json["lines"][0]["id"]
    response = step(client, t["receiver"], m["id"], "receive", outcome="accepted",
                    lines=[{"line_id": line_id, "received_g": 4_600_000}], gate_net_g=5_000_000, gate_ticket_no="T-1")
    assert response.status_code == 200, response.json
    assert response.json["state"] == "received" and response.json["lines"][0]["received_g"] == 4_600_000
    response = step(client, t["receiver"], m["id"], "treat", method="D10", quantity_g=4_600_000)
    assert response.json["state"] == "treated" and response.json["treatment_method"] == "D10"
    assert [s["action"] for s in response.json["signatures"]] == [
        "submit", "pick_up", "hand_over", "deliver", "receive", "treat"]
    assert all(s["intact"] for s in response.json["signatures"])

    listed = client.get("/api/v1/manifests?status=treated&waste_code=900-249-08", headers=auth(t["regulator"]))
    assert listed.status_code == 200 and [i["number"] for i in listed.json["items"]] == [number]
    other = client.get("/api/v1/manifests", headers=auth(factory.token(factory.regulator(jurisdiction="411202"))))
    assert other.json["items"] == []


def test_wrong_party_gets_403_and_out_of_order_409(parties, client, factory):
    p = parties
    t = tokens(p, factory)
    m = client.post("/api/v1/manifests", json=p.draft_values(), headers=auth(t["generator"])).json
    assert client.get(f"/api/v1/manifests/{m['id']}", headers=auth(t["receiver"])).status_code == 404  # a draft
    step(client, t["generator"], m["id"], "submit")
    response = step(client, t["receiver"], m["id"], "submit")
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"
    response = step(client, t["carrier2"], m["id"], "pick_up", scanned=[p.batch.containers[0].code])
    assert response.status_code == 403
    response = step(client, t["carrier1"], m["id"], "deliver", scanned=[p.batch.containers[0].code])
    assert response.status_code == 409
    assert response.json["error"]["fields"]["allowed_actions"] == "pick_up"
    response = step(client, t["generator"], m["id"], "treat", method="D10")
    assert response.status_code == 403
    detail = client.get(f"/api/v1/manifests/{m['id']}", headers=auth(t["receiver"])).json
    assert detail["state"] == "submitted" and len(detail["signatures"]) == 1


def test_licence_refusal_names_the_reason_and_saves_nothing(parties, client, factory):
    p = parties
    t = tokens(p, factory)
    unlicensed = factory.org(name="陕州区无证公司", district="411203", is_receiver=True)
    body = {**p.draft_values(), "receiver_id": unlicensed.id}
    m = client.post("/api/v1/manifests", json=body, headers=auth(t["generator"])).json
    response = step(client, t["generator"], m["id"], "submit")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "no_licence" and "陕州区无证公司" in response.json["error"]["message"]
    assert "receiver_id" in response.json["error"]["fields"]
    detail = client.get(f"/api/v1/manifests/{m['id']}", headers=auth(t["generator"])).json
    assert detail["state"] == "draft" and detail["number"] is None and detail["signatures"] == []
    assert db.session.scalar(db.select(ManifestNumberCounter.last_serial)) in (None, 0)


def test_bad_receipts_and_unknown_fields_are_422_naming_the_field(parties, client, factory):
    p = parties
    t = tokens(p, factory)
    codes = [c.code for c in p.batch.containers]
    m = client.post("/api/v1/manifests", json=p.draft_values(), headers=auth(t["generator"])).json
    response = step(client, t["generator"], m["id"], "submit", colour="red")
    assert response.status_code == 422 and "colour" in response.json["error"]["fields"]
    step(client, t["generator"], m["id"], "submit")
    response = step(client, t["carrier1"], m["id"], "pick_up", scanned=["91411200MA00000000" + "9" * 19])
    assert response.status_code == 422 and "scanned" in response.json["error"]["fields"]
    step(client, t["carrier1"], m["id"], "pick_up", scanned=codes)
    step(client, t["carrier2"], m["id"], "hand_over", scanned=codes)
    response = step(client, t["carrier2"], m["id"], "deliver", scanned=codes[:3])
    assert response.status_code == 422 and response.json["error"]["code"] == "incomplete_scan"
    step(client, t["carrier2"], m["id"], "deliver", scanned=codes[:3],
         exceptions=[{"container_code": code, "reason": "桶未装车"} for code in codes[3:]])
    for grams in (-5, 9_000_000, "lots"):
        response = step(client, t["receiver"], m["id"], "receive", lines=[{"position": 0, "received_g": grams}],
                        gate_net_g=5_000_000, gate_ticket_no="T-1")
        assert response.status_code == (400 if isinstance(grams, str) else 422), grams  # text is the wrong type
        assert "lines[0].received_g" in response.json["error"]["fields"]
    detail = client.get(f"/api/v1/manifests/{m['id']}", headers=auth(t["receiver"])).json
    assert detail["state"] == "delivered" and detail["lines"][0]["received_g"] is None
    assert detail["count_mismatch"] is True
    assert client.post(f"/api/v1/manifests/{m['id']}/actions/fly", json={},
                       headers=auth(t["receiver"])).status_code == 404


def test_manifest_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "/manifests/{manifest_id}/actions/{action}" in paths and "post" in paths["/manifests"]


def test_tokens_of_strangers_see_nothing(parties, client, factory):
    p = parties
    t = tokens(p, factory)
    m = client.post("/api/v1/manifests", json=p.draft_values(), headers=auth(t["generator"])).json
    stranger = factory.org(is_generator=True)
    token = factory.token(factory.member(stranger), stranger)
    assert client.get(f"/api/v1/manifests/{m['id']}", headers=auth(token)).status_code == 404
    assert db.session.get(Manifest, m["id"]) is not None


def test_only_a_generator_creates_a_manifest_through_the_api(parties, client, factory):
    p = parties
    t = tokens(p, factory)
    for party in ("receiver", "carrier1"):
        response = client.post("/api/v1/manifests", json={**p.draft_values(), "lines": [], "deal_ref": "deal:1"},
                               headers=auth(t[party]))
        assert response.status_code == 403, (party, response.json)
        assert response.json["error"]["code"] == "forbidden"
    assert db.session.query(Manifest).count() == 0
    assert client.post("/api/v1/manifests", json=p.draft_values(), headers=auth(t["generator"])).status_code == 201
