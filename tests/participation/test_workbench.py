"""The staff workbench: inbox scoping, the lifecycle, moderation, the public timeline, escalation."""
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from participation.reports import services
from participation.reports.models import Moderation, ReplyTemplate, Report, Status
from portal.accounts.models import Department, Regulator
from portal.errors import Conflict, DomainError
from portal.extensions import db
from portal.outbox import OutboxMessage
from portal.regulatory.alerts.models import Alert
from tests.factories import login
from tests.participation.helpers import HUBIN, LINGBAO, photo_bytes


def _officer(factory, department="urban", jurisdiction="411200", name="王警官", head=False):
    user = factory.regulator(jurisdiction=jurisdiction, department=department, name=name)
    if head:
        with factory.app.app_context():
            db.session.scalar(select(Regulator).where(Regulator.user_id == user.id)).is_head = True
            db.session.commit()
    return user


def test_inbox_shows_only_the_departments_reports_in_its_jurisdiction(client, factory, file_report):
    household, _ = file_report(category="household")  # urban, 湖滨区
    in_lingbao, _ = file_report(category="household", point=LINGBAO)  # urban, 灵宝市
    burning, _ = file_report(category="burning")  # ecology
    codes = household.tracking_code, in_lingbao.tracking_code, burning.tracking_code
    login(client, _officer(factory, jurisdiction="411202"))
    page = client.get("/staff/reports/").get_data(as_text=True)
    assert codes[0] in page and codes[1] not in page and codes[2] not in page
    assert client.get(f"/staff/reports/{in_lingbao.id}").status_code == 404
    assert client.get(f"/staff/reports/{burning.id}").status_code == 404
    assert "due-" in page  # every row carries its deadline class


def test_citizens_cannot_open_the_workbench(client, factory):
    login(client, factory.user())
    assert client.get("/staff/reports/").status_code == 403


