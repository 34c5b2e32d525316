"""open_case: the matrix names the lead department, the time limit the due date, and the source is idempotent."""
from datetime import UTC, datetime

import pytest

from portal.calendar.services import deadline
from portal.coordination import services
from portal.coordination.models import Status
from portal.errors import DomainError
from portal.extensions import db

LINGBAO = "411282"


def _open(**extra):
    values = {"case_type": "hotline", "source": "hotline", "source_ref": "12345-0001", "title": "路边堆放垃圾",
              "description": "市民来电反映路边有建筑垃圾", "district_code": LINGBAO, "urgency": "ordinary",
              "opened_by": None}
    return services.open_case(**{**values, **extra})


def test_matrix_names_the_lead_department_and_the_due_date_counts_working_days(ctx, factory):
    admin = factory.user(admin=True)
    services.load_default_time_limits()
    services.set_duty(db.session.merge(admin), "hotline", LINGBAO, "urban", ["housing", "urban"])
    case = _open()
    assert case.status == Status.DISPATCHED
    assert case.lead_department.value == "urban" and case.co_departments == ["housing"]
    assert case.due_at == deadline(case.dispatched_at, 5)
    assert case.number.endswith(f"{case.id:06d}")


def test_the_same_hotline_order_opens_one_case(ctx):
    services.load_default_time_limits()
    first = _open()
    assert _open(title="again").id == first.id


def test_without_a_matrix_row_the_case_waits_for_dispatch(ctx):
    case = _open()
    assert case.status == Status.RECEIVED and case.lead_department is None and case.due_at is None


def test_an_urgent_case_without_a_limit_has_no_due_date(ctx):
    services.load_default_time_limits()
    case = _open(urgency="urgent", lead_department="ecology")
    assert case.status == Status.DISPATCHED and case.due_at is None
    assert services.deadline_state(case, datetime(2030, 1, 1, tzinfo=UTC)) == "no_limit"


def test_bad_input_names_the_field(ctx):
    with pytest.raises(DomainError) as error:
        _open(district_code="110101", case_type="nonsense")
    assert set(error.value.fields) == {"district_code", "case_type"}


def test_the_demo_has_the_matrix_for_the_seven_departments_and_cases_in_every_state(ctx):
    from portal.accounts.models import Department
    from portal.coordination.models import Case
    from portal.demo import seed_demo

    seed_demo()
    leads_and_co = {rule.lead_department.value for rule in services.duty_matrix()} | {
        d for rule in services.duty_matrix() for d in rule.co_departments}
    assert leads_and_co == {d.value for d in Department}
    cases = db.session.scalars(db.select(Case)).all()
    assert {c.status for c in cases} == set(Status)
    assert any(e.action == "return" for c in cases for e in c.events)  # one returned
    assert any(c.escalated_at for c in cases)  # one supervised (督办)
    assert any(c.status == Status.RATED and c.rating for c in cases)  # one closed with a rating
    reports = [c for c in cases if c.source.value == "report"]
    assert reports and all(c.lead_department is not None for c in reports)
    assert seed_demo()["cases_created"] == 0


def test_an_alert_in_a_district_opens_a_case_once(ctx, factory):
    from portal.regulatory.alerts.services import raise_alert

    admin = db.session.merge(factory.user(admin=True))
    services.set_duty(admin, "hazardous_waste", None, "ecology", ["police"])
    alert = raise_alert("storage_over_year", "storage_over_year:test:1", message_key="Stored over a year.",
                        severity="critical", district_code=LINGBAO)
    case = services.existing_case("alert", str(alert.id))
    assert case.case_type.value == "hazardous_waste" and case.urgency.value == "urgent"
    assert case.lead_department.value == "ecology" and case.status == Status.DISPATCHED
    assert raise_alert("storage_over_year", "storage_over_year:test:1", message_key="x") is None
    city_wide = raise_alert("manifest_receipt_overdue", "m:2", message_key="x", district_code="411200")
    assert services.existing_case("alert", str(city_wide.id)) is None  # no district: the alert inbox only
