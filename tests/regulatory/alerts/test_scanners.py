"""Storage alerts are raised exactly once per finding, however often the scan runs."""
from datetime import timedelta

from sqlalchemy import func, select

from portal.clock import china_today
from portal.extensions import db
from portal.outbox import OutboxMessage
from portal.regulatory.alerts.models import Alert
from portal.regulatory.alerts.services import raise_alert, scan_all
from portal.regulatory.batches import services
from portal.types import utcnow

from ..batches.helpers import make_batch, make_generator


def _alerts(kind):
    return list(db.session.scalars(select(Alert).where(Alert.kind == kind).order_by(Alert.id)))


def test_hazardous_waste_kept_over_a_year_raises_exactly_one_alert(app, ctx, factory):
    gen = make_generator(factory)
    old = make_batch(gen, containers=1, generated_on=china_today() - timedelta(days=370)).containers[0]
    recent = make_batch(gen, containers=1, generated_on=china_today() - timedelta(days=300)).containers[0]
    services.store_container(old, gen.facility, actor=gen.user)
    services.store_container(recent, gen.facility, actor=gen.user)
    db.session.commit()
    runner = app.test_cli_runner()
    for _ in range(3):
        result = runner.invoke(args=["alerts", "scan"])
        assert result.exit_code == 0, result.output
    db.session.expire_all()
    alerts = _alerts("storage_over_year")
    assert len(alerts) == 1
    assert alerts[0].object_id == old.id and alerts[0].organisation_id == gen.org.id
    assert alerts[0].district_code == "411282" and alerts[0].severity == "critical"
    assert old.code in alerts[0].params["code"]
    # the organisation's admin is told once
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.recipient == gen.user.email)) == 1


def test_a_year_later_for_the_second_container_gives_its_own_alert(ctx, factory):
    gen = make_generator(factory)
    batch = make_batch(gen, containers=2, generated_on=china_today() - timedelta(days=300))
    for container in batch.containers:
        services.store_container(container, gen.facility, actor=gen.user)
    db.session.commit()
    assert scan_all(utcnow())["hazardous_storage_over_one_year"] == 0
    assert scan_all(utcnow() + timedelta(days=70))["hazardous_storage_over_one_year"] == 2
    assert scan_all(utcnow() + timedelta(days=90))["hazardous_storage_over_one_year"] == 0


def test_taking_waste_out_of_storage_does_not_stop_its_clock(ctx, factory):
    gen = make_generator(factory)
    container = make_batch(gen, containers=1, generated_on=china_today() - timedelta(days=400)).containers[0]
    services.store_container(container, gen.facility, actor=gen.user)
    services.retrieve_container(container, gen.facility, actor=gen.user)
    db.session.commit()
    assert scan_all()["hazardous_storage_over_one_year"] == 1


def test_ninety_percent_alert_once_per_crossing(ctx, factory):
    gen = make_generator(factory, capacity_g=1_000_000)
    first, second = make_batch(gen, containers=2, quantity="1000").containers
    services.store_container(first, gen.facility, actor=gen.user)
    db.session.commit()
    assert _alerts("facility_near_capacity") == []
    services.store_container(second, gen.facility, actor=gen.user)
    db.session.commit()
    assert len(_alerts("facility_near_capacity")) == 1
    assert scan_all()["facility_near_capacity"] == 0
    services.retrieve_container(second, gen.facility, actor=gen.user)
    db.session.commit()
    services.store_container(second, gen.facility, actor=gen.user)
    db.session.commit()
    alerts = _alerts("facility_near_capacity")
    assert [a.params["crossing"] for a in alerts] == [1, 2]
    assert alerts[0].params["used"] == "1 t" and alerts[0].params["declared"] == "1 t"


def test_raise_alert_is_idempotent_per_dedup_key(ctx, factory):
    org = factory.org()
    kwargs = dict(message_key="Test %(x)s", params={"x": 1}, organisation=org)
    assert raise_alert("test", "test:1", **kwargs) is not None
    assert raise_alert("test", "test:1", **kwargs) is None
    db.session.commit()
    assert len(_alerts("test")) == 1
