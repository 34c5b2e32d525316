"""Batches, containers, storage moves, stock, merges and corrections through the services."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.models import OrgStatus
from portal.clock import china_today
from portal.errors import Conflict, DomainError, Forbidden, NotFound
from portal.extensions import db
from portal.regulatory.batches import services
from portal.regulatory.batches.models import Batch, Container
from portal.regulatory.ledger.services import events_for, verify_batch

from .helpers import make_batch, make_generator


def test_generator_creates_900_249_08_batch_with_three_coded_containers(ctx, factory):
    gen = make_generator(factory)
    batch = make_batch(gen, containers=3, quantity="0.9", unit="t")
    assert batch.quantity_g == 900_000 and batch.waste_code == "900-249-08"
    assert batch.hazards == "T,I" and batch.stream == "hazardous"
    codes = [c.code for c in batch.containers]
    assert len(codes) == 3
    for seq, code in enumerate(codes, start=1):
        assert len(code) == 37 and code.isalnum()
        assert code.startswith(gen.org.uscc)
        assert code[18:26] == "90024908"
        assert code[26:34] == batch.generated_on.strftime("%Y%m%d")
        assert code.endswith(f"{seq:03d}")
    assert sum(c.quantity_g for c in batch.containers) == 900_000
    kinds = [e.event_type for e in events_for(batch.id)]
    assert kinds == ["generated", "split", "split", "split"]
    assert verify_batch(batch.id) == []


def test_sequence_continues_across_batches_of_same_code_and_day(ctx, factory):
    gen = make_generator(factory)
    first = make_batch(gen, containers=2)
    second = make_batch(gen, containers=["1.5", "2.5"], quantity="4")
    assert [c.sequence for c in first.containers] == [1, 2]
    assert [c.sequence for c in second.containers] == [3, 4]
    assert [c.quantity_g for c in second.containers] == [1500, 2500]


def test_code_round_trips_through_the_parser(ctx, factory):
    gen = make_generator(factory)
    code = make_batch(gen, containers=1).containers[0].code
    parts = services.parse_container_code(code)
    assert parts["uscc"] == gen.org.uscc and parts["waste_code"] == "90024908" and parts["seq"] == 1
    with pytest.raises(DomainError):
        services.parse_container_code(code[:-1])
    with pytest.raises(DomainError):
        services.parse_container_code("X" * 37)


@pytest.mark.parametrize("quantity, unit, expected", [("1.234567", "t", 1_234_567), ("0.001", "kg", 1),
                                                      ("12", "g", 12), (2.5, "kg", 2500)])
def test_quantities_convert_exactly_to_grams(quantity, unit, expected):
    assert services.to_grams(quantity, unit) == expected


@pytest.mark.parametrize("quantity, unit", [("0", "kg"), ("-1", "kg"), ("0.0001", "kg"), ("abc", "kg"),
                                            ("1", "lb"), ("NaN", "kg")])
def test_bad_quantities_are_refused(quantity, unit):
    with pytest.raises(DomainError):
        services.to_grams(quantity, unit)


def test_bad_batch_input_changes_nothing(ctx, factory):
    gen = make_generator(factory)
    cases = [dict(waste_code="999-999-99"), dict(quantity="0"), dict(quantity="-5"), dict(form="plasma"),
             dict(containers=0), dict(containers=["1", "1"]),
             dict(generated_on=china_today() + timedelta(days=3))]
    for case in cases:
        args = {"waste_code": "900-249-08", "quantity": "3", "unit": "kg", "form": "solid", "packaging": "桶",
                "site": gen.site, "containers": 1, **case}
        with pytest.raises(DomainError) as caught:
            services.create_batch(gen.org, gen.user, **args)
        assert caught.value.fields, case
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Batch)) == 0
    assert db.session.scalar(select(func.count()).select_from(Container)) == 0


def test_codes_without_dashes_are_accepted(ctx, factory):
    gen = make_generator(factory)
    assert make_batch(gen, code="90024908").waste_code == "900-249-08"


def test_unverified_and_foreign_organisations_cannot_create(ctx, factory):
    gen = make_generator(factory)
    outsider = factory.user()
    with pytest.raises(NotFound):
        services.create_batch(gen.org, outsider, "900-249-08", "1", "kg", "solid", "桶")
    gen.org.status = OrgStatus.PENDING
    db.session.commit()
    with pytest.raises(Forbidden):
        services.create_batch(gen.org, gen.user, "900-249-08", "1", "kg", "solid", "桶")


def test_store_retrieve_and_stock(ctx, factory):
    gen = make_generator(factory)
    batch = make_batch(gen, containers=3)
    first, second, _third = batch.containers
    services.store_container(first, gen.facility, actor=gen.user)
    services.store_container(second, gen.facility, actor=gen.user)
    db.session.commit()
    rows = db.session.execute(services.stock_query(organisation_id=gen.org.id)).all()
    assert [(r.facility_id, r.waste_code, r.containers, r.quantity_g) for r in rows] == [
        (gen.facility.id, "900-249-08", 2, 600_000)]
    services.retrieve_container(first, gen.facility, actor=gen.user)
    db.session.commit()
    assert services.facility_stock_g(gen.facility.id) == 300_000
    with pytest.raises(Conflict) as caught:  # retrieved twice: out of order, 409 naming what is possible
        services.retrieve_container(first, gen.facility, actor=gen.user)
    assert caught.value.fields == {"allowed_actions": "store", "state": "retrieved"}
    with pytest.raises(Conflict):
        services.store_container(second, gen.facility, actor=gen.user)
    assert [e.event_type for e in events_for(batch.id)][-3:] == ["stored", "stored", "retrieved"]
    assert verify_batch(batch.id) == []


def test_hazardous_waste_refused_by_a_facility_that_does_not_allow_it(ctx, factory):
    gen = make_generator(factory)
    plain = services.create_facility(gen.org, gen.user, name="一般固废库", site_id=gen.site.id, capacity_g=10**6,
                                     streams="industrial", hazardous_allowed=False)
    batch = make_batch(gen, containers=1)
    with pytest.raises(DomainError) as caught:
        services.store_container(batch.containers[0], plain, actor=gen.user)
    assert "facility" in caught.value.fields
    assert batch.containers[0].status == "created"


def test_merge_keeps_lineage_both_ways(ctx, factory):
    gen = make_generator(factory)
    a, b = make_batch(gen, containers=1, quantity="2"), make_batch(gen, containers=1, quantity="3")
    merged = services.merge_containers(gen.org, [a.containers[0], b.containers[0]], actor=gen.user)
    db.session.commit()
    assert merged.quantity_g == 5000 and len(merged.containers) == 1
    assert {s["container"] for s in services.lineage(merged)["sources"]} == {a.containers[0].code,
                                                                              b.containers[0].code}
    for source in (a, b):
        assert services.lineage(source)["targets"][0]["merged_into_batch"] == merged.id
        assert source.status == "merged"
        assert verify_batch(source.id) == []
    assert verify_batch(merged.id) == []


def test_merge_refuses_containers_held_elsewhere(ctx, factory):
    gen, other = make_generator(factory), make_generator(factory)
    a, b = make_batch(gen, containers=1), make_batch(other, containers=1)
    with pytest.raises(DomainError):
        services.merge_containers(gen.org, [a.containers[0], b.containers[0]], actor=gen.user)


def test_correction_is_a_new_event(ctx, factory):
    gen = make_generator(factory)
    batch = make_batch(gen, containers=1)
    before = [(e.id, e.hash) for e in events_for(batch.id)]
    event = services.correct_event(batch, 2, "称重有误", actor=gen.user, quantity_g=899_000)
    db.session.commit()
    assert event.event_type == "corrected" and event.data["corrects_seq"] == 2
    assert [(e.id, e.hash) for e in events_for(batch.id)][:-1] == before
    assert verify_batch(batch.id) == []
    with pytest.raises(DomainError):
        services.correct_event(batch, 2, "", actor=gen.user, quantity_g=1)
    with pytest.raises(DomainError):
        services.correct_event(batch, 99, "x", actor=gen.user, quantity_g=1)
