"""Issue 14 point 1: the planned method of every line and the method recorded at treatment must be within
the receiver's licence scope for the code (the parties' receiver holds "HW08 R9 D10")."""
import pytest

from portal.errors import DomainError
from portal.extensions import db
from portal.regulatory.licences import services as licences
from portal.regulatory.manifests import services
from portal.regulatory.manifests.models import Manifest, ManifestLine
from portal.regulatory.manifests.states import apply_action
from tests.factories import login
from tests.regulatory.manifests.test_api import auth, step, tokens
from tests.regulatory.manifests.test_pages import form_data
from tests.regulatory.manifests.test_states import codes, run_to_delivered


def draft(p, method):
    values = p.draft_values()
    lines = [{"batch_id": p.batch.id, "planned_method": method}]
    manifest = services.create_manifest_draft(
        generator_org=p.generator, receiver_org=values.pop("receiver_id"), actor=p.generator_user,
        carriers=values.pop("carriers"), lines=lines, **{k: v for k, v in values.items() if k != "lines"})
    db.session.commit()
    return manifest


def test_a_planned_method_outside_the_scope_is_refused_on_the_line(parties):
    with pytest.raises(DomainError) as exc:
        draft(parties, "D1")
    assert exc.value.code == "method_out_of_scope"
    assert set(exc.value.fields) == {"lines[0].planned_method"}
    assert "D10, R9" in exc.value.message and "D1" in exc.value.message


def test_a_planned_method_within_the_scope_is_kept_and_sealed(parties):
    p = parties
    m = draft(p, "r9")
    apply_action(m, "submit", p.generator_user, p.generator)
    db.session.commit()
    assert m.lines[0].planned_method == "R9"
    assert m.signatures[0].sealed["lines"][0]["planned_method"] == "R9"
    assert services.content_sealed(m)


def test_a_scope_narrowed_after_the_draft_refuses_the_submission(parties):
    p = parties
    m = draft(p, "D10")
    licence = db.session.scalars(db.select(licences.Licence).where(
        licences.Licence.organisation_id == p.receiver.id)).one()
    fields = {name: getattr(licence, name) for name in licences.LICENCE_FIELDS if name != "organisation_id"}
    del fields["status"]
    licences.update_licence(p.regulator, licence, scopes=licences.parse_scope_text("HW08 R9"), **fields)
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        apply_action(m, "submit", p.generator_user, p.generator)
    assert exc.value.code == "method_out_of_scope" and "lines[0].planned_method" in exc.value.fields
    db.session.rollback()
    assert m.state == "draft" and m.number is None


def test_treatment_by_a_method_outside_the_scope_is_refused(parties):
    p = parties
    m = draft(p, None)
    run_to_delivered(p, m)
    apply_action(m, "receive", p.receiver_user, p.receiver,
                 lines=[{"line_id": m.lines[0].id, "received_g": 5_000_000}], scanned=codes(p),
                 gate_net_g=5_000_000, gate_ticket_no="T-1")
    db.session.commit()
    with pytest.raises(DomainError) as exc:
        apply_action(m, "treat", p.receiver_user, p.receiver, method="D1", quantity_g=5_000_000)
    assert exc.value.code == "method_out_of_scope" and set(exc.value.fields) == {"method"}
    db.session.rollback()
    assert m.state == "received" and m.treatment_method is None
    apply_action(m, "treat", p.receiver_user, p.receiver, method="R9", quantity_g=5_000_000)
    db.session.commit()
    assert (m.state, m.treatment_method) == ("treated", "R9")


def test_the_api_names_the_line_and_the_treatment_method(parties, client, factory):
    p = parties
    t = tokens(p, factory)
    body = p.draft_values()
    body["lines"] = [{"batch_id": p.batch.id, "planned_method": "D1"}]
    refused = client.post("/api/v1/manifests", json=body, headers=auth(t["generator"]))
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "method_out_of_scope"
    assert set(refused.json["error"]["fields"]) == {"lines[0].planned_method"}
    bad = client.post("/api/v1/manifests", json={**body, "lines": [{"batch_id": p.batch.id, "planned_method": "D19"}]},
                      headers=auth(t["generator"]))
    assert bad.status_code == 422 and "lines[0].planned_method" in bad.json["error"]["fields"]

    body["lines"] = [{"batch_id": p.batch.id, "planned_method": "D10"}]
    created = client.post("/api/v1/manifests", json=body, headers=auth(t["generator"]))
    assert created.status_code == 201 and created.json["lines"][0]["planned_method"] == "D10"
    m = created.json
    all_codes = codes(p)
    assert step(client, t["generator"], m["id"], "submit").status_code == 200
    assert step(client, t["carrier1"], m["id"], "pick_up", scanned=all_codes).status_code == 200
    assert step(client, t["carrier2"], m["id"], "hand_over", scanned=all_codes).status_code == 200
    assert step(client, t["carrier2"], m["id"], "deliver", scanned=all_codes).status_code == 200
    received = step(client, t["receiver"], m["id"], "receive", outcome="accepted",
                    lines=[{"line_id": m["lines"][0]["id"], "received_g": 5_000_000}], scanned=all_codes,
                    gate_net_g=5_000_000, gate_ticket_no="T-1")
    assert received.status_code == 200, received.json
    treat = step(client, t["receiver"], m["id"], "treat", method="D1", quantity_g=5_000_000)
    assert treat.status_code == 422 and set(treat.json["error"]["fields"]) == {"method"}
    assert treat.json["error"]["code"] == "method_out_of_scope"
    assert step(client, t["receiver"], m["id"], "treat", method="D10", quantity_g=5_000_000).json["state"] == "treated"


def test_the_form_plans_one_method_and_shows_a_refusal_on_it(app, page_parties, client):
    p = page_parties
    login(client, p.generator_user)
    refused = client.post("/manifests/new", data={**form_data(p), "planned_method": "D1"})
    assert refused.status_code == 422 and "D1" in refused.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ManifestLine)) == 0
    created = client.post("/manifests/new", data={**form_data(p), "planned_method": "d10"})
    assert created.status_code == 302, created.text
    manifest_id = int(created.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        assert [line.planned_method for line in db.session.get(Manifest, manifest_id).lines] == ["D10"]
    assert 'value="D10"' in client.get(f"/manifests/{manifest_id}/edit").text


def test_a_revision_may_change_the_planned_method_only_within_the_scope(parties, factory):
    p = parties
    m = draft(p, "R9")
    apply_action(m, "submit", p.generator_user, p.generator)
    with pytest.raises(DomainError) as exc:
        apply_action(m, "revise", p.generator_user, p.generator, reason="改变处置方式",
                     changes={"lines.0.planned_method": "D1"})
    assert exc.value.code == "method_out_of_scope" and "lines.0.planned_method" in exc.value.fields
    apply_action(m, "revise", p.generator_user, p.generator, reason="改为焚烧处置",
                 changes={"lines.0.planned_method": "d10"})
    assert m.open_revision.after == {"lines.0.planned_method": "D10"}
    for org in (p.carrier1, p.carrier2):
        apply_action(m, "approve_revision", factory.member(org), org)
    apply_action(m, "approve_revision", p.receiver_user, p.receiver)
    assert m.lines[0].planned_method == "D10" and services.content_sealed(m)
