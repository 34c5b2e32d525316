"""Issue 14 point 13: 危险废物管理计划 — filed by the generator, accepted or returned by the regulator of its
district, compared with the declarations and the ledger; a manifest outside the plan warns."""
import pytest
from flask import g
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from portal.audit import AuditEntry
from portal.clock import china_today
from portal.extensions import db
from portal.regulatory.declarations import services as declarations
from portal.regulatory.manifests.states import apply_action
from portal.regulatory.plans import services
from portal.regulatory.plans.models import ManagementPlan
from portal.regulatory.register import this_month
from tests.factories import login
from tests.regulatory.manifests.conftest import TONNE, record_licence
from tests.regulatory.manifests.test_states import codes, draft

YEAR = china_today().year
CODE = "900-249-08"


def api(client, token, method, path, json=None):
    return client.open(f"/api/v1{path}", method=method, json=json, headers={"Authorization": f"Bearer {token}"})


def plan_body(p, **line) -> dict:
    return {"year": YEAR, "measures": "减少废矿物油产生量，暂存不超过一年。",
            "lines": [{"waste_code": CODE, "expected_g": 10 * TONNE, "max_stored_g": 3 * TONNE, "own_g": 2 * TONNE,
                       "own_method": "R9", "receiver_ids": [p.receiver.id], **line}]}


def accepted(p, **line) -> ManagementPlan:
    plan = services.create_plan(p.generator_user, p.generator, YEAR, plan_body(p, **line)["lines"])
    services.submit_plan(p.generator_user, plan)
    services.review_plan(p.regulator, plan, "accept")
    db.session.commit()
    return plan


# --- filing --------------------------------------------------------------------------------------

def test_the_generator_files_a_plan_with_its_lines_through_the_api(parties, client, factory):
    p = parties
    token = factory.token(p.generator_user, p.generator)
    body = plan_body(p, facility_id=p.batch.site.facilities[0].id)
    created = api(client, token, "POST", "/plans", body)
    assert created.status_code == 201, created.json
    plan = created.json
    assert (plan["status"], plan["year"], plan["allowed_actions"]) == ("draft", YEAR, ["submit"])
    [line] = plan["lines"]
    assert (line["expected_g"], line["own_g"], line["transfer_g"], line["own_method"]) == (
        10 * TONNE, 2 * TONNE, 8 * TONNE, "R9")
    assert [r["id"] for r in line["receivers"]] == [p.receiver.id]

    again = api(client, token, "POST", "/plans", body)
    assert again.status_code == 409 and "already been filed" in again.json["error"]["message"]
    assert "year" in again.json["error"]["fields"]


@pytest.mark.parametrize(("line", "field", "words"), [
    ({"waste_code": "SW17"}, "lines[0].waste_code", "hazardous waste catalogue"),
    ({"own_g": 11 * TONNE}, "lines[0].own_g", "more itself"),
    ({"own_method": None}, "lines[0].own_method", "R1–R15"),
    ({"receiver_ids": []}, "lines[0].receiver_ids", "intended receivers"),
    ({"facility_id": 999_999}, "lines[0].facility_id", "storage facilities"),
])
def test_each_line_rule_names_its_field(parties, client, factory, line, field, words):
    p = parties
    response = api(client, factory.token(p.generator_user, p.generator), "POST", "/plans", plan_body(p, **line))
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"] and words in response.json["error"]["fields"][field]


def test_an_intended_receiver_must_be_a_verified_receiver(parties, client, factory):
    p = parties
    response = api(client, factory.token(p.generator_user, p.generator), "POST", "/plans",
                   plan_body(p, receiver_ids=[p.carrier1.id]))
    assert response.status_code == 422 and "not a verified receiver" in response.json["error"]["message"]


def test_a_code_listed_twice_is_refused(parties):
    p = parties
    lines = plan_body(p)["lines"] * 2
    with pytest.raises(services.DomainError) as refused:
        services.create_plan(p.generator_user, p.generator, YEAR, lines)
    assert "lines[1].waste_code" in refused.value.fields


# --- the workflow --------------------------------------------------------------------------------

