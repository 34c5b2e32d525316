"""Coordination meetings: scheduled with participants and a video link; decisions open cases."""
from datetime import timedelta

import pytest

from portal.coordination import meetings, services
from portal.coordination.models import Source, Status
from portal.errors import DomainError
from portal.extensions import db
from portal.types import utcnow
from tests.factories import login

LINGBAO = "411282"


def test_a_meeting_on_a_case_invites_and_its_decisions_open_cases(app, client, factory):
    admin = factory.user(admin=True)
    urban = factory.regulator(jurisdiction=LINGBAO, department="urban")
    police = factory.regulator(jurisdiction=LINGBAO, department="police")
    with app.test_request_context():
        case = services.open_case(case_type="illegal_dumping", source="manual", source_ref=None, title="桥下垃圾",
                                  description="多次反映", district_code=LINGBAO, opened_by=db.session.merge(admin),
                                  lead_department="urban", co_departments=["police"])
        db.session.commit()
        case_id = case.id
    login(client, admin)
    page = client.get(f"/cases/{case_id}/meetings/new").get_data(as_text=True)
    assert str(urban.id) in page and str(police.id) in page
    starts = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    app.config["VIDEO_CONFERENCE_URL"] = "https://meet.example.gov.cn/{room}"
    try:
        response = client.post(f"/cases/{case_id}/meetings/new", data={
            "title": "协调会", "starts_at": starts, "agenda": "明确分工", "participants": [urban.id, police.id]})
    finally:
        app.config["VIDEO_CONFERENCE_URL"] = None
    assert response.status_code == 302
    meeting_url = response.location
    login(client, police)
    invited = client.get(meeting_url)  # invited
    assert invited.status_code == 200 and "https://meet.example.gov.cn/wufei-meeting-" in invited.get_data(as_text=True)
    assert client.post(meeting_url, data={"minutes": "会议纪要"}).status_code == 403
    login(client, admin)
    bad = client.post(meeting_url, data={"minutes": "会议纪要", "decision_1": "公安调取监控"})
    assert bad.status_code == 422
    done = client.post(meeting_url, data={"minutes": "会议纪要", "decision_1": "公安调取监控", "department_1": "police"})
    assert done.status_code == 302
    with app.app_context():
        task = db.session.scalars(db.select(services.Case).where(services.Case.source == Source.MEETING)).one()
        assert task.lead_department.value == "police" and task.status == Status.DISPATCHED
        assert task.parent_id == case_id and task.description == "公安调取监控"


def test_a_meeting_needs_participants_and_a_future_time(ctx, factory):
    admin = db.session.merge(factory.user(admin=True))
    with pytest.raises(DomainError) as error:
        meetings.schedule_meeting(admin, title="会", starts_at=utcnow() - timedelta(hours=1), agenda="x", place=None,
                                  participant_ids=[admin.id])
    assert "starts_at" in error.value.fields
    with pytest.raises(DomainError) as error:
        meetings.schedule_meeting(admin, title="会", starts_at=utcnow() + timedelta(hours=1), agenda="x", place=None,
                                  participant_ids=[])
    assert "participants" in error.value.fields
