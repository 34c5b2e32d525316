"""The demo story of `wufei seed demo`: what a person who runs `make run` finds, created through the services."""
import pyotp
import pytest
from sqlalchemy import func, select

from participation.demo import REPORTS
from participation.reports.models import Moderation, Report, Status
from portal.accounts import services as accounts
from portal.clock import china_today
from portal.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo
from portal.extensions import db
from portal.regulatory.alerts.models import Alert
from portal.regulatory.alerts.services import alerts_visible_to
from portal.regulatory.batches import storage
from portal.regulatory.batches.models import Batch, Container, StorageFacility
from portal.regulatory.declarations.models import Declaration
from portal.regulatory.demo import BATCHES, GENERATOR, first_container_code
from portal.regulatory.licences.services import check_receipt
from portal.regulatory.manifests import signatures
from portal.regulatory.manifests.models import Manifest
from portal.regulatory.signing import services as signing
from portal.regulatory.trace import trace


def row_counts() -> dict:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def demo_org(key: str):
    from portal.accounts.models import Organisation
    from portal.demo import ORGANISATIONS

    uscc = next(spec.uscc for spec in ORGANISATIONS if spec.key == key)
    return db.session.scalar(select(Organisation).where(Organisation.uscc == uscc))


def batch_of(key: str) -> Batch:
    spec = next(s for s in BATCHES if s.key == key)
    code = first_container_code(spec, demo_org(GENERATOR))
    return db.session.scalar(select(Container).where(Container.code == code)).batch


def manifest_of(key: str) -> Manifest:
    return db.session.scalar(select(Manifest).where(Manifest.lines.any(batch_id=batch_of(key).id)))


@pytest.fixture
def seeded(ctx):
    summary = seed_demo()
    db.session.commit()
    return summary


def test_a_second_run_creates_nothing(seeded):
    first = row_counts()
    again = seed_demo()
    db.session.commit()
    assert row_counts() == first
    created = {name: number for name, number in again.items() if name.endswith("_created")}
    assert set(created.values()) == {0}
    for name in ("sites", "storage_facilities", "licences", "batches", "manifests", "declarations", "reports",
                 "management_plans"):
        assert seeded[f"{name}_created"] == seeded[name] == again[name] > 0, name
    assert first["ledger_events"] > 30 and first["report_photos"] == len(REPORTS) + 1


def test_the_demo_manifest_went_all_the_way_to_treatment(seeded):
    manifest = manifest_of("dust")
    assert manifest.state == "treated" and manifest.treatment_method == "R4"
    assert (manifest.total_g, manifest.received_total_g, manifest.treated_g) == (5_000_000, 4_600_000, 4_600_000)
    assert [s.action for s in manifest.signatures] == ["submit", "pick_up", "hand_over", "deliver", "receive", "treat"]
    assert len(manifest.carriers) == 2 and manifest.current_leg == 1
    assert {c.status for c in batch_of("dust").containers} == {"treated"}
    assert manifest_of("oil").state == "in_transit"
    assert {c.status for c in batch_of("oil").containers} == {"in_transit"}


def test_the_weight_mismatch_alert_is_raised_and_the_city_regulator_sees_it(seeded):
    manifest = manifest_of("dust")
    alert = db.session.scalar(select(Alert).where(Alert.kind == "manifest_weight_mismatch"))
    assert alert.object_id == manifest.id and alert.severity == "critical"
    assert alert.params["received_kg"] == "4600" and alert.params["shipped_kg"] == "5000"
    regulator = accounts.find_user("regulator@demo.wufei.cn")
    assert alert.id in db.session.scalars(alerts_visible_to(regulator).with_only_columns(Alert.id)).all()
    lingbao = accounts.find_user("regulator.lingbao@demo.wufei.cn")  # the receiver is in 陕州区
    assert alert.id not in db.session.scalars(alerts_visible_to(lingbao).with_only_columns(Alert.id)).all()


