"""Real signatures: each step signed with the acting organisation's key, verifiable offline from the export and
the published keys; keys rotated and revoked without invalidating earlier signatures."""
import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from portal.extensions import db
from portal.regulatory.manifests import signatures
from portal.regulatory.manifests.models import ManifestSignature
from portal.regulatory.manifests.services import seal_hash
from portal.regulatory.manifests.states import apply_action
from portal.regulatory.signing import services as signing
from portal.regulatory.signing.models import SigningKey
from tests.regulatory.manifests.test_api import auth, step, tokens
from tests.regulatory.manifests.test_states import codes, draft, run_to_delivered

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "verify_manifest.py"


def verify_offline(tmp_path, export: dict, keys: dict) -> subprocess.CompletedProcess:
    """Run the verifier as a user would, in a fresh interpreter that reads only the two files."""
    (tmp_path / "export.json").write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "keys.json").write_text(json.dumps(keys), encoding="utf-8")
    return subprocess.run([sys.executable, "-I", str(SCRIPT), "export.json", "keys.json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)


def treated_through_the_api(p, client, factory) -> tuple[int, dict]:
    t = tokens(p, factory)
    m = client.post("/api/v1/manifests", json=p.draft_values(), headers=auth(t["generator"])).json
    all_codes = codes(p)
    step(client, t["generator"], m["id"], "submit")
    step(client, t["carrier1"], m["id"], "pick_up", scanned=all_codes)
    step(client, t["carrier2"], m["id"], "hand_over", scanned=all_codes)
    step(client, t["carrier2"], m["id"], "deliver", scanned=all_codes)
    line_id = m["lines"][0]["id"]
    step(client, t["receiver"], m["id"], "receive", lines=[{"line_id": line_id, "received_g": 4_600_000}],
         gate_net_g=4_600_000, gate_ticket_no="T-1")
    # the receiver rotates between receipt and treatment: the receipt stays signed by the retired key
    rotated = client.post("/api/v1/signing-keys/rotate", headers=auth(t["receiver"]))
    assert rotated.status_code == 201, rotated.json
    response = step(client, t["receiver"], m["id"], "treat", method="D10", quantity_g=4_600_000)
    assert response.json["state"] == "treated"
    return m["id"], t


def test_export_verifies_offline_and_one_changed_sealed_field_fails(parties, client, factory, tmp_path):
    p = parties
    manifest_id, t = treated_through_the_api(p, client, factory)
    detail = client.get(f"/api/v1/manifests/{manifest_id}", headers=auth(t["regulator"])).json
    assert [s["verification"] for s in detail["signatures"]] == ["verified"] * 6
    assert {s["algorithm"] for s in detail["signatures"]} == {"ed25519"}
    receipt, treatment = detail["signatures"][4:]
    assert receipt["key_id"] != treatment["key_id"]  # before and after the rotation

    export = client.get(f"/api/v1/manifests/{manifest_id}/export", headers=auth(t["regulator"])).json
    keys = client.get("/api/v1/signing-keys").json  # public: no token
    receiver_keys = {k["key_id"]: k["status"] for k in keys["items"] if k["organisation"]["id"] == p.receiver.id}
    assert receiver_keys == {receipt["key_id"]: "retired", treatment["key_id"]: "active"}

    result = verify_offline(tmp_path, export, keys)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": OK (key ") == 6 and "FAIL" not in result.stdout

    export["steps"][0]["payload"]["sealed"]["lines"][0]["quantity_g"] = 4_000_000
    result = verify_offline(tmp_path, export, keys)
    assert result.returncode == 1
    assert "step 1 submit: FAIL (signature does not match the payload)" in result.stdout
    assert result.stdout.count(": OK (") == 5


def test_a_removed_step_or_a_foreign_key_fails_offline(parties, client, factory, tmp_path):
    manifest_id, t = treated_through_the_api(parties, client, factory)
    export = client.get(f"/api/v1/manifests/{manifest_id}/export", headers=auth(t["generator"])).json
    keys = client.get("/api/v1/signing-keys").json
    without_pickup = {**export, "steps": [s for s in export["steps"] if s["seq"] != 2]}
    result = verify_offline(tmp_path, without_pickup, keys)
    assert result.returncode == 1 and "step 3 hand_over: FAIL (does not follow the previous step" in result.stdout

    other = [k for k in keys["items"] if k["key_id"] != export["steps"][0]["key_id"]]
    result = verify_offline(tmp_path, export, {"items": other})
    assert result.returncode == 1 and "is not among the published keys" in result.stdout


def test_revocation_invalidates_only_the_signatures_made_after_it(parties, tmp_path):
    p = parties
    m = draft(p)
    run_to_delivered(p, m)
    generator_key = signing.current_key(p.generator.id)
    carrier_key = signing.current_key(p.carrier2.id)
    # the second carrier's key was compromised between its handover and its delivery
    handover, delivery = m.signatures[2], m.signatures[3]
    compromised = handover.signed_at + (delivery.signed_at - handover.signed_at) / 2
    signing.revoke_key(carrier_key, p.driver2, "laptop stolen", compromised)
    db.session.commit()
    verdicts = signatures.verdicts(m)
    assert [verdicts[s.id].status for s in m.signatures] == ["verified", "verified", "verified", "key_revoked"]
    assert signing.current_key(p.carrier2.id) is None  # the next signature makes a new key
    apply_action(m, "receive", p.receiver_user, p.receiver, lines=[{"line_id": m.lines[0].id, "received_g": 5_000_000}],
                 gate_net_g=5_000_000, gate_ticket_no="T-1")
    db.session.commit()
    assert signing.current_key(p.generator.id) == generator_key

    keys = {"items": [signing.key_json(k) for k in db.session.scalars(signing.organisation_keys())]}
    result = verify_offline(tmp_path, signatures.export(m), keys)
    assert result.returncode == 1
    assert "step 4 deliver: FAIL (key" in result.stdout and "was revoked at" in result.stdout
    assert "step 3 hand_over: OK" in result.stdout and "step 5 receive: OK" in result.stdout


def test_a_row_changed_in_the_database_is_shown_invalid(parties):
    p = parties
    m = draft(p)
    run_to_delivered(p, m)
    pickup = m.signatures[1]
    pickup.sealed = {**pickup.sealed, "vehicle_plate": "豫M99999"}
    db.session.commit()
    db.session.expire_all()
    verdicts = signatures.verdicts(m)
    assert [verdicts[s.id].status for s in m.signatures] == ["verified", "invalid", "verified", "verified"]


def test_hash_seals_from_before_keys_stay_verifiable(parties, tmp_path):
    """A step signed by the old scheme (as the migration leaves it) is checked by its hash, online and off."""
    p = parties
    m = draft(p)
    apply_action(m, "submit", p.generator_user, p.generator)
    db.session.commit()
    old = m.signatures[0]
    old.algorithm, old.signing_key = "sha256-seal", None
    old.hash = old.signature = seal_hash(manifest_id=m.id, action=old.action, organisation_id=old.organisation_id,
                                         user_id=old.user_id, signed_at=old.signed_at, sealed=old.sealed)
    db.session.commit()
    apply_action(m, "pick_up", p.driver1, p.carrier1, scanned=codes(p))
    db.session.commit()
    verdicts = signatures.verdicts(m)
    assert [verdicts[s.id].status for s in m.signatures] == ["sealed", "verified"]
    keys = {"items": [signing.key_json(k) for k in db.session.scalars(signing.organisation_keys())]}
    export = signatures.export(m)
    result = verify_offline(tmp_path, export, keys)
    assert result.returncode == 0, result.stdout
    assert "step 1 submit: OK (sha256-seal" in result.stdout
    export["steps"][0]["payload"]["fields"]["number"] = "20260000000000"
    assert verify_offline(tmp_path, export, keys).returncode == 1


def test_private_keys_are_encrypted_at_rest_and_keys_are_one_active_per_organisation(parties, app):
    p = parties
    key = signing.active_key(p.generator, p.generator_user)
    assert signing.active_key(p.generator) is key
    assert key.algorithm == "ed25519" and key.private_key_encrypted.startswith("aesgcm1:")
    message = signing.canonical({"b": 1, "a": "三门峡"})
    assert message == '{"a":"三门峡","b":1}'.encode()
    signature = signing.sign(key, message)
    assert signing.signature_valid(key, message, signature)
    assert not signing.signature_valid(key, message + b" ", signature)
    app.config["SIGNING_KEY_SECRET"] = "another secret"
    try:
        with pytest.raises(InvalidTag):
            signing.sign(key, message)  # the stored key is useless without the secret
    finally:
        app.config["SIGNING_KEY_SECRET"] = None
    new = signing.rotate_key(p.generator, p.generator_user)
    db.session.commit()
    assert key.status == "retired" and new.status == "active" and new.valid_from >= key.retired_at
    active = db.session.scalars(db.select(SigningKey).where(SigningKey.organisation_id == p.generator.id,
                                                            SigningKey.retired_at.is_(None))).all()
    assert active == [new]


def test_the_canonical_form_refuses_floats():
    with pytest.raises(TypeError, match="float"):
        signing.canonical({"weight_t": 4.6})


def test_revocation_needs_a_reason_and_a_time_inside_the_key_life(parties):
    p = parties
    key = signing.active_key(p.receiver, p.receiver_user)
    with pytest.raises(Exception, match="why"):
        signing.revoke_key(key, p.receiver_user, " ")
    with pytest.raises(Exception, match="between"):
        signing.revoke_key(key, p.receiver_user, "lost", key.valid_from - timedelta(seconds=1))


def test_keys_api_rotation_and_revocation_rights(parties, client, factory):
    p = parties
    t = tokens(p, factory)
    assert client.post("/api/v1/signing-keys/rotate", headers=auth(t["carrier1"])).status_code == 403  # a driver
    key = client.post("/api/v1/signing-keys/rotate", headers=auth(t["receiver"])).json
    assert key["status"] == "active" and key["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert client.get(f"/api/v1/signing-keys?organisation={p.receiver.uscc}").json["total"] == 1
    assert client.post(f"/api/v1/signing-keys/{key['key_id']}/revoke", json={"reason": "test"},
                       headers=auth(t["generator"])).status_code in (403, 404)
    revoked = client.post(f"/api/v1/signing-keys/{key['key_id']}/revoke", json={"reason": "lost"},
                          headers=auth(t["receiver"]))
    assert revoked.status_code == 200 and revoked.json["status"] == "revoked" and revoked.json["revoked_at"]
    again = client.post(f"/api/v1/signing-keys/{key['key_id']}/revoke", json={"reason": "lost"},
                        headers=auth(t["receiver"]))
    assert again.status_code == 409
    openapi = client.get("/api/v1/openapi.json").json
    assert {"/signing-keys", "/signing-keys/{key_id}/revoke", "/manifests/{manifest_id}/export"} <= set(openapi["paths"])


def test_manifest_and_trace_pages_show_each_steps_verdict(parties, client):
    p = parties
    m = draft(p)
    run_to_delivered(p, m)
    carrier_key = signing.current_key(p.carrier2.id)
    signing.revoke_key(carrier_key, p.driver2, "stolen", m.signatures[3].signed_at)
    db.session.commit()
    trace = client.get(f"/api/v1/trace/{m.number}").json
    assert [s["verification"] for s in trace["signatures"]] == ["verified", "verified", "verified", "key_revoked"]
    page = client.get(f"/t/{m.number}", headers={"Accept-Language": "en"}).text
    assert page.count("verified with key") == 3
    assert f"key {carrier_key.key_id} of {p.carrier2.name} was revoked before this step was signed" in page


def test_manifest_page_lists_verdicts_and_offers_the_export(app, page_parties, client):
    from tests.factories import login
    from tests.regulatory.manifests.test_pages import create_and_submit

    p = page_parties
    manifest_id = create_and_submit(client, p)
    login(client, p.regulator)
    page = client.get(f"/manifests/{manifest_id}", headers={"Accept-Language": "en"}).text
    with app.app_context():
        key_id = signing.current_key(p.generator.id).key_id
        sig = db.session.scalars(db.select(ManifestSignature).where(ManifestSignature.manifest_id == manifest_id)).one()
        assert sig.signing_key.key_id == key_id
    assert f"with key {key_id} of" in page
    exported = client.get(f"/manifests/{manifest_id}/export.json")
    assert exported.status_code == 200 and exported.json["steps"][0]["key_id"] == key_id
    keys_page = client.get("/signing-keys/", headers={"Accept-Language": "en"}).text
    assert key_id in keys_page


def test_the_organisation_admin_rotates_and_revokes_on_the_keys_page(app, page_parties, client):
    from tests.factories import login

    p = page_parties
    login(client, p.receiver_user)
    assert "Rotate the key" in client.get("/signing-keys/", headers={"Accept-Language": "en"}).text
    assert client.post("/signing-keys/rotate").status_code == 303
    with app.app_context():
        key_id = signing.current_key(p.receiver.id).key_id
    assert client.post(f"/signing-keys/{key_id}/revoke", data={f"key-{key_id}-reason": "", f"key-{key_id}-revoked_at": ""}).status_code == 303
    with app.app_context():
        assert signing.current_key(p.receiver.id).key_id == key_id  # no reason, nothing revoked
    client.post(f"/signing-keys/{key_id}/revoke", data={f"key-{key_id}-reason": "服务器更换", f"key-{key_id}-revoked_at": ""})
    with app.app_context():
        key = signing.key_by_id(key_id)
        assert key.status == "revoked" and key.revocation_reason == "服务器更换"
        assert signing.current_key(p.receiver.id) is None
    login(client, p.driver1)  # a driver of another organisation may not revoke it
    assert client.post(f"/signing-keys/{key_id}/revoke", data={f"key-{key_id}-reason": "x"}).status_code in (403, 404)
    login(client, p.receiver_user)
    client.post("/signing-keys/rotate")
    client.post("/signing-keys/rotate")
    page = client.get("/signing-keys/").text
    ids = re.findall(r' id="([^"]+)"', page)
    assert len([i for i in ids if i.startswith("key-")]) == 2 * 2  # reason and time of two revocable keys
    assert len(ids) == len(set(ids))
