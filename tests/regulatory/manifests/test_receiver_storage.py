"""A receiver stores what it received in its own storage place, with its own one-year clock from receipt."""
from datetime import timedelta

from sqlalchemy import select

from portal.clock import china_today
from portal.extensions import db
from portal.regulatory.alerts.models import Alert
from portal.regulatory.alerts.services import scan_all
from portal.regulatory.batches import services as batches
from portal.regulatory.batches import storage
from portal.regulatory.manifests import services
from portal.regulatory.manifests.states import apply_action
from portal.types import utcnow


def _old_batch_on_a_manifest(p):
    batch = batches.create_batch(p.generator, p.generator_user, "900-249-08", "2", "t", "liquid", "铁桶",
                                 generated_on=china_today() - timedelta(days=300), containers=2)
    values = p.draft_values()
    values["lines"] = [{"batch_id": batch.id}]
    manifest = services.create_manifest_draft(
        generator_org=p.generator, receiver_org=values.pop("receiver_id"), actor=p.generator_user,
        carriers=values.pop("carriers"), lines=values.pop("lines"), **values)
    db.session.commit()
    codes = [c.code for c in batch.containers]
    apply_action(manifest, "submit", p.generator_user, p.generator)
    apply_action(manifest, "pick_up", p.driver1, p.carrier1, scanned=codes)
    apply_action(manifest, "hand_over", p.driver2, p.carrier2, scanned=codes)
    apply_action(manifest, "deliver", p.driver2, p.carrier2, scanned=codes)
    apply_action(manifest, "receive", p.receiver_user, p.receiver,
                 lines=[{"line_id": manifest.lines[0].id, "received_g": 2_000_000}],
                 gate_net_g=2_000_000, gate_ticket_no="T-1")
    db.session.commit()
    return batch, manifest


def test_received_waste_is_stored_by_the_receiver_with_a_clock_from_receipt(parties):
    p = parties
    batch, manifest = _old_batch_on_a_manifest(p)
    site = batches.create_site(p.receiver, p.receiver_user, name="处置厂", address="灵宝市工业园1号",
                               kind="treatment")
    db.session.flush()
    facility = batches.create_facility(p.receiver, p.receiver_user, name="入场贮存库", site_id=site.id,
                                       capacity_g=10_000_000)
    for container in batch.containers:
        event = batches.store_container(container, facility, actor=p.receiver_user)
        assert event.organisation_id == p.receiver.id
    db.session.commit()
    clock = storage.clock_of(batch.containers[0])
    assert clock.received and clock.started_on == china_today()
    assert storage.facility_usage(facility).used == 2_000_000
    # the generator's 300 days do not follow the waste into the receiver's storage
    assert scan_all(utcnow() + timedelta(days=100))["hazardous_storage_over_one_year"] == 0
    scan_all(utcnow() + timedelta(days=367))  # the parties' own batch, never shipped, is a year old too
    ours = [c.id for c in batch.containers]
    alerts = list(db.session.scalars(select(Alert).where(Alert.kind == "storage_over_year",
                                                         Alert.object_id.in_(ours))))
    assert len(alerts) == 2
    assert {a.organisation_id for a in alerts} == {p.receiver.id}
    assert all(a.dedup_key.endswith(f":received:{p.receiver.id}") for a in alerts)
    # treatment takes the waste out of storage
    apply_action(manifest, "treat", p.receiver_user, p.receiver, method="D10", quantity_g=2_000_000)
    db.session.commit()
    assert {(c.status, c.facility_id) for c in batch.containers} == {("treated", None)}


def test_the_generator_cannot_store_what_it_handed_over(parties):
    p = parties
    batch, _manifest = _old_batch_on_a_manifest(p)
    facility = p.generator.id and db.session.scalar(select(batches.StorageFacility).where(
        batches.StorageFacility.organisation_id == p.generator.id))
    try:
        batches.store_container(batch.containers[0], facility, actor=p.generator_user)
    except Exception as refused:  # noqa: BLE001 - the kind of refusal is asserted below
        assert getattr(refused, "status", None) in (403, 404, 422)
    else:
        raise AssertionError("the generator stored a container its receiver holds")
    db.session.rollback()