def test_the_regulator_finds_the_alert_in_the_inbox(app, client):
    with app.app_context():
        seed_demo()
        db.session.commit()
        number = db.session.scalar(select(Manifest.number).where(Manifest.state == "treated"))
    client.post("/accounts/login", data={"login": "regulator@demo.wufei.cn", "password": DEMO_PASSWORD})
    client.post("/accounts/totp", data={"code": pyotp.TOTP(DEMO_TOTP_SECRET).now()})
    page = client.get("/alerts?kind=manifest_weight_mismatch")
    assert page.status_code == 200
    assert number in page.get_data(as_text=True)


def test_the_storage_alert_appears_after_the_scan(app):
    with app.app_context():
        seed_demo()
        db.session.commit()
    runner = app.test_cli_runner()
    assert "hazardous_storage_over_one_year: 2" in runner.invoke(args=["alerts", "scan"]).output
    with app.app_context():
        alert, rags = db.session.scalars(select(Alert).where(Alert.kind == "storage_over_year").order_by(Alert.id))
        assert alert.params["waste_code"] == "321-032-48" and alert.params["since"] == "2025-08-07"
        # the merged rags keep the older batch's year, and were never put into storage
        assert rags.params["waste_code"] == "900-041-49" and rags.params["since"] == "2025-08-27"
        assert rags.params["facility"] == ""
        assert alert.district_code == "411282"  # the Lingbao regulator's inbox has it
        lingbao = accounts.find_user("regulator.lingbao@demo.wufei.cn")
        assert alert.id in db.session.scalars(alerts_visible_to(lingbao).with_only_columns(Alert.id)).all()
    assert "hazardous_storage_over_one_year: 0" in runner.invoke(args=["alerts", "scan"]).output