def test_return_revise_resubmit_accept_each_step_audited(parties, client, factory):
    p = parties
    token = factory.token(p.generator_user, p.generator)
    plan_id = api(client, token, "POST", "/plans", plan_body(p)).json["id"]
    regulator_token = factory.token(p.regulator)
    assert api(client, regulator_token, "GET", f"/plans/{plan_id}").status_code == 404  # drafts are the enterprise's
    assert api(client, token, "POST", f"/plans/{plan_id}/submit").json["status"] == "submitted"

    elsewhere = factory.regulator(jurisdiction="411221")
    assert api(client, factory.token(elsewhere), "POST", f"/plans/{plan_id}/review",
               {"decision": "accept"}).status_code == 404
    assert api(client, token, "POST", f"/plans/{plan_id}/review", {"decision": "accept"}).status_code == 403
    no_reason = api(client, regulator_token, "POST", f"/plans/{plan_id}/review", {"decision": "return"})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["error"]["fields"]
    returned = api(client, regulator_token, "POST", f"/plans/{plan_id}/review",
                   {"decision": "return", "reason": "请补充自行利用的设施"})
    assert (returned.json["status"], returned.json["return_reason"]) == ("returned", "请补充自行利用的设施")

    revised = api(client, token, "PUT", f"/plans/{plan_id}", {"lines": plan_body(p, expected_g=12 * TONNE)["lines"]})
    assert revised.status_code == 200 and revised.json["revision"] == 1
    assert revised.json["lines"][0]["expected_g"] == 12 * TONNE
    assert api(client, token, "POST", f"/plans/{plan_id}/submit").json["return_reason"] is None
    assert api(client, regulator_token, "POST", f"/plans/{plan_id}/review",
               {"decision": "accept"}).json["status"] == "accepted"

    locked = api(client, token, "PUT", f"/plans/{plan_id}", {"lines": plan_body(p)["lines"]})
    assert locked.status_code == 409
    again = api(client, regulator_token, "POST", f"/plans/{plan_id}/review", {"decision": "accept"})
    assert again.status_code == 409
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "management_plans", AuditEntry.object_id == str(plan_id)).order_by(AuditEntry.id)).all()
    assert actions == ["management_plan.create", "management_plan.submit", "management_plan.return",
                       "management_plan.update", "management_plan.submit", "management_plan.accept"]
    listed = api(client, regulator_token, "GET", f"/plans?year={YEAR}&status=accepted").json
    assert [item["id"] for item in listed["items"]] == [plan_id]


def test_the_status_column_refuses_an_unknown_state(parties):
    p = parties
    plan = services.create_plan(p.generator_user, p.generator, YEAR, plan_body(p)["lines"])
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(text("UPDATE management_plans SET status = 'approved' WHERE id = :id"), {"id": plan.id})
        db.session.flush()
    db.session.rollback()


# --- the comparison ------------------------------------------------------------------------------

def test_plan_declared_and_recorded_quantities_with_their_deviations(parties, client, factory):
    p = parties  # the ledger has 5 t of 900-249-08 generated this year (the parties' batch)
    plan = accepted(p)
    m = draft(p)
    apply_action(m, "submit", p.generator_user, p.generator)
    apply_action(m, "pick_up", p.driver1, p.carrier1, scanned=codes(p))
    db.session.commit()
    declaration = declarations.create_declaration(p.generator_user, p.generator, "monthly",
                                                  this_month().strftime("%Y-%m"))
    declaration.figure(CODE, "generated").declared_g = 4 * TONNE
    declaration.figure(CODE, "generated").comment = "按台账更正"
    declarations.submit_declaration(p.generator_user, declaration)
    db.session.commit()

    [row] = services.compare_plan(plan)
    assert (row["planned_g"], row["declared_g"], row["ledger_g"]) == (10 * TONNE, 4 * TONNE, 5 * TONNE)
    assert (row["declared_deviation_g"], row["declared_deviation_pct"]) == (-6 * TONNE, -60.0)
    assert (row["ledger_deviation_g"], row["ledger_deviation_pct"]) == (-5 * TONNE, -50.0)
    assert (row["planned_transfer_g"], row["manifested_g"], row["transfer_deviation_g"]) == (
        8 * TONNE, 5 * TONNE, -3 * TONNE)

    body = api(client, factory.token(p.regulator), "GET", f"/plans/{plan.id}/comparison").json
    assert body["rows"][0]["ledger_deviation_pct"] == -50.0


def test_a_code_recorded_but_not_planned_shows_as_outside_the_plan(parties):
    p = parties
    plan = accepted(p, waste_code="900-041-49")
    rows = {row["waste_code"]: row for row in services.compare_plan(plan)}
    assert rows[CODE]["in_plan"] is False and rows[CODE]["planned_g"] == 0
    assert rows[CODE]["ledger_g"] == 5 * TONNE and rows[CODE]["ledger_deviation_pct"] is None
    assert rows["900-041-49"]["ledger_deviation_g"] == -10 * TONNE


