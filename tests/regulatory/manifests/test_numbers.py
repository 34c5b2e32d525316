"""Manifest numbers: 14 digits, allocated at submission, never duplicated and without gaps."""
import threading

import pytest

from portal.accounts.models import Organisation, User
from portal.extensions import db
from portal.regulatory.manifests import services
from portal.regulatory.manifests.models import Manifest
from portal.regulatory.manifests.states import apply_action
from tests.regulatory.batches.helpers import Generator, make_batch

from .conftest import build_parties

CONCURRENT = 24


def test_a_rolled_back_submission_gives_its_number_back(ctx):
    first = services.allocate_number()
    db.session.rollback()
    assert services.allocate_number() == first
    assert first[4:8] == "4112" and first.endswith("000001") and len(first) == 14


def _drafts(app, factory, n: int) -> tuple[list[int], int, int]:
    """n drafts, one container of a shared batch each, committed; returns their ids and the generator's."""
    with app.app_context():
        p = build_parties(factory)
        batch = make_batch(Generator(p.generator_user, p.generator, None, None), containers=n,
                           quantity=str(n * 10), unit="kg")
        ids = []
        for container in batch.containers:
            values = p.draft_values()
            m = services.create_manifest_draft(generator_org=p.generator, receiver_org=p.receiver,
                                               actor=p.generator_user, carriers=values["carriers"],
                                               lines=[{"container": container.code}],
                                               emergency_measures=values["emergency_measures"])
            db.session.flush()
            ids.append(m.id)
        db.session.commit()
        return ids, p.generator_user.id, p.generator.id


def test_concurrent_submissions_get_distinct_consecutive_numbers(app, factory):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises every writer on its file lock; row locks need PostgreSQL")
    ids, user_id, org_id = _drafts(app, factory, CONCURRENT)
    barrier = threading.Barrier(CONCURRENT)
    errors = []

    def submit(manifest_id: int):
        barrier.wait(timeout=30)
        with app.app_context():  # each thread its own session and connection (the pool lends 15 at once)
            try:
                manifest = db.session.get(Manifest, manifest_id)
                user, org = db.session.get(User, user_id), db.session.get(Organisation, org_id)
                apply_action(manifest, "submit", user, org)
                db.session.commit()
            except Exception as exc:  # reported below; a thread must not swallow a failure
                errors.append(repr(exc))
                db.session.rollback()

    threads = [threading.Thread(target=submit, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with app.app_context():
        numbers = sorted(db.session.scalars(db.select(Manifest.number)))
    serials = [int(n[-6:]) for n in numbers]
    assert len(set(numbers)) == CONCURRENT
    assert serials == list(range(1, CONCURRENT + 1))
