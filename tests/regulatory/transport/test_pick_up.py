"""Scenario: a hazardous manifest is picked up (and taken over) only with a recorded vehicle and driver whose
documents are valid that day, under a road transport licence covering the declared dangerous goods class."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Role
from portal.clock import china_today
from portal.errors import DomainError
from portal.extensions import db
from portal.regulatory.manifests import services as manifests
from portal.regulatory.manifests import signatures
from portal.regulatory.manifests.states import apply_action
from portal.regulatory.transport import services
from portal.regulatory.transport.models import TransportLicence, TransportWorker, Vehicle


def _vehicle(plate: str) -> Vehicle:
    return db.session.scalar(select(Vehicle).where(Vehicle.plate == plate))


def _submitted(p, *, dg_class=None, carriers=None):
    values = p.draft_values()
    lines = [{**line, "dangerous_goods_class": dg_class} for line in values.pop("lines")]
    manifest = manifests.create_manifest_draft(
        generator_org=p.generator, receiver_org=values.pop("receiver_id"), actor=p.generator_user,
        carriers=carriers or values.pop("carriers"), lines=lines,
        **{k: v for k, v in values.items() if k != "carriers"})
    apply_action(manifest, "submit", p.generator_user, p.generator)
    db.session.commit()
    return manifest


def _codes(p):
    return [c.code for c in p.batch.containers]


def _renew(vehicle: Vehicle, day) -> None:
    office = next(m.user for m in vehicle.organisation.memberships if m.role == Role.STAFF)
    values = {name: getattr(vehicle, name) for name in services.VEHICLE_FIELDS}
    services.save_vehicle(office, vehicle.organisation, {**values, "permit_valid_until": day}, vehicle)
    db.session.commit()


def test_legs_given_as_text_are_linked_to_the_carriers_records(parties):
    manifest = _submitted(parties)
    first, second = manifest.carriers
    assert first.vehicle.plate == "豫M12345" and first.driver.name == "张师傅" and first.escort.name == "李押运"
    assert second.vehicle.plate == "豫M67890" and second.driver.phone == "13800000002" and second.escort is None


def test_pick_up_refused_with_an_expired_permit_naming_it_and_its_expiry(parties):
    p = parties
    manifest = _submitted(p)
    vehicle = _vehicle("豫M12345")
    yesterday = china_today() - timedelta(days=1)
    _renew(vehicle, yesterday)
    with pytest.raises(DomainError) as refused:
        apply_action(manifest, "pick_up", p.driver1, p.carrier1, scanned=_codes(p))
    db.session.rollback()
    error = refused.value
    assert error.status == 422 and error.code == "transport_document_invalid"
    message = error.fields["carriers[0].vehicle_id"]
    assert vehicle.permit_number in message and yesterday.isoformat() in message and "道路运输证" in message
    assert db.session.get(type(manifest), manifest.id).state == "submitted"
    # renewed, the same manifest goes
    _renew(_vehicle("豫M12345"), china_today())
    apply_action(manifest, "pick_up", p.driver1, p.carrier1, scanned=_codes(p))
    assert manifest.state == "in_transit"


def test_pick_up_with_valid_records_seals_the_documents_checked(parties):
    p = parties
    manifest = _submitted(p, dg_class="9")
    signature = apply_action(manifest, "pick_up", p.driver1, p.carrier1, scanned=_codes(p))
    db.session.commit()
    sealed = signature.sealed["transport_documents"]
    vehicle = _vehicle("豫M12345")
    assert sealed["vehicle"] == {"id": vehicle.id, "plate": "豫M12345", "permit": vehicle.permit_number,
                                 "permit_valid_until": vehicle.permit_valid_until.isoformat()}
    assert sealed["driver"]["name"] == "张师傅" and sealed["escort"]["name"] == "李押运"
    assert sealed["classes_undeclared"] == [] and signatures.verdict(signature, manifest).status == "verified"


def test_take_over_checks_the_next_carriers_driver(parties):
    p = parties
    manifest = _submitted(p)
    apply_action(manifest, "pick_up", p.driver1, p.carrier1, scanned=_codes(p))
    db.session.commit()
    driver = db.session.scalar(select(TransportWorker).where(TransportWorker.phone == "13800000002"))
    driver.certificate_valid_until = china_today() - timedelta(days=3)  # as if the record had lapsed
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        apply_action(manifest, "hand_over", p.driver2, p.carrier2, scanned=_codes(p))
    db.session.rollback()
    assert "从业资格证" in refused.value.fields["carriers[1].driver_id"]
    assert driver.certificate_number in refused.value.message


def test_a_leg_without_records_cannot_be_picked_up(parties):
    p = parties
    carriers = [{"organisation_id": p.carrier1.id, "vehicle_plate": "豫M99999", "driver_name": "无记录",
                 "driver_phone": "13000000000"}]
    manifest = _submitted(p, carriers=carriers)
    assert manifest.carriers[0].vehicle_id is None
    with pytest.raises(DomainError) as refused:
        apply_action(manifest, "pick_up", p.driver1, p.carrier1, scanned=_codes(p))
    assert refused.value.code == "transport_record_missing" and "豫M99999" in refused.value.message


def test_the_licence_must_cover_a_declared_class(parties):
    p = parties
    manifest = _submitted(p, dg_class="6.1")  # the test carrier's licence covers class 9 only
    with pytest.raises(DomainError) as refused:
        apply_action(manifest, "pick_up", p.driver1, p.carrier1, scanned=_codes(p))
    db.session.rollback()
    licence = db.session.scalar(select(TransportLicence).where(TransportLicence.organisation_id == p.carrier1.id))
    assert licence.number in refused.value.message and "6.1" in refused.value.message


def test_an_undeclared_class_is_named_not_guessed(parties):
    p = parties
    manifest = _submitted(p)
    signature = apply_action(manifest, "pick_up", p.driver1, p.carrier1, scanned=_codes(p))
    assert signature.sealed["transport_documents"]["classes_undeclared"] == [0]


def test_a_leg_may_only_name_its_own_carriers_records(parties):
    p = parties
    values = p.draft_values()
    other = _vehicle("豫M67890")  # carrier2's
    values["carriers"][0] = {"organisation_id": p.carrier1.id, "vehicle_id": other.id}
    with pytest.raises(DomainError) as refused:
        manifests.create_manifest_draft(generator_org=p.generator, receiver_org=values.pop("receiver_id"),
                                        actor=p.generator_user, carriers=values.pop("carriers"),
                                        lines=values.pop("lines"), **values)
    assert "carriers[0].vehicle_id" in refused.value.fields
