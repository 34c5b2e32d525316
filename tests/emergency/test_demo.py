"""The demo's emergency story, and the acceptance case on it: an incident with 900-041-49 near the demo's
licensed facility (豫西环保, 陕州区大营镇) drafts a scheme naming the licensed facilities by distance and the
hazards of the code."""
import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.coordination.models import Case
from portal.demo import seed_demo
from portal.emergency import incidents
from portal.emergency.models import EmergencyPlan, Incident
from portal.extensions import db

from .conftest import TONNE, an_hour_ago


@pytest.fixture
def seeded(ctx):
    summary = seed_demo()
    db.session.commit()
    return summary


def test_demo_has_filed_plans_and_an_issued_scheme(seeded):
    filed = {p.kind: p for p in db.session.scalars(select(EmergencyPlan).where(EmergencyPlan.status == "filed"))}
    assert {"enterprise", "district", "city"} <= set(filed)
    assert filed["enterprise"].organisation.name == "灵宝豫金冶炼有限公司" and filed["enterprise"].filing_number
    dumping = db.session.scalar(select(Incident).where(Incident.title == "大营镇路边倾倒含油抹布"))
    assert dumping.status == "issued" and dumping.current_scheme.status == "issued"
    assert db.session.scalar(select(func.count(Case.id)).where(Case.source == "emergency")) >= 2
    again = seed_demo()
    assert again["emergency_plans_created"] == 0 and again["emergency_incidents_created"] == 0
    assert again["emergency_reference_created"] == 0


def test_incident_with_oily_rags_near_the_demo_facility(seeded):
    regulator = db.session.scalar(select(User).where(User.email == "regulator@demo.wufei.cn"))
    incident = incidents.record_incident(
        regulator, title="产业园门口含油抹布", event_type="illegal_dumping", lat="34.728000", lon="111.155000",
        reporter="巡查", occurred_at=an_hour_ago(), wastes=[{"waste_code": "900-041-49", "estimated_g": TONNE}])
    facts = incidents.draft_scheme(regulator, incident).drafted
    waste = facts["wastes"][0]
    names = [f["name"] for f in waste["facilities"]]
    assert names[0] == "三门峡豫西环保科技有限公司"  # licensed for HW49 (D10), about 0.6 km away
    assert [f["distance_m"] for f in waste["facilities"]] == sorted(f["distance_m"] for f in waste["facilities"])
    assert waste["facilities"][0]["methods"] == ["D10"]
    assert waste["hazards"] == ["T", "In"]
    assert "含油抹布、包装物" in [g["title"] for g in waste["guidance"]]
    assert "大营镇第一初级中学" in [p["name"] for p in facts["places"]]
    assert "大营镇路边倾倒含油抹布" in [s["title"] for s in facts["similar"]]
