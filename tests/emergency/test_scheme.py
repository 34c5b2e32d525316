"""The drafted response scheme: facilities able to take each waste by distance, its hazards, the level."""
from decimal import Decimal

import pytest

from portal.emergency import incidents, services
from portal.extensions import db
from portal.regulatory.geo import haversine_m

from .conftest import TONNE, an_hour_ago

pytestmark = pytest.mark.usefixtures("ctx")


def _record(regulator, lat="34.732000", lon="111.160000", wastes=None, **extra):
    incident = incidents.record_incident(
        db.session.merge(regulator), title="含油抹布倾倒", event_type="illegal_dumping", lat=lat, lon=lon,
        reporter="群众电话", occurred_at=an_hour_ago(),
        wastes=wastes or [{"waste_code": "900-041-49", "estimated_g": 2 * TONNE}], **extra)
    db.session.commit()
    return incident


def test_scheme_lists_licensed_facilities_by_distance_and_the_hazards(city_regulator, licensed):
    far = licensed("远处处置公司", "34.520000", "110.870000", district="411282")  # 灵宝, ~30 km
    near = licensed("近处处置公司", "34.730000", "111.150000")  # the incident is ~1 km away
    middle = licensed("中间处置公司", "34.770000", "111.240000", scopes="900-041-49 D10 R9")  # 湖滨
    licensed("无关处置公司", "34.731000", "111.151000", scopes="HW08 R9")  # licensed, not for this code
    licensed("过期处置公司", "34.731500", "111.152000", valid=False)  # its licence expired
    incident = _record(city_regulator)

    scheme = incidents.draft_scheme(db.session.merge(city_regulator), incident)
    db.session.commit()

    waste = scheme.drafted["wastes"][0]
    assert waste["waste_code"] == "900-041-49"
    assert [f["name"] for f in waste["facilities"]] == [near.name, middle.name, far.name]
    distances = [f["distance_m"] for f in waste["facilities"]]
    assert distances == sorted(distances)
    assert distances[0] == round(haversine_m(34.732, 111.16, 34.73, 111.15))
    assert waste["facilities"][1]["methods"] == ["D10", "R9"]
    assert waste["facilities"][0]["remaining_g"] == 100 * TONNE
    assert waste["facilities"][0]["licence"].startswith("豫环许可危废字")
    # 900-041-49 is toxic and infectious in the 2021 catalogue
    assert waste["hazards"] == ["T", "In"]
    assert waste["hazard_names"] == ["Toxicity", "Infectivity"]


def test_guidance_of_the_knowledge_base_follows_each_hazard(city_regulator, licensed):
    regulator = db.session.merge(city_regulator)
    services.save_guidance(regulator, None, hazard="T", title="毒性废物", text="佩戴防毒面具，围堵防止进入水体。")
    services.save_guidance(regulator, None, waste_code="900-041-49", title="含油抹布", text="装袋密封，远离火源。")
    services.save_guidance(regulator, None, hazard="C", title="腐蚀性", text="不适用")
    incident = _record(city_regulator)
    scheme = incidents.draft_scheme(regulator, incident)
    titles = [g["title"] for g in scheme.drafted["wastes"][0]["guidance"]]
    assert titles == ["含油抹布", "毒性废物"]


def test_level_is_suggested_from_the_rules_and_missing_levels_are_named(city_regulator):
    services.load_event_rules()
    incident = _record(city_regulator, evacuated=6000, poisoned=2)
    level = incidents.suggest_level(incident)
    assert level["level"] == "III"
    assert level["reasons"] == [{"criterion": "evacuated", "value": 6000, "min_value": 5000, "level": "III"}]
    assert level["missing_levels"] == ["IV"]  # the 一般 criteria are not in the material: the city enters them
    assert incidents.suggest_level(_record(city_regulator))["level"] is None


def test_resources_places_plans_and_similar_incidents(city_regulator, factory):
    regulator = db.session.merge(city_regulator)
    services.register_resource(regulator, kind="store", name="陕州区应急物资库", lat="34.740000", lon="111.150000")
    services.register_resource(regulator, kind="team", name="市危废应急队", lat="34.770000", lon="111.190000")
    services.register_place(regulator, kind="school", name="大营镇中学", lat="34.735000", lon="111.160000")
    services.register_place(regulator, kind="water_source", name="远处水源地", lat="34.530000", lon="110.880000")
    services.load_templates()
    city_plan = services.create_plan(regulator, "city", title="三门峡市突发环境事件应急预案",
                                     response_levels=["III", "IV"])
    db.session.commit()
    city_plan.sections = {s["key"]: "内容" for s in city_plan.template.sections}
    services.take_action(regulator, city_plan, "submit")
    services.take_action(regulator, city_plan, "file", filing_number="三环应备〔2026〕1号")
    earlier = _record(city_regulator)
    incidents.close_incident(regulator, earlier, "已清理，移交处置。")
    incident = _record(city_regulator)
    facts = incidents.draft_scheme(regulator, incident).drafted
    assert [r["name"] for r in facts["resources"]] == ["陕州区应急物资库", "市危废应急队"]
    assert [p["name"] for p in facts["places"]] == ["大营镇中学"]  # within the 5 km radius only
    assert [p["title"] for p in facts["plans"]] == ["三门峡市突发环境事件应急预案"]
    assert [s["id"] for s in facts["similar"]] == [earlier.id]


