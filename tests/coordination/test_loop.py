"""The case loop: a public report opens a case the duty matrix assigns, handled, closed and rated by the
citizen; returns, designation, escalation past the limit; the cases API."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Regulator
from portal.calendar.services import deadline
from portal.coordination import services
from portal.coordination.models import Case, CaseNotice, Status
from portal.errors import DomainError, Forbidden
from portal.extensions import db
from portal.outbox import OutboxMessage
from tests.factories import login
from tests.participation.helpers import LINGBAO

LINGBAO_CODE = "411282"


@pytest.fixture
def setup(app, factory):
    """The matrix: illegal dumping in 灵宝市 is led by urban management with ecology co-handling; the bundled
    time limits; an admin (the command centre), the urban bureau's head and officer in 灵宝市, an ecology officer."""
    admin = factory.user(admin=True, email="centre@example.cn")
    head = factory.regulator(jurisdiction=LINGBAO_CODE, department="urban", email="head@example.cn")
    officer = factory.regulator(jurisdiction=LINGBAO_CODE, department="urban", email="officer@example.cn")
    ecology = factory.regulator(jurisdiction=LINGBAO_CODE, department="ecology", email="eco@example.cn")
    police = factory.regulator(jurisdiction=LINGBAO_CODE, department="police", email="police@example.cn")
    with app.app_context():
        db.session.execute(Regulator.__table__.update().where(Regulator.user_id == head.id).values(is_head=True))
        services.load_default_time_limits()
        services.set_duty(db.session.merge(admin), "illegal_dumping", LINGBAO_CODE, "urban", ["ecology"])
        services.set_duty(db.session.merge(admin), "illegal_dumping", None, "housing", [])
        db.session.commit()
    return {"admin": admin, "head": head, "officer": officer, "ecology": ecology, "police": police}


def _case(app, case_id) -> Case:
    with app.app_context():
        case = db.session.get(Case, case_id)
        db.session.expunge(case)
        return case


def test_a_lingbao_dumping_report_opens_a_case_the_matrix_assigns_and_overdue_escalates(app, setup, file_report):
    report, _secret = file_report(category="construction", point=LINGBAO, contact_email="citizen@example.cn")
    with app.app_context():
        case = services.existing_case("report", report.tracking_code)
        assert case.case_type.value == "illegal_dumping" and case.district_code == LINGBAO_CODE
        assert case.status == Status.DISPATCHED
        assert case.lead_department.value == "urban" and case.co_departments == ["ecology"]
        assert report.department.value == "urban"  # the report follows the case's lead department
        assert case.due_at == deadline(case.dispatched_at, 5)  # 5 working days (安阳 第五十条)
        assert services.escalate_overdue(case.due_at - timedelta(minutes=1)) == 0
        assert services.escalate_overdue(case.due_at + timedelta(minutes=1)) == 1
        db.session.commit()
        case = db.session.get(Case, case.id)
        assert case.escalated_at is not None and case.events[-1].action == "escalate"
        notified = {n.user_id for n in db.session.scalars(select(CaseNotice).where(CaseNotice.case_id == case.id))}
        assert setup["head"].id in notified and setup["admin"].id in notified
        mails = db.session.scalars(select(OutboxMessage.recipient).where(
            OutboxMessage.subject.contains(case.number))).all()
        assert "head@example.cn" in mails
        assert services.escalate_overdue(case.due_at + timedelta(days=3)) == 0  # once