def test_lifecycle_with_public_timeline_under_the_department_name(client, factory, file_report, app):
    report, secret = file_report(category="household", contact_phone="13800000000")
    officer = _officer(factory, name="李四officer")
    login(client, officer)

    def act(action, **data):
        files = data.pop("files", {})
        return client.post(f"/staff/reports/{report.id}/act", data={"action": action, **data, **files},
                           content_type="multipart/form-data", headers={"Accept-Language": "en"})

    assert act("accept").status_code == 302
    assert act("assign").status_code == 302
    assert act("start").status_code == 302
    refused = act("resolve", note="已清理")  # no after photo
    assert refused.status_code == 422 and "Required for this step" in refused.get_data(as_text=True)
    done = act("resolve", note="已清理完毕", files={"photo": (io.BytesIO(photo_bytes(HUBIN)), "after.jpg")})
    assert done.status_code == 302
    with app.app_context():
        stored = db.session.get(Report, report.id)
        assert stored.status == Status.RESOLVED and stored.closed_at is not None
        assert [p.kind for p in stored.photos] == ["report", "after"]
        sms = db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms")).all()
        assert len(sms) == 5  # received, accepted, assigned, started, resolved
    public = client.get(f"/reports/r/{report.tracking_code}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Urban Management Bureau" in public and "李四officer" not in public
    assert "13800000000" not in public

    # the reporter disputes with a new photo: the report reopens; then rates after a new resolution
    anonymous = factory.app.test_client()
    follow = f"/reports/f/{report.tracking_code}/{secret}"
    assert anonymous.post(follow + "/dispute", data={"note": "还在", "photo": (io.BytesIO(photo_bytes()), "p.jpg")},
                          content_type="multipart/form-data").status_code == 302
    with app.app_context():
        assert db.session.get(Report, report.id).status == Status.IN_PROGRESS
    act("resolve", note="二次清理", files={"photo": (io.BytesIO(photo_bytes()), "after2.jpg")})
    assert anonymous.post(follow + "/rate", data={"rating": "4"}).status_code == 302
    with app.app_context():
        assert db.session.get(Report, report.id).rating == 4
    assert anonymous.post(f"/reports/f/{report.tracking_code}/wrong/rate", data={"rating": "1"}).status_code == 404


def test_reject_needs_reason_and_duplicate_merges(ctx, factory, file_report):
    first, _ = file_report()
    second, _ = file_report()
    officer = db.session.merge(_officer(factory))
    with pytest.raises(DomainError) as refused:
        services.apply_action(second, "reject", "staff", user=officer)
    assert "note" in refused.value.fields
    # suggested as duplicates: same category within 250 m and 30 days
    assert [r.id for r in services.nearby_reports(second.category, second.lat, second.lon,
                                                  exclude_id=second.id)] == [first.id]
    services.apply_action(second, "duplicate", "staff", user=officer, duplicate_of=first.tracking_code)
    assert second.status == Status.DUPLICATE and second.duplicate_of_id == first.id
    with pytest.raises(Conflict):
        services.apply_action(second, "accept", "staff", user=officer)


def test_transfer_passes_the_report_to_another_department(ctx, factory, file_report):
    report, _ = file_report(category="other")
    officer = db.session.merge(_officer(factory))
    services.apply_action(report, "transfer", "staff", user=officer, department="ecology")
    assert report.department == Department.ECOLOGY and report.status == Status.SUBMITTED
    with pytest.raises(DomainError):
        services.apply_action(report, "accept", "staff", user=officer)  # no longer theirs


def test_moderation_before_public_and_resolved_places_rounded(client, factory, file_report, app):
    report, _ = file_report()
    code = report.tracking_code
    assert code not in client.get("/reports/").get_data(as_text=True)
    officer = _officer(factory)
    login(client, officer)
    client.post(f"/staff/reports/{report.id}/moderate", data={"decision": "public"})
    anonymous = app.test_client()
    assert code in anonymous.get("/reports/").get_data(as_text=True)
    feature = anonymous.get("/reports/map.json").json["features"][0]
    assert feature["geometry"]["coordinates"] == [float(HUBIN[1]), float(HUBIN[0])]
    assert "contact" not in str(feature)
    with app.app_context():
        stored = db.session.get(Report, report.id)
        stored.status = Status.RESOLVED
        db.session.commit()
    lon, lat = anonymous.get("/reports/map.json").json["features"][0]["geometry"]["coordinates"]
    assert (lat, lon) == (round(float(HUBIN[0]), 3), round(float(HUBIN[1]), 3))
    assert anonymous.get("/reports/map").status_code == 200


def test_bulk_accept_and_publish(client, factory, file_report, app):
    reports = [file_report()[0] for _ in range(3)]
    login(client, _officer(factory))
    ids = [str(r.id) for r in reports]
    client.post("/staff/reports/bulk", data={"action": "accept", "ids": ids})
    client.post("/staff/reports/bulk", data={"action": "publish", "ids": ids[:2]})
    with app.app_context():
        stored = db.session.scalars(select(Report).order_by(Report.id)).all()
        assert [r.status for r in stored] == [Status.ACCEPTED] * 3
        assert [r.moderation for r in stored] == [Moderation.PUBLIC, Moderation.PUBLIC, Moderation.PENDING]


def test_reply_template_fills_an_empty_note(client, factory, file_report, app):
    report, _ = file_report()
    with app.app_context():
        db.session.add(ReplyTemplate(department=Department.URBAN, title="不属实", body="经现场核查，未发现问题。"))
        db.session.commit()
        template_id = db.session.scalar(select(ReplyTemplate.id))
    login(client, _officer(factory))
    client.post(f"/staff/reports/{report.id}/act", data={"action": "reject", "template": str(template_id), "note": ""})
    with app.app_context():
        assert db.session.get(Report, report.id).status_note == "经现场核查，未发现问题。"


def test_overdue_reports_escalate_once_to_the_head(ctx, factory, file_report):
    head = _officer(factory, head=True)
    report, _ = file_report()
    later = report.accept_due + timedelta(minutes=1)
    assert services.escalate_overdue(later) == 1
    db.session.commit()
    assert services.escalate_overdue(later + timedelta(days=30)) == 0
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == head.email))
    alert = db.session.scalar(select(Alert).where(Alert.kind == "report_overdue"))
    assert alert.department == "urban" and alert.district_code == "411202"


def test_escalation_runs_in_the_alert_scan(ctx, file_report):
    from portal.regulatory.alerts.services import scan_all

    report, _ = file_report()
    assert scan_all(report.finish_due + timedelta(days=1))["report_escalation"] == 1


def test_admin_edits_routing_and_deadlines(client, factory, app):
    login(client, factory.user(admin=True))
    assert client.post("/staff/reports/settings/defaults").status_code == 302
    client.post("/staff/reports/settings/routes", data={"route-category": "burning", "route-district": "411282",
                                                        "route-department": "police"})
    client.post("/staff/reports/settings/deadlines/finish", data={"finish-stage": "finish", "finish-working_days": "5"})
    page = client.get("/staff/reports/settings", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Public Security Bureau" in page
    with app.app_context():
        assert services.route_report("burning", "411282") == Department.POLICE
        assert services.stage_days("finish") == 5


def test_hotspots_show_repeated_places(client, factory, file_report):
    for _ in range(3):
        file_report()
    login(client, _officer(factory))
    page = client.get("/staff/reports/hotspots").get_data(as_text=True)
    assert "<td class=\"num\">3</td>" in page