def test_bounding_box_holds_the_radius():
    south, north, west, east = incidents.bounding_box(34.7, 111.2, 10_000)
    assert haversine_m(34.7, 111.2, float(north), 111.2) == pytest.approx(10_000, rel=1e-6)
    assert haversine_m(34.7, 111.2, 34.7, float(east)) == pytest.approx(10_000, rel=1e-3)
    assert south < Decimal("34.7") < north and west < Decimal("111.2") < east


def test_place_outside_the_city_is_refused_with_the_field(city_regulator):
    from portal.errors import DomainError
    with pytest.raises(DomainError) as refused:
        _record(city_regulator, lat="39.9", lon="116.4")
    assert "lat" in refused.value.fields


def test_issuing_notifies_the_named_and_opens_a_case_per_department(city_regulator, factory):
    from sqlalchemy import select

    from portal.coordination.models import Case
    from portal.outbox import OutboxMessage

    police = factory.regulator(jurisdiction="411200", department="police", email="police@example.cn")
    generator = factory.org(name="倾倒企业", district="411203")
    db.session.merge(generator).contact_email = "boss@example.cn"
    regulator = db.session.merge(city_regulator)
    incident = _record(city_regulator, organisation_id=generator.id)
    incidents.draft_scheme(regulator, incident)
    with pytest.raises(Exception) as refused:
        incidents.issue_scheme(regulator, incident)  # nothing written yet
    assert "instructions" in refused.value.fields
    scheme = incidents.edit_scheme(regulator, incident, response_level="IV", instructions="封控现场，转运至持证单位。",
                                   departments=["ecology", "police"], organisation_ids=[generator.id])
    incidents.issue_scheme(regulator, incident)
    db.session.commit()
    assert scheme.version == 2 and scheme.status == "issued" and incident.schemes[0].status == "superseded"
    recipients = set(db.session.scalars(select(OutboxMessage.recipient)))
    assert {"city.reg@example.cn", police.email, "boss@example.cn"} <= recipients
    cases = db.session.scalars(select(Case).where(Case.source == "emergency")).all()
    assert sorted(str(c.lead_department) for c in cases) == ["ecology", "police"]
    assert [e.kind for e in incident.events] == ["recorded", "drafted", "edited", "issued"]


def test_admins_enter_the_grading_tables_and_plans_are_graded_by_them(factory):
    from portal.errors import DomainError

    admin = db.session.merge(factory.user(admin=True))
    services.load_event_rules()
    risk, events = services.rules_text()
    assert "Ⅲ E 5000" in events and risk == ""
    assert services.grade_risk(Decimal("5"), 30, "E2") is None  # the matrix is missing until entered
    with pytest.raises(DomainError) as refused:
        services.replace_risk_rules(admin, "E2 1 10 25 45 larger")
    assert "risk_rules" in refused.value.fields
    services.replace_risk_rules(admin, "E2 1 10 25 45 较大\nE2 10 - 45 - 重大")
    services.replace_event_rules(admin, events + "\nⅣ D 1 本市补充")
    assert services.grade_risk(Decimal("5"), 30, "E2") == "larger"
    assert services.grade_risk(Decimal("50"), 60, "E2") == "major"
    assert services.grade_risk(Decimal("0.5"), 30, "E2") is None


def test_revision_reminder_goes_once_to_the_enterprise(factory, city_regulator):
    from datetime import timedelta

    from sqlalchemy import select

    from portal.clock import china_today
    from portal.outbox import OutboxMessage

    owner = factory.user(email="owner@example.cn")
    org = db.session.merge(factory.org(admin=owner, district="411203"))
    services.load_templates()
    plan = services.create_plan(db.session.merge(owner), "enterprise", organisation=org, title="预案",
                                risk_level="general", valid_until=china_today() + timedelta(days=30))
    plan.sections = {s["key"]: "内容" for s in plan.template.sections}
    services.take_action(db.session.merge(owner), plan, "submit")
    services.take_action(db.session.merge(city_regulator), plan, "file", filing_number="411203-1")
    assert services.revision_due(plan)
    assert services.send_revision_reminders() == 1 and services.send_revision_reminders() == 0
    assert db.session.scalars(select(OutboxMessage.recipient)).all() == ["owner@example.cn"]