# --- the manifest's warning ----------------------------------------------------------------------

def test_a_manifest_to_a_receiver_outside_the_accepted_plan_warns_but_is_not_blocked(parties, client, factory):
    p = parties
    other = factory.org(name="渑池县危废综合利用有限公司", district="411282", is_receiver=True)
    record_licence(p.regulator, other)
    token = factory.token(p.generator_user, p.generator)
    values = {**p.draft_values(), "receiver_id": other.id}

    no_plan = api(client, token, "POST", "/manifests", values)
    assert no_plan.status_code == 201 and no_plan.json["warnings"] == []  # nothing accepted to compare with
    accepted(p)
    outside = api(client, token, "PUT", f"/manifests/{no_plan.json['id']}", {"receiver_id": other.id})
    assert outside.status_code == 200
    assert outside.json["warnings"] == [
        f"渑池县危废综合利用有限公司 is not an intended receiver of {CODE} in the accepted management plan for {YEAR}."]
    submitted = api(client, token, "POST", f"/manifests/{no_plan.json['id']}/actions/submit", {})
    assert submitted.status_code == 200 and submitted.json["state"] == "submitted"
    assert len(submitted.json["warnings"]) == 1

    login(client, p.generator_user)
    g.pop("_login_user", None)
    page = client.get(f"/manifests/{no_plan.json['id']}").text
    assert "Outside the management plan" in page and "is not an intended receiver" in page


def test_a_manifest_to_an_intended_receiver_does_not_warn(parties, client, factory):
    p = parties
    accepted(p)
    token = factory.token(p.generator_user, p.generator)
    created = api(client, token, "POST", "/manifests", p.draft_values())
    assert created.status_code == 201 and created.json["warnings"] == []


def test_a_plan_not_yet_accepted_gives_no_warning(parties):
    p = parties
    plan = services.create_plan(p.generator_user, p.generator, YEAR, plan_body(p, waste_code="900-041-49")["lines"])
    services.submit_plan(p.generator_user, plan)
    db.session.commit()
    manifest = draft(p)
    assert services.receiver_warnings(manifest) == []
    services.review_plan(p.regulator, plan, "accept")
    db.session.commit()
    assert services.receiver_warnings(manifest) == [
        f"{CODE} is not in the accepted management plan for {YEAR}."]


# --- the pages -----------------------------------------------------------------------------------

def test_the_pages_file_submit_review_and_compare(app, page_parties, client):
    p = page_parties
    login(client, p.generator_user)
    assert client.get("/plans").status_code == 200
    form = client.get("/plans/new")
    assert form.status_code == 200 and 'name="lines-0-waste_code"' in form.text
    data = {"year": str(YEAR), "measures": "", "lines-0-waste_code": CODE, "lines-0-expected_t": "10",
            "lines-0-facility": "", "lines-0-max_stored_t": "3", "lines-0-own_t": "2", "lines-0-own_method": "R9",
            "lines-0-receivers": str(p.receiver.id), "lines-1-waste_code": "", "lines-1-expected_t": ""}
    bad = client.post("/plans/new", data={**data, "lines-0-own_t": "12"})
    assert bad.status_code == 422 and "more itself" in bad.text
    saved = client.post("/plans/new", data={**data, "submit": "1"})
    assert saved.status_code == 302, saved.text
    detail_url = saved.headers["Location"]
    detail = client.get(detail_url).text
    assert "Submitted" in detail and "10.0" in detail and "灵宝市危废处置有限公司" in detail
    assert "Plan, declarations and records" in detail and "-5.0" in detail  # 5 t recorded against 10 t planned
    listed = client.get(f"/plans?year={YEAR}").text
    assert detail_url.rsplit("/", 1)[1] in listed

    client = app.test_client()
    login(client, p.regulator)
    queue = client.get(f"/plans/queue?status=submitted&year={YEAR}")
    assert queue.status_code == 200 and detail_url in queue.text
    assert 'name="decision"' in client.get(detail_url).text
    refused = client.post(f"{detail_url}/review", data={"decision": "return", "reason": ""})
    assert refused.status_code == 422
    accepted_ = client.post(f"{detail_url}/review", data={"decision": "accept"})
    assert accepted_.status_code == 302
    assert "Accepted" in client.get(detail_url).text
