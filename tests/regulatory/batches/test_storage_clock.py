"""The one-year storage clock is the waste's: it starts at generation, survives moves and merges, counts
containers never stored; storage places refuse intake beyond their declared capacity and warn at 90 %."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.clock import china_today
from portal.errors import DomainError
from portal.extensions import db
from portal.regulatory.alerts.models import Alert
from portal.regulatory.alerts.services import alert_message, scan_all
from portal.regulatory.batches import services, storage
from portal.regulatory.batches.models import Container

from .helpers import make_batch, make_generator


def _over_year():
    return list(db.session.scalars(select(Alert).where(Alert.kind == "storage_over_year").order_by(Alert.id)))


def _near_capacity():
    return list(db.session.scalars(select(Alert).where(Alert.kind == "facility_near_capacity").order_by(Alert.id)))


def _days_ago(days):
    return china_today() - timedelta(days=days)


def test_moves_between_storage_places_keep_the_clock_of_generation(ctx, factory):
    gen = make_generator(factory)
    second = services.create_facility(gen.org, gen.user, name="危废暂存间B", site_id=gen.site.id,
                                      capacity_g=5_000_000)
    container = make_batch(gen, containers=1, generated_on=_days_ago(370)).containers[0]
    services.store_container(container, gen.facility, actor=gen.user)
    services.retrieve_container(container, gen.facility, actor=gen.user)
    services.store_container(container, second, actor=gen.user)  # stored today, in another place
    db.session.commit()
    clock = storage.clock_of(container)
    assert clock.started_on == _days_ago(370) and clock.days_left(china_today()) < 0
    assert scan_all()["hazardous_storage_over_one_year"] == 1
    [alert] = _over_year()
    assert alert.object_id == container.id and alert.params["since"] == _days_ago(370).isoformat()
    assert "危废暂存间B" in alert_message(alert)
    assert scan_all()["hazardous_storage_over_one_year"] == 0  # once per finding


def test_a_merged_batch_keeps_the_oldest_generation_date(ctx, factory):
    gen = make_generator(factory)
    old = make_batch(gen, containers=1, generated_on=_days_ago(400)).containers[0]
    new = make_batch(gen, containers=1, generated_on=_days_ago(20)).containers[0]
    merged = services.merge_containers(gen.org, [old, new], actor=gen.user, site=gen.site)
    db.session.commit()
    assert merged.generated_on == china_today() and merged.clock_from == _days_ago(400)
    assert scan_all()["hazardous_storage_over_one_year"] == 1
    [alert] = _over_year()
    assert alert.object_id == merged.containers[0].id  # the sources are consumed; the merged container counts


def test_containers_never_put_into_storage_are_counted(ctx, factory):
    gen = make_generator(factory)
    batch = make_batch(gen, containers=2, generated_on=_days_ago(366))
    make_batch(gen, containers=1, generated_on=_days_ago(364))  # not yet a year
    db.session.commit()
    assert scan_all()["hazardous_storage_over_one_year"] == 2
    alerts = _over_year()
    assert {a.object_id for a in alerts} == {c.id for c in batch.containers}
    assert "without being put into storage" in alert_message(alerts[0]) or "未入库" in alert_message(alerts[0])


def test_a_year_to_the_day_is_not_yet_over(ctx, factory):
    gen = make_generator(factory)
    make_batch(gen, containers=1, generated_on=_days_ago(1))
    db.session.commit()
    now = db.session.scalar(select(Container)).created_at
    assert scan_all(now + timedelta(days=364))["hazardous_storage_over_one_year"] == 0
    assert scan_all(now + timedelta(days=367))["hazardous_storage_over_one_year"] == 1


def test_intake_beyond_the_declared_capacity_is_refused(ctx, factory):
    gen = make_generator(factory, capacity_g=1_000_000)  # 1 t
    first, second = make_batch(gen, containers=2, quantity="1200").containers  # 600 kg each
    services.store_container(first, gen.facility, actor=gen.user)
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        services.store_container(second, gen.facility, actor=gen.user)
    db.session.rollback()
    assert refused.value.status == 422 and refused.value.code == "over_capacity"
    assert "0.6 t" in refused.value.fields["facility"] and "1 t" in refused.value.fields["facility"]
    assert db.session.get(Container, second.id).status == "created"


def test_a_capacity_in_cubic_metres_needs_the_waste_volume(ctx, factory):
    gen = make_generator(factory)
    tank = services.create_facility(gen.org, gen.user, name="废液储罐", site_id=gen.site.id, capacity_unit="m3",
                                    capacity_l=1000)
    unknown = make_batch(gen, containers=1).containers[0]
    with pytest.raises(DomainError) as refused:
        services.store_container(unknown, tank, actor=gen.user)
    db.session.rollback()
    assert refused.value.code == "volume_unknown" and "facility" in refused.value.fields
    measured = make_batch(gen, containers=3, quantity="1500", volume="1.5")  # 0.5 m³ each
    services.store_container(measured.containers[0], tank, actor=gen.user)
    services.store_container(measured.containers[1], tank, actor=gen.user)
    db.session.commit()
    with pytest.raises(DomainError) as full:
        services.store_container(measured.containers[2], tank, actor=gen.user)
    db.session.rollback()
    assert full.value.code == "over_capacity" and "1 m³" in full.value.message
    usage = storage.facility_usage(tank)
    assert (usage.unit, usage.used, usage.declared, usage.percent) == ("m3", 1000, 1000, 100)


def test_reaching_ninety_percent_raises_one_alert_per_crossing(ctx, factory):
    gen = make_generator(factory, capacity_g=1_000_000)
    half, most, rest = make_batch(gen, containers=["500", "400", "50"], quantity="950").containers
    services.store_container(half, gen.facility, actor=gen.user)
    assert _near_capacity() == []
    services.store_container(most, gen.facility, actor=gen.user)  # 900 kg of 1 t: 90 %
    services.store_container(rest, gen.facility, actor=gen.user)  # still above: the same crossing
    db.session.commit()
    assert scan_all()["facility_near_capacity"] == 0
    [alert] = _near_capacity()
    assert alert.params["percent"] == 90 and alert.params["declared"] == "1 t"
    services.retrieve_container(most, gen.facility, actor=gen.user)  # 550 kg: the crossing ends
    services.store_container(most, gen.facility, actor=gen.user)  # 950 kg: a new crossing
    db.session.commit()
    alerts = _near_capacity()
    assert [a.params["crossing"] for a in alerts] == [1, 2]


def test_a_lowered_capacity_is_caught_by_the_scan(ctx, factory):
    gen = make_generator(factory, capacity_g=5_000_000)
    services.store_container(make_batch(gen, containers=1, quantity="950").containers[0], gen.facility,
                             actor=gen.user)
    services.update_facility(gen.facility, gen.user, capacity_g=1_000_000)
    db.session.commit()
    assert scan_all()["facility_near_capacity"] == 1
    assert scan_all()["facility_near_capacity"] == 0