def test_the_ledger_verifies_after_seeding(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "ledger intact" in result.output


def test_the_first_container_traces_from_generation_to_treatment(seeded):
    container = batch_of("dust").containers[0]
    found = trace(container.code)
    assert found.intact and found.state == "treated"
    assert [s.event_type for s in found.public().steps] == [
        "generated", "split", "stored", "retrieved", "picked_up", "handed_over", "delivered", "received", "treated"]
    steps = {s.event_type: s for s in found.steps}
    assert steps["generated"].occurred_at.date().isoformat() == "2026-09-10"
    assert steps["treated"].method == "R4" and steps["treated"].manifest == manifest_of("dust").number
    assert steps["labelled"].container == container.code


def test_the_licence_covers_the_smelter_waste_and_counts_the_receipt(seeded):
    receiver, day = demo_org("hw_facility"), manifest_of("dust").received_at.date()
    for code in ("321-002-48", "900-249-08", "321-032-48"):
        assert check_receipt(receiver, code, 1_000_000, day).allowed, code
    assert not check_receipt(receiver, "841-001-01", 1_000, day).allowed  # medical waste is not in its scope


def test_the_september_declaration_is_a_draft_from_the_ledger(seeded):
    declaration = db.session.scalar(select(Declaration).where(Declaration.organisation_id == demo_org(GENERATOR).id))
    assert declaration.status == "draft" and declaration.period_label == "2026-09"
    assert declaration.figure("321-002-48", "generated").ledger_g == 5_000_000
    assert declaration.figure("321-032-48", "stock").ledger_g == 1_200_000


def test_public_reports_in_every_state(seeded):
    reports = db.session.scalars(select(Report)).all()
    assert {r.status for r in reports} == {Status.SUBMITTED, Status.ACCEPTED, Status.RESOLVED, Status.REJECTED}
    assert len({r.district_code for r in reports}) == len(REPORTS)
    (resolved,) = [r for r in reports if r.status == Status.RESOLVED]
    assert [p.kind for p in resolved.photos] == ["report", "after"]
    public = [r for r in reports if r.moderation == Moderation.PUBLIC]
    assert {r.status for r in public} == {Status.ACCEPTED, Status.RESOLVED, Status.REJECTED}


def test_the_public_sees_the_resolved_report_and_its_photo(app, client):
    with app.app_context():
        seed_demo()
        db.session.commit()
        resolved = db.session.scalar(select(Report).where(Report.status == Status.RESOLVED))
        code, after = resolved.tracking_code, resolved.photos[-1].id
    page = client.get(f"/reports/r/{code}")
    assert page.status_code == 200 and "河滩" in page.get_data(as_text=True)
    photo = client.get(f"/reports/photos/{after}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"


def test_demo_manifests_are_signed_with_real_keys_one_of_them_rotated(seeded):
    treated, in_transit = manifest_of("dust"), manifest_of("oil")
    for manifest in (treated, in_transit):
        assert {v.status for v in signatures.verdicts(manifest).values()} == {"verified"}
        assert {s.algorithm for s in manifest.signatures} == {"ed25519"}
    carrier_id = treated.carriers[0].organisation_id
    keys = db.session.scalars(signing.organisation_keys(carrier_id)).all()
    assert sorted(k.status for k in keys) == ["active", "retired"]
    pickup_then, pickup_now = treated.signatures[1], in_transit.signatures[1]
    assert pickup_then.signing_key.status == "retired" and pickup_now.signing_key.status == "active"


def test_the_storage_places_show_capacity_and_the_receivers_own_clock(seeded):
    facilities = {f.name: f for f in db.session.scalars(select(StorageFacility))}
    tank = storage.facility_usage(facilities["废液储罐（2 m³）"])
    assert (tank.unit, tank.used, tank.declared) == ("m3", 1800, 2000)
    cabinet = facilities["废油桶暂存柜（1 t）"]
    near = {a.object_id: a.params["percent"] for a in db.session.scalars(
        select(Alert).where(Alert.kind == "facility_near_capacity"))}
    assert near == {cabinet.id: 95, facilities["废液储罐（2 m³）"].id: 90}  # both raised at intake
    store = facilities["入场待检暂存库"]
    [clock] = {(c.started_on, c.received) for c in map(storage.clock_of, storage.stored_in(store))}
    assert clock == (china_today(), True) and store.organisation_id == demo_org("hw_facility").id


def test_the_demo_shows_a_hand_over_exception_and_a_weighbridge_gate_weight(seeded):
    dust = manifest_of("dust")
    gate = dust.gate_weighing
    assert gate.source == "device" and gate.device.kind == "weighbridge" and gate.net_g == 4_600_000
    assert dust.signatures[4].sealed["gate"]["weighing_id"] == gate.id and dust.gate_difference_g == -400_000
    rags = next(m for m in db.session.scalars(select(Manifest)) if m.scan_exceptions)
    assert rags.state == "handed_over"
    [exception] = rags.scan_exceptions
    assert exception.action == "hand_over" and "标签" in exception.reason
    alerts = db.session.scalars(select(Alert).where(Alert.kind == "manifest_scan_exception")).all()
    assert sorted(a.district_code for a in alerts) == sorted({rags.origin_district_code,
                                                              rags.destination_district_code})
    lingbao = accounts.find_user("regulator.lingbao@demo.wufei.cn")  # the origin's regulator sees its alert
    assert any(a.district_code == "411282" for a in db.session.scalars(alerts_visible_to(lingbao)))


def test_the_demo_shows_management_plans_and_a_manifest_outside_the_plan(seeded):
    from portal.clock import china_today
    from portal.regulatory.plans.models import ManagementPlan
    from portal.regulatory.plans.services import receiver_warnings

    assert seeded["management_plans_created"] == seeded["management_plans"] == 2
    plans = db.session.scalars(select(ManagementPlan).where(ManagementPlan.organisation_id == demo_org(GENERATOR).id)
                               .order_by(ManagementPlan.year)).all()
    year = china_today().year
    assert [(p.year, p.status) for p in plans] == [(year, "accepted"), (year + 1, "submitted")]
    assert receiver_warnings(manifest_of("dust")) == []  # to the receiver the plan names
    assert receiver_warnings(manifest_of("oil")) == [
        f"900-249-08 is not in the accepted management plan for {year}."]
