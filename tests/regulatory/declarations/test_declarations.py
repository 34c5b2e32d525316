"""Declarations (申报): prefilled from the ledger, edited only with a comment, checked against the ledger,
reviewed by the regulator of the enterprise's district."""
from datetime import date

import pytest
from flask import g
from sqlalchemy import select

from portal.accounts.models import Role
from portal.extensions import db
from portal.regulatory.declarations import services
from portal.regulatory.declarations.models import Declaration
from portal.regulatory.ledger.services import append_event
from portal.regulatory.register import monthly_register, this_month
from tests.factories import login
from tests.regulatory.batches.helpers import make_batch, make_generator

TONNE = 1_000_000
MONTH = this_month().strftime("%Y-%m")
YEAR = str(this_month().year)


@pytest.fixture
def history(ctx, factory):
    """5 t of 900-249-08 generated this month; a carrier picked up 4.6 t of it."""
    gen = make_generator(factory, district="411282", capacity_g=10 * TONNE)
    batch = make_batch(gen, containers=1, quantity="5", unit="t")
    carrier = factory.org(is_transporter=True)
    append_event(batch, "picked_up", actor=None, organisation=carrier, container=batch.containers[0],
                 quantity_g=4_600_000)
    db.session.commit()
    staff = factory.member(gen.org, role=Role.STAFF)
    return gen, batch, carrier, staff


def login_as(client, user) -> None:
    """Sign in for page requests. The ctx fixture's app context (and g) is shared with the client's
    requests, so the user Flask-Login cached there by an earlier call is dropped."""
    g.pop("_login_user", None)
    login(client, user)


def api(client, token, method, path, json=None):
    return client.open(f"/api/v1{path}", method=method, json=json, headers={"Authorization": f"Bearer {token}"})


def figure_index(body, code, name):
    return next(i for i, f in enumerate(body["figures"]) if (f["waste_code"], f["figure"]) == (code, name))


# --- prefill --------------------------------------------------------------------------------------

def test_monthly_prefill_equals_the_ledger(history):
    gen, _batch, _carrier, staff = history
    declaration = services.create_declaration(staff, gen.org, "monthly", MONTH)
    db.session.commit()
    [row] = monthly_register(gen.org, this_month()).rows
    figures = {f.figure: (f.ledger_g, f.declared_g) for f in declaration.figures if f.waste_code == "900-249-08"}
    assert figures == {name: (row.grams[name], row.grams[name])
                       for name in ("generated", "stock", "transferred_out", "treated")}
    assert figures["generated"] == (5 * TONNE, 5 * TONNE) and figures["transferred_out"] == (4_600_000, 4_600_000)
    assert services.balance_differences(declaration) == []


def test_annual_prefill_sums_the_months(history):
    gen, _batch, _carrier, staff = history
    declaration = services.create_declaration(staff, gen.org, "annual", YEAR)
    db.session.commit()
    assert declaration.period_start == date(int(YEAR), 1, 1) and declaration.period_end == date(int(YEAR), 12, 31)
    assert declaration.figure("900-249-08", "generated").ledger_g == 5 * TONNE
    assert declaration.figure("900-249-08", "transferred_out").ledger_g == 4_600_000


# --- editing, mass balance ------------------------------------------------------------------------

def test_an_edited_figure_needs_a_comment_keeps_both_and_is_named_by_the_balance_check(app, client, history, factory):
    gen, _batch, _carrier, staff = history
    token = factory.token(staff, gen.org)
    body = api(client, token, "POST", "/declarations", {"kind": "monthly", "period": MONTH}).get_json()
    index = figure_index(body, "900-249-08", "transferred_out")
    change = {"waste_code": "900-249-08", "figure": "transferred_out", "declared_g": 4 * TONNE}
    response = api(client, token, "POST", f"/declarations/{body['id']}/submit", {"figures": [change]})
    assert response.status_code == 422
    assert "figures[0].comment" in response.get_json()["error"]["fields"]
    assert api(client, token, "GET", f"/declarations/{body['id']}").get_json()["status"] == "draft"

    change["comment"] = "0.6 t 退回，待复核"
    response = api(client, token, "POST", f"/declarations/{body['id']}/submit", {"figures": [change]})
    assert response.status_code == 200, response.get_json()
    submitted = response.get_json()
    assert submitted["status"] == "submitted"
    figure = submitted["figures"][index]
    assert (figure["ledger_g"], figure["declared_g"], figure["comment"]) == (4_600_000, 4 * TONNE, "0.6 t 退回，待复核")
    [difference] = submitted["differences"]
    assert difference["text"] == "900-249-08: declared 4.0 t transferred out, ledger 4.6 t"


