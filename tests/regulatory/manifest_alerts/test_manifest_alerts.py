"""The manifest alerts: each raised once however often the scan runs, counted in working days, with the
weight tolerance and treatment deadline configurable per stream, shown to every party and the regulator."""
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from portal.extensions import db
from portal.outbox import OutboxMessage
from portal.regulatory.alerts.models import Alert, AlertSetting
from portal.regulatory.alerts.services import scan_all
from portal.regulatory.alerts.settings import update_thresholds
from tests.factories import login
from tests.regulatory.manifest_alerts.helpers import TONNE, make_transfer

SHANGHAI = ZoneInfo("Asia/Shanghai")


def china(y, m, d, hh=10, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI).astimezone(UTC)


def alerts(kind: str) -> list[Alert]:
    return db.session.scalars(select(Alert).where(Alert.kind == kind).order_by(Alert.id)).all()


def scan(now: datetime) -> dict:
    result = scan_all(now)
    db.session.commit()
    return result


# --- receipt overdue -------------------------------------------------------------------------------

def test_receipt_overdue_counts_working_days_across_national_day(ctx, factory):
    # Delivered Tuesday 30 September 2025. 1–8 October are holidays and Saturday 11 October is worked:
    # the 5 working days are 9, 10, 11, 13 and 14 October.
    transfer = make_transfer(factory, state="delivered", delivered_at=china(2025, 9, 30))
    assert scan(china(2025, 10, 8, 23))["manifest_receipt_overdue"] == 0  # 5 weekdays would be over here
    assert scan(china(2025, 10, 14, 23, 59))["manifest_receipt_overdue"] == 0
    assert alerts("manifest_receipt_overdue") == []
    assert scan(china(2025, 10, 15, 0, 1))["manifest_receipt_overdue"] == 1
    for hours in (1, 30, 500):
        scan(china(2025, 10, 15, 0, 1) + timedelta(hours=hours))
    [alert] = alerts("manifest_receipt_overdue")
    assert (alert.object_type, alert.object_id) == ("manifest", transfer.manifest.id)
    assert alert.organisation_id == transfer.receiver.id and alert.district_code == "411202"
    assert alert.department == "ecology" and alert.severity == "warning"
    assert alert.params["due"] == "2025-10-14"


def test_received_manifest_is_not_overdue(ctx, factory):
    make_transfer(factory, state="received", delivered_at=china(2025, 9, 1), received_at=china(2025, 9, 2),
                  received_g=5 * TONNE)
    scan(china(2025, 12, 1))
    assert alerts("manifest_receipt_overdue") == []


# --- in transit longer than planned --------------------------------------------------------------

def test_transit_overdue_once_after_the_planned_day(ctx, factory):
    transfer = make_transfer(factory, state="in_transit", planned_delivery_on=date(2025, 6, 10))
    assert scan(china(2025, 6, 10, 23))["manifest_transit_overdue"] == 0
    assert scan(china(2025, 6, 11, 8))["manifest_transit_overdue"] == 1
    scan(china(2025, 6, 12))
    scan(china(2025, 6, 20))
    [alert] = alerts("manifest_transit_overdue")
    assert alert.organisation_id == transfer.carrier.id and alert.district_code == "411282"
    assert alert.params["planned"] == "2025-06-10"


def test_delivered_manifest_is_not_in_transit(ctx, factory):
    make_transfer(factory, state="delivered", delivered_at=china(2025, 6, 9), planned_delivery_on=date(2025, 6, 10))
    scan(china(2025, 6, 11))
    assert alerts("manifest_transit_overdue") == []


# --- weight mismatch -------------------------------------------------------------------------------

def test_weight_mismatch_written_behind_the_receipt_step_is_found_by_the_scan(ctx, factory):
    # the receipt step raises it at once (test_receipt_flow); rows changed without it are the scan's to find
    transfer = make_transfer(factory, state="delivered", delivered_at=china(2025, 6, 9))
    manifest = transfer.manifest
    manifest.state, manifest.received_at, manifest.receipt_outcome = "received", china(2025, 6, 9, 15), "accepted"
    manifest.lines[0].received_g, manifest.lines[0].refused_g = 4_600_000, 0
    db.session.commit()
    assert alerts("manifest_weight_mismatch") == []  # no commit hook works behind the services' back
    scan(china(2025, 6, 9, 16))
    [alert] = alerts("manifest_weight_mismatch")
    assert alert.severity == "critical" and alert.organisation_id == transfer.receiver.id
    assert alert.params["received_kg"] == "4600" and alert.params["shipped_kg"] == "5000"
    assert alert.params["difference"] == "-8.0"
    scan(china(2025, 6, 10))
    scan(china(2025, 6, 11))
    assert len(alerts("manifest_weight_mismatch")) == 1


def test_refused_weight_counts_as_accounted_for(ctx, factory):
    make_transfer(factory, state="partly_received", delivered_at=china(2025, 6, 9), received_at=china(2025, 6, 9, 15),
                  received_g=4 * TONNE, refused_g=1 * TONNE)
    scan(china(2025, 6, 10))
    assert alerts("manifest_weight_mismatch") == []


