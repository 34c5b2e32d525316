"""Appending: append_events writes n events in two statements, keeps the session's objects right, refuses bad
input without writing, and invalidates the batch's public trace snapshot."""
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select

from portal import after_commit
from portal.errors import DomainError
from portal.extensions import db
from portal.regulatory.batches.models import Batch
from portal.regulatory.ledger.models import LedgerEvent
from portal.regulatory.ledger.services import append_event, append_events, events_for, verify_batch
from portal.regulatory.trace_snapshots import TraceSnapshot, build_on_read

from ..batches.helpers import make_batch, make_generator


class _Statements:
    """Counts the statements the app's engine executes inside the block."""

    def __enter__(self):
        self.count = 0
        event.listen(db.engine, "before_cursor_execute", self._seen)
        return self

    def _seen(self, *args):
        self.count += 1

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._seen)


def _weighed(gen, n, **extra):
    return [{"event_type": "weighed", "actor": gen.user, "organisation": gen.org, "quantity_g": 1000 + i,
             "place": "地磅1", "lat": "34.7723", "lon": 111.2001, "data": {"n": i}, **extra} for i in range(n)]


def test_append_events_continues_the_chain_in_order(ctx, factory):
    gen = make_generator(factory)
    batch = make_batch(gen, containers=1)
    head_seq = batch.ledger_head_seq
    events = append_events(batch, _weighed(gen, 3))
    assert [e.seq for e in events] == [head_seq + 1, head_seq + 2, head_seq + 3]
    assert [e.quantity_g for e in events] == [1000, 1001, 1002]
    assert batch.ledger_head_seq == head_seq + 3 and batch.ledger_head_hash == events[-1].hash
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    assert not db.session.dirty and not db.session.new  # nothing left for a flush to write
    db.session.commit()
    db.session.expire_all()
    stored = events_for(batch.id)[-3:]
    assert [(e.id, e.hash) for e in stored] == [(e.id, e.hash) for e in events]
    assert (batch.ledger_head_seq, batch.ledger_head_hash) == (head_seq + 3, events[-1].hash)
    assert verify_batch(batch.id) == []


def test_one_event_takes_two_statements(ctx, factory):
    gen = make_generator(factory)
    batch = make_batch(gen, containers=1)
    append_event(batch, "weighed", actor=gen.user, organisation=gen.org, quantity_g=5)
    with _Statements() as one:
        append_event(batch, "weighed", actor=gen.user, organisation=gen.org, quantity_g=7)
    with _Statements() as many:
        append_events(batch, _weighed(gen, 20))
    # SQLite: the head hash and the snapshot's delete on their own (no DML in a WITH there)
    expected = 2 if db.engine.dialect.name == "postgresql" else 4
    assert one.count == expected and many.count == expected
    db.session.commit()
    assert verify_batch(batch.id) == []


def test_appending_to_a_batch_loaded_before_a_commit_does_not_reload_it(ctx, factory):
    gen = make_generator(factory)
    batch = make_batch(gen, containers=1)
    user_id, org_id = gen.user.id, gen.org.id
    db.session.commit()  # expires the batch
    with _Statements() as counted:
        append_event(batch, "weighed", actor=user_id, organisation=org_id, quantity_g=1)
    assert counted.count <= 4  # head, insert (SQLite: head hash and snapshot delete): no SELECT of the batch


def test_bad_event_changes_nothing(ctx, factory):
    gen = make_generator(factory)
    batch = make_batch(gen, containers=1)
    head = (batch.ledger_head_seq, batch.ledger_head_hash)
    count = db.session.scalar(select(func.count()).select_from(LedgerEvent))
    with pytest.raises(DomainError):
        append_events(batch, [*_weighed(gen, 1), {"event_type": "teleported", "actor": gen.user,
                                                   "organisation": gen.org}])
    with pytest.raises(ValueError, match="data.x"):
        append_events(batch, _weighed(gen, 1, data={"x": 1.5}))
    with pytest.raises(ValueError, match="timezone"):
        append_event(batch, "weighed", actor=gen.user, organisation=gen.org, occurred_at=datetime.fromisoformat("2026-01-01T08:00"))  # noqa: DTZ001
    db.session.commit()
    db.session.expire_all()
    assert (batch.ledger_head_seq, batch.ledger_head_hash) == head
    assert db.session.scalar(select(func.count()).select_from(LedgerEvent)) == count


def test_empty_list_appends_nothing(ctx, factory):
    gen = make_generator(factory)
    batch = make_batch(gen, containers=1)
    assert append_events(batch, []) == []


def test_append_to_a_new_batch_flushes_it_first(ctx, factory):
    gen = make_generator(factory)
    template = make_batch(gen, containers=1)
    batch = Batch(organisation_id=gen.org.id, waste_code_id=template.waste_code_id, waste_code=template.waste_code,
                  quantity_g=1000, unit_label="kg", form="liquid", packaging="桶", hazards="T",
                  generated_on=template.generated_on)
    db.session.add(batch)
    event_ = append_event(batch, "generated", actor=gen.user, organisation=gen.org, quantity_g=1000,
                          occurred_at=datetime(2026, 12, 1, 8, tzinfo=UTC))
    assert event_.batch_id == batch.id and event_.seq == 1
    db.session.commit()
    assert verify_batch(batch.id) == []


def test_append_deletes_the_snapshot_and_the_next_public_read_builds_it(ctx, factory):
    gen = make_generator(factory)
    batch = make_batch(gen, containers=1)
    code = batch.containers[0].code
    assert build_on_read(code) and not build_on_read(code)  # built once: the second read finds it
    assert db.session.get(TraceSnapshot, batch.id) is not None
    append_event(batch, "weighed", actor=gen.user, organisation=gen.org, quantity_g=3)
    assert db.session.get(TraceSnapshot, batch.id) is None
    assert after_commit.pending() == []  # nothing waits for the commit: the ledger's path ends there
    db.session.commit()
    assert db.session.get(TraceSnapshot, batch.id) is None
    assert build_on_read(code)
    snapshot = db.session.get(TraceSnapshot, batch.id)
    assert snapshot is not None and snapshot.head_hash == batch.ledger_head_hash