def test_a_ledger_event_after_prefill_is_flagged_at_submission(history):
    gen, batch, carrier, staff = history
    declaration = services.create_declaration(staff, gen.org, "monthly", MONTH)
    append_event(batch, "treated", actor=None, organisation=gen.org, quantity_g=250_000, data={"method": "R9"})
    services.submit_declaration(staff, declaration)
    db.session.commit()
    assert declaration.differences == [{"waste_code": "900-249-08", "figure": "treated", "declared_g": 0,
                                        "ledger_g": 250_000}]
    assert services.difference_text(declaration.differences[0]) == (
        "900-249-08: declared 0.0 t utilised or treated on site, ledger 0.25 t")


# --- review ---------------------------------------------------------------------------------------

def test_return_with_reason_then_resubmit_and_accept(app, client, history, factory):
    gen, _batch, _carrier, staff = history
    regulator = factory.regulator(jurisdiction="411282")
    enterprise = factory.token(staff, gen.org)
    reviewer = factory.token(regulator)
    declaration_id = api(client, enterprise, "POST", "/declarations", {"kind": "monthly", "period": MONTH}).get_json()["id"]
    assert api(client, reviewer, "POST", f"/declarations/{declaration_id}/review",
               {"decision": "accept"}).status_code == 404  # a draft is not the regulator's yet
    api(client, enterprise, "POST", f"/declarations/{declaration_id}/submit", {})

    response = api(client, reviewer, "POST", f"/declarations/{declaration_id}/review", {"decision": "return"})
    assert response.status_code == 422 and "reason" in response.get_json()["error"]["fields"]
    response = api(client, enterprise, "POST", f"/declarations/{declaration_id}/review", {"decision": "accept"})
    assert response.status_code == 403
    response = api(client, reviewer, "POST", f"/declarations/{declaration_id}/review",
                   {"decision": "return", "reason": "请补充转移联单编号"})
    assert response.get_json()["status"] == "returned"

    login_as(client, staff)
    page = client.get(f"/declarations/{declaration_id}").get_data(as_text=True)
    assert "请补充转移联单编号" in page
    response = api(client, reviewer, "POST", f"/declarations/{declaration_id}/review", {"decision": "accept"})
    assert response.status_code == 409
    assert api(client, enterprise, "POST", f"/declarations/{declaration_id}/submit",
               {"note": "已补充"}).get_json()["status"] == "submitted"
    response = api(client, reviewer, "POST", f"/declarations/{declaration_id}/review", {"decision": "accept"})
    assert response.get_json()["status"] == "accepted" and response.get_json()["return_reason"] is None
    assert api(client, enterprise, "POST", f"/declarations/{declaration_id}/submit", {}).status_code == 409