def test_weight_within_default_tolerance_raises_nothing(ctx, factory):
    make_transfer(factory, state="received", delivered_at=china(2025, 6, 9), received_at=china(2025, 6, 9, 15),
                  received_g=4_760_000)  # -4.8 %
    scan(china(2025, 6, 10))
    assert alerts("manifest_weight_mismatch") == []


def test_tolerance_is_configurable_per_stream(ctx, factory):
    admin = factory.user(admin=True)
    update_thresholds(admin, "industrial", weight_tolerance_bp=1000, treatment_due_days=20)
    db.session.commit()
    hazardous = make_transfer(factory, state="received", stream="hazardous", delivered_at=china(2025, 6, 9),
                              received_at=china(2025, 6, 9, 15), received_g=4_600_000, number="20254112000001")
    make_transfer(factory, state="received", stream="industrial", delivered_at=china(2025, 6, 9),
                  received_at=china(2025, 6, 9, 15), received_g=4_600_000, number="20254112000002")
    scan(china(2025, 6, 10))
    [alert] = alerts("manifest_weight_mismatch")
    assert alert.object_id == hazardous.manifest.id
    assert alert.params["tolerance"] == "5.00"


# --- treatment overdue -----------------------------------------------------------------------------

def test_treatment_overdue_after_the_streams_working_days(ctx, factory):
    admin = factory.user(admin=True)
    update_thresholds(admin, "hazardous", weight_tolerance_bp=500, treatment_due_days=3)
    db.session.commit()
    # received Friday 26 September 2025; working days 28 (a worked Sunday), 29 and 30 September
    make_transfer(factory, state="received", delivered_at=china(2025, 9, 26, 9), received_at=china(2025, 9, 26, 11),
                  received_g=5 * TONNE)
    assert scan(china(2025, 9, 30, 22))["manifest_treatment_overdue"] == 0
    assert scan(china(2025, 10, 1, 9))["manifest_treatment_overdue"] == 1
    scan(china(2025, 10, 2))
    [alert] = alerts("manifest_treatment_overdue")
    assert alert.params["due"] == "2025-09-30"


def test_treated_manifest_is_not_overdue(ctx, factory):
    make_transfer(factory, state="treated", delivered_at=china(2025, 6, 9), received_at=china(2025, 6, 9, 11),
                  received_g=5 * TONNE)
    scan(china(2026, 1, 1))
    assert alerts("manifest_treatment_overdue") == []


# --- the parties and the regulator see it -------------------------------------------------------

def test_every_party_sees_the_alert_and_its_admins_get_mail(app, client, factory):
    with app.test_request_context():
        transfer = make_transfer(factory, state="delivered", delivered_at=china(2025, 9, 30))
        scan(china(2025, 10, 20))
        recipients = set(db.session.scalars(select(OutboxMessage.recipient)))
        parties = (transfer.generator_user, transfer.carrier_user, transfer.receiver_user)
        assert {u.email for u in parties} <= recipients
        outsider = factory.user()
        factory.org(admin=outsider)
        viewers = [(u.id, True) for u in parties] + [
            (outsider.id, False), (factory.regulator(jurisdiction="411202").id, True),
            (factory.regulator(jurisdiction="411224").id, False)]
    for user_id, visible in viewers:
        login(client, SimpleNamespace(id=user_id))
        assert ("delivered on 2025-09-30" in client.get("/alerts").get_data(as_text=True)) is visible


# --- the settings page ------------------------------------------------------------------------------

def test_admin_edits_a_streams_thresholds(app, client, factory):
    admin = factory.user(admin=True)
    login(client, admin)
    assert "5.00 %" in client.get("/admin/alert-settings").get_data(as_text=True)
    response = client.post("/admin/alert-settings/medical", data={"weight_tolerance": "2.5",
                                                                  "treatment_due_days": "2"})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(AlertSetting, "medical")
        assert (row.weight_tolerance_bp, row.treatment_due_days) == (250, 2)


def test_bad_thresholds_are_refused_with_the_field_named(app, client, factory):
    login(client, factory.user(admin=True))
    response = client.post("/admin/alert-settings/hazardous", data={"weight_tolerance": "150",
                                                                    "treatment_due_days": "0"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "between 0 and 100" in page and "between 1 and 365" in page
    response = client.post("/admin/alert-settings/hazardous", data={"weight_tolerance": "abc",
                                                                    "treatment_due_days": "5"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AlertSetting)) == 0


def test_only_admins_reach_the_settings(client, factory):
    login(client, factory.regulator())
    assert client.get("/admin/alert-settings").status_code == 403
    assert client.post("/admin/alert-settings/hazardous",
                       data={"weight_tolerance": "9", "treatment_due_days": "5"}).status_code == 403
    login(client, factory.user(admin=True))
    assert client.get("/admin/alert-settings/nuclear").status_code == 404