def test_the_loop_through_the_pages_and_the_citizens_rating(app, client, setup, file_report):
    report, secret = file_report(category="household", point=LINGBAO)
    with app.app_context():
        case_id = services.existing_case("report", report.tracking_code).id
    officer, ecology = setup["officer"], setup["ecology"]

    login(client, ecology)
    assert client.post(f"/cases/{case_id}/step/assign", data={"assignee": officer.id}).status_code == 403
    login(client, setup["head"])
    response = client.post(f"/cases/{case_id}/step/assign", data={"assignee": setup["police"].id})
    assert response.status_code == 422 and "lead department" in response.get_data(as_text=True)
    assert client.post(f"/cases/{case_id}/step/assign", data={"assignee": officer.id}).status_code == 302
    login(client, ecology)
    assert client.post(f"/cases/{case_id}/step/feedback", data={"note": "已核查周边企业"}).status_code == 302
    login(client, officer)
    assert client.post(f"/cases/{case_id}/step/reply", data={"note": ""}).status_code == 422
    assert client.post(f"/cases/{case_id}/step/reply", data={"note": "已清运"}).status_code == 302
    login(client, ecology)
    assert client.post(f"/cases/{case_id}/step/close").status_code == 403  # only the lead closes
    login(client, officer)
    assert client.post(f"/cases/{case_id}/step/close").status_code == 302
    assert _case(app, case_id).status == Status.CLOSED

    page = client.get(f"/reports/f/{report.tracking_code}/{secret}").get_data(as_text=True)
    assert "已清运" in page and 'action="/reports/f/' in page and "case_rate" in page
    assert client.post(f"/reports/f/{report.tracking_code}/{secret}/case_rate", data={"case-rating": "5"}).status_code == 302
    case = _case(app, case_id)
    assert case.status == Status.RATED and case.rating == 5
    assert client.get(f"/cases/{case_id}").status_code == 200


def test_a_return_goes_back_to_dispatch_and_the_designated_department_cannot_return(ctx, setup):
    admin, head = db.session.merge(setup["admin"]), db.session.merge(setup["head"])
    case = services.open_case(case_type="illegal_dumping", source="manual", source_ref=None, title="河道倾倒",
                              description="河道边倾倒建筑垃圾", district_code=LINGBAO_CODE, urgency="ordinary",
                              opened_by=admin)
    with pytest.raises(DomainError) as error:
        services.apply_action(case, "return", head, note="")
    assert "note" in error.value.fields
    services.apply_action(case, "return", head, note="属于住建部门职责")
    assert case.status == Status.RECEIVED and case.lead_department is None
    with pytest.raises(Forbidden):
        services.apply_action(case, "dispatch", head, department="urban")
    services.apply_action(case, "dispatch", admin, department="urban")
    assert case.status == Status.DISPATCHED and case.designated
    with pytest.raises(DomainError) as error:
        services.apply_action(case, "return", head, note="仍不属于")
    assert error.value.status == 422


def test_the_api_lists_what_the_user_may_see(app, client, setup):
    with app.app_context():
        admin = db.session.merge(setup["admin"])
        for n in range(3):
            services.open_case(case_type="illegal_dumping", source="hotline", source_ref=f"12345-{n}",
                               title=f"工单{n}", description="来电", district_code=LINGBAO_CODE, opened_by=admin)
        services.open_case(case_type="illegal_dumping", source="manual", source_ref=None, title="湖滨",
                           description="来电", district_code="411202", opened_by=admin)
        db.session.commit()
    from tests.factories import Factory

    token = Factory(app).token(setup["officer"])
    body = client.get("/api/v1/cases?page_size=2", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["total"] == 3 and len(body["items"]) == 2
    assert {i["department"] for i in body["items"]} == {"urban"} and all(i["due_at"] for i in body["items"])
    police = Factory(app).token(setup["police"])
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {police}"}).get_json()["total"] == 0
    centre = Factory(app).token(setup["admin"])
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {centre}"}).get_json()["total"] == 4
    bad = client.get("/api/v1/cases?department=nope", headers={"Authorization": f"Bearer {centre}"})
    assert bad.status_code == 422 and "department" in bad.get_json()["error"]["fields"]


def test_a_hotline_order_pushed_twice_opens_one_case(app, client, setup):
    from tests.factories import Factory

    token = Factory(app).token(setup["admin"])
    order = {"order_number": "SMX20261205-0007", "title": "夜间偷倒渣土", "description": "市民来电",
             "district_code": LINGBAO_CODE, "contact_phone": "13800000000"}
    headers = {"Authorization": f"Bearer {token}"}
    first = client.post("/api/v1/cases/hotline", json=order, headers=headers)
    again = client.post("/api/v1/cases/hotline", json=order, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.get_json()["id"] == again.get_json()["id"] and first.get_json()["source_ref"] == "SMX20261205-0007"
    officer = Factory(app).token(setup["officer"])
    assert client.post("/api/v1/cases/hotline", json=order, headers={"Authorization": f"Bearer {officer}"}
                       ).status_code == 404