def test_review_through_the_pages(app, client, history, factory):
    gen, _batch, _carrier, staff = history
    declaration = services.create_declaration(staff, gen.org, "monthly", MONTH)
    services.submit_declaration(staff, declaration)
    db.session.commit()
    declaration_id = declaration.id
    login_as(client, factory.regulator(jurisdiction="411282"))
    queue = client.get(f"/declarations/queue?period={MONTH}&status=submitted&district=411282")
    assert queue.status_code == 200 and gen.org.name in queue.get_data(as_text=True)
    assert client.get("/declarations/queue?period=2025-13").status_code == 422
    response = client.post(f"/declarations/{declaration_id}/review", data={"decision": "return", "reason": ""})
    assert response.status_code == 422 and "Give the reason" in response.get_data(as_text=True)
    response = client.post(f"/declarations/{declaration_id}/review",
                           data={"decision": "return", "reason": "数字有误"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Declaration, declaration_id).return_reason == "数字有误"


def test_the_enterprise_edits_and_submits_through_the_form(app, client, history):
    gen, _batch, _carrier, staff = history
    login_as(client, staff)
    response = client.post("/declarations/new", data={"kind": "monthly", "period": MONTH})
    assert response.status_code == 302
    declaration_id = db.session.scalar(select(Declaration.id))
    page = client.get(f"/declarations/{declaration_id}/edit").get_data(as_text=True)
    assert "900-249-08" in page
    declaration = db.session.get(Declaration, declaration_id)
    data = {"note": ""}
    for i, f in enumerate(declaration.figures):
        data |= {f"figures-{i}-waste_code": f.waste_code, f"figures-{i}-figure": f.figure,
                 f"figures-{i}-declared_kg": str(f.declared_g / 1000), f"figures-{i}-comment": ""}
        if f.figure == "transferred_out":
            data[f"figures-{i}-declared_kg"] = "4000"
            edited = i
    response = client.post(f"/declarations/{declaration_id}/edit", data={**data, "submit": "1"})
    assert response.status_code == 422 and "Say why" in response.get_data(as_text=True)
    data[f"figures-{edited}-comment"] = "磅单为准"
    response = client.post(f"/declarations/{declaration_id}/edit", data={**data, "submit": "1"})
    assert response.status_code == 302
    page = client.get(f"/declarations/{declaration_id}").get_data(as_text=True)
    assert "900-249-08: declared 4.0 t transferred out, ledger 4.6 t" in page
    assert client.post("/declarations/new", data={"kind": "monthly", "period": MONTH}).status_code == 422


# --- permissions and bad input --------------------------------------------------------------------

def test_other_districts_and_enterprises_get_404(app, client, history, factory):
    gen, _batch, _carrier, staff = history
    declaration = services.create_declaration(staff, gen.org, "monthly", MONTH)
    services.submit_declaration(staff, declaration)
    db.session.commit()
    path = f"/declarations/{declaration.id}"
    other_regulator = factory.regulator(jurisdiction="411224")
    other_user = factory.user()
    other_org = factory.org(admin=other_user, district="411282", is_generator=True)
    for user, org in ((other_regulator, None), (other_user, other_org)):
        token = factory.token(user, org)
        assert api(client, token, "GET", path).status_code == 404
        assert api(client, token, "POST", f"{path}/review", {"decision": "accept"}).status_code == 404
        assert api(client, token, "POST", f"{path}/submit", {}).status_code == 404
        assert api(client, token, "GET", "/declarations").get_json()["total"] == 0
        login_as(client, user)
        assert client.get(path).status_code == 404
    city = factory.token(factory.regulator(jurisdiction="411200"))
    assert api(client, city, "GET", path).status_code == 200


def test_drivers_do_not_file_declarations(app, client, history, factory):
    gen, _batch, _carrier, _staff = history
    driver = factory.member(gen.org, role=Role.DRIVER)
    token = factory.token(driver, gen.org)
    assert api(client, token, "POST", "/declarations", {"kind": "monthly", "period": MONTH}).status_code == 403
    login_as(client, driver)
    assert client.get("/declarations/new").status_code == 403


@pytest.mark.parametrize(("body", "field", "status"), [
    ({"kind": "weekly", "period": MONTH}, "kind", 422),
    ({"kind": "monthly", "period": "2025-13"}, "period", 422),
    ({"kind": "monthly", "period": 202505}, "period", 400),
    ({"kind": "annual", "period": "2999"}, "period", 422),
    ({"period": MONTH}, "kind", 422),
])
def test_bad_input_names_the_field(app, client, history, factory, body, field, status):
    gen, _batch, _carrier, staff = history
    response = api(client, factory.token(staff, gen.org), "POST", "/declarations", body)
    assert response.status_code == status
    assert field in response.get_json()["error"]["fields"]
    assert db.session.scalar(select(Declaration.id)) is None


def test_bad_figures_change_nothing(app, client, history, factory):
    gen, _batch, _carrier, staff = history
    token = factory.token(staff, gen.org)
    declaration_id = api(client, token, "POST", "/declarations", {"kind": "monthly", "period": MONTH}).get_json()["id"]
    for figures, field in (([{"waste_code": "900-249-08", "figure": "generated", "declared_g": -1, "comment": "x"}],
                            "figures[0].declared_g"),
                           ([{"waste_code": "900-000-00", "figure": "generated", "declared_g": 1}], "figures[0]"),
                           ("lots", "figures")):
        response = api(client, token, "POST", f"/declarations/{declaration_id}/submit", {"figures": figures})
        assert response.status_code in (400, 422) and field in response.get_json()["error"]["fields"]
    body = api(client, token, "GET", f"/declarations/{declaration_id}").get_json()
    assert body["status"] == "draft" and all(f["declared_g"] == f["ledger_g"] for f in body["figures"])
    assert api(client, token, "GET", "/declarations?period=May").status_code == 422


def test_the_api_is_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/declarations"])
    assert "post" in paths["/declarations/{declaration_id}/review"]
