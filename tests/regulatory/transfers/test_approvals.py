"""跨省转移审批: recorded by a regulator, required at submission when the receiver is in another province,
drawn down by each manifest (and given back by a cancellation)."""
import threading
from datetime import timedelta

import pytest
from flask_babel import force_locale

from portal.accounts.models import Organisation, User
from portal.clock import china_today
from portal.errors import Conflict, DomainError, Forbidden
from portal.extensions import db
from portal.regulatory.manifests.models import Manifest
from portal.regulatory.manifests.states import apply_action
from portal.regulatory.transfers import services
from tests.regulatory.manifests.conftest import record_licence

from .conftest import build_cross


def submit(cross, manifest):
    apply_action(manifest, "submit", cross.p.generator_user, cross.p.generator)
    db.session.commit()


def test_a_manifest_to_another_province_without_an_approval_is_refused_naming_line_and_code(cross):
    manifest = cross.draft()
    with pytest.raises(DomainError) as refused, force_locale("en"):
        submit(cross, manifest)
    db.session.rollback()
    assert refused.value.status == 422 and refused.value.code == "transfer_approval_missing"
    assert "lines[0].waste_code" in refused.value.fields
    assert "900-249-08" in refused.value.message and "Line 1" in refused.value.message
    assert db.session.get(Manifest, manifest.id).state == "draft"


def test_within_the_province_no_approval_is_needed(cross, factory):
    zhengzhou = factory.org(name="郑州危废处置有限公司", district="410102", is_receiver=True)
    record_licence(cross.city_regulator, zhengzhou)
    manifest = cross.draft(receiver=db.session.get(Organisation, zhengzhou.id))
    submit(cross, manifest)
    assert manifest.state == "submitted" and manifest.transfer_approval_id is None


def test_each_manifest_draws_the_approval_down_and_a_cancellation_gives_it_back(cross):
    approval = cross.approve("900-249-08 7t")
    first = cross.draft(lines=[{"container": c.code} for c in cross.p.batch.containers[:3]])  # 3 t
    submit(cross, first)
    assert first.transfer_approval_id == approval.id
    assert [(r.waste_code, r.remaining_g) for r in services.remaining(approval)] == [("900-249-08", 4_000_000)]
    # the other 2 t fit; then nothing is left for more
    second = cross.draft(lines=[{"container": c.code} for c in cross.p.batch.containers[3:]])
    submit(cross, second)
    assert services.remaining(approval)[0].remaining_g == 2_000_000
    apply_action(second, "cancel", cross.p.generator_user, cross.p.generator, reason="车辆故障")
    db.session.commit()
    assert services.remaining(approval)[0].remaining_g == 4_000_000


def test_a_manifest_beyond_what_is_left_is_refused(cross):
    cross.approve("900-249-08 4t")
    manifest = cross.draft()  # the whole 5 t batch
    with pytest.raises(DomainError) as refused, force_locale("en"):
        submit(cross, manifest)
    db.session.rollback()
    assert refused.value.code == "transfer_approval_exhausted" and "lines[0].waste_code" in refused.value.fields
    assert "4 t" in refused.value.message and "5 t" in refused.value.message


@pytest.mark.parametrize("case", ["expired", "not_yet", "other_code"])
def test_an_approval_that_is_not_valid_today_or_lacks_the_code_does_not_count(cross, case):
    today = china_today()
    if case == "expired":
        cross.approve(valid_from=today - timedelta(days=400), valid_until=today - timedelta(days=1))
    elif case == "not_yet":
        cross.approve(valid_from=today + timedelta(days=1), valid_until=today + timedelta(days=30))
    else:
        cross.approve("900-041-49 10t")
    with pytest.raises(DomainError) as refused:
        submit(cross, cross.draft())
    db.session.rollback()
    assert refused.value.code == "transfer_approval_missing"


def test_only_a_regulator_of_the_generators_district_records_an_approval(cross, factory):
    other_district = db.session.get(User, factory.regulator(jurisdiction="411202").id)
    with pytest.raises(Forbidden):
        cross.approve(regulator=other_district)
    db.session.rollback()
    with pytest.raises(Forbidden):
        cross.approve(regulator=cross.p.generator_user)
    db.session.rollback()
    assert cross.approve(regulator=cross.city_regulator).generator_org_id == cross.p.generator.id


def test_an_approval_within_the_province_or_twice_the_same_number_is_refused(cross, factory):
    local = factory.org(district="411203", is_receiver=True)
    with pytest.raises(DomainError) as refused:
        services.record_approval(cross.p.regulator, generator=cross.p.generator,
                                 receiver=db.session.get(Organisation, local.id), number="X-1",
                                 approving_authority="河南省生态环境厅", valid_from=china_today(),
                                 valid_until=china_today(), lines=[services.CodeQuantity("900-249-08", 1)])
    db.session.rollback()
    assert "receiver_id" in refused.value.fields
    cross.approve(number="X-2")
    with pytest.raises(Conflict):
        cross.approve(number="X-2")
    db.session.rollback()


@pytest.mark.parametrize(("text", "message"), [
    ("900-249-08", "quantity"), ("900-249-08 10", "quantity"), ("999-999-99 1t", "not in the hazardous"),
    ("SW05 1t", "not in the hazardous"), ("900-249-08 1t\n90024908 2t", "twice"), ("900-249-08 0t", "above zero"),
    ("900-249-08 0.0001kg", "whole number"), ("", "at least one"),
])
def test_quantity_lines_are_parsed_strictly(ctx, text, message):
    with pytest.raises(DomainError) as refused:
        services.parse_quantity_lines(text, "lines")
    assert message in refused.value.message and "lines" in refused.value.fields


def test_quantity_lines_in_tonnes_and_kilograms(ctx):
    rows = services.parse_quantity_lines("90024908 1.5t\n 900-041-49  1200 kg ", "lines")
    assert [(r.waste_code, r.grams) for r in rows] == [("900-249-08", 1_500_000), ("900-041-49", 1_200_000)]


def test_two_concurrent_submissions_beyond_the_approval_exactly_one_succeeds(app, factory):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises every writer on its file lock; the approval's row lock needs PostgreSQL")
        cross = build_cross(factory)
        cross.approve("900-249-08 4t")
        # 3 t and 2 t (containers of the 5 t batch): each fits the 4 t alone, not both
        containers = cross.p.batch.containers
        ids = [cross.draft(lines=[{"container": c.code} for c in containers[:3]]).id,
               cross.draft(lines=[{"container": c.code} for c in containers[3:]]).id]
        user_id, org_id = cross.p.generator_user.id, cross.p.generator.id
    barrier = threading.Barrier(2)
    outcomes = []

    def submit_one(manifest_id: int):
        barrier.wait(timeout=30)
        with app.app_context():
            try:
                manifest = db.session.get(Manifest, manifest_id)
                apply_action(manifest, "submit", db.session.get(User, user_id), db.session.get(Organisation, org_id))
                db.session.commit()
                outcomes.append("submitted")
            except DomainError as exc:
                db.session.rollback()
                outcomes.append(exc.code)

    threads = [threading.Thread(target=submit_one, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["submitted", "transfer_approval_exhausted"]
    with app.app_context():
        states = sorted(db.session.scalars(db.select(Manifest.state).where(Manifest.id.in_(ids))))
        assert states == ["draft", "submitted"]
