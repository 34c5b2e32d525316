"""The hash chain: `wufei ledger verify` passes an intact ledger and names every tampered event."""
from sqlalchemy import select, text

from portal.extensions import db
from portal.regulatory.ledger.models import GENESIS_HASH, LedgerEvent
from portal.regulatory.ledger.services import compute_hash, events_for, verify_all, verify_batch

from ..batches.helpers import make_batch, make_generator


def _verify(app):
    return app.test_cli_runner().invoke(args=["ledger", "verify"])


def _ledger(factory):
    gen = make_generator(factory)
    batch = make_batch(gen, containers=3)
    other = make_batch(gen, containers=1)
    return batch, other


def _ids(batch):
    return [e.id for e in events_for(batch.id)]


def test_chain_links_each_event_to_its_predecessor(ctx, factory):
    batch, _other = _ledger(factory)
    events = events_for(batch.id)
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
    assert batch.ledger_head_seq == 4 and batch.ledger_head_hash == events[-1].hash


def test_untouched_ledger_exits_zero(app, ctx, factory):
    _ledger(factory)
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "6 events" in result.output


def test_one_changed_byte_of_data_is_named_by_event_id(app, ctx, factory):
    batch, _other = _ledger(factory)
    target = _ids(batch)[0]
    statement = ("UPDATE ledger_events SET data = CAST(replace(CAST(data AS TEXT), :a, :b) AS JSON) WHERE id = :id"
                 if db.engine.dialect.name == "postgresql" else
                 "UPDATE ledger_events SET data = replace(data, :a, :b) WHERE id = :id")
    db.session.execute(text(statement), {"a": '"kg"', "b": '"kh"', "id": target})
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(LedgerEvent, target).data["unit"] == "kh"
    result = _verify(app)
    assert result.exit_code == 1
    assert f"event {target} " in result.output and "modified" in result.output
    assert [p.event_id for p in verify_all()] == [target]


def test_changed_quantity_column_is_detected(app, ctx, factory):
    batch, _other = _ledger(factory)
    target = _ids(batch)[2]
    db.session.execute(text("UPDATE ledger_events SET quantity_g = quantity_g + 1 WHERE id = :id"), {"id": target})
    db.session.commit()
    problems = verify_batch(batch.id)
    assert [(p.event_id, p.kind) for p in problems] == [(target, "modified")]


def test_deleted_middle_event_is_detected(app, ctx, factory):
    batch, _other = _ledger(factory)
    ids = _ids(batch)
    db.session.execute(text("DELETE FROM ledger_events WHERE id = :id"), {"id": ids[1]})
    db.session.commit()
    problems = verify_batch(batch.id)
    assert [(p.kind, p.seq, p.event_id) for p in problems] == [("deleted", 2, ids[2])]
    result = _verify(app)
    assert result.exit_code == 1 and "deleted" in result.output


def test_deleted_last_event_is_detected(app, ctx, factory):
    batch, _other = _ledger(factory)
    ids = _ids(batch)
    db.session.execute(text("DELETE FROM ledger_events WHERE id = :id"), {"id": ids[-1]})
    db.session.commit()
    problems = verify_batch(batch.id)
    assert [(p.kind, p.seq) for p in problems] == [("deleted", 4)]
    assert _verify(app).exit_code == 1


def test_all_events_of_a_batch_deleted_is_detected(app, ctx, factory):
    _batch, other = _ledger(factory)
    db.session.execute(text("DELETE FROM ledger_events WHERE batch_id = :id"), {"id": other.id})
    db.session.commit()
    assert [p.kind for p in verify_all()] == ["deleted"]


def test_swapped_seq_is_reported_as_reordered(app, ctx, factory):
    batch, _other = _ledger(factory)
    ids = _ids(batch)
    # three steps because unique(batch_id, seq) forbids a direct swap
    for seq, event_id in ((-1, ids[1]), (2, ids[2]), (3, ids[1])):
        db.session.execute(text("UPDATE ledger_events SET seq = :s WHERE id = :id"), {"s": seq, "id": event_id})
    db.session.commit()
    problems = verify_batch(batch.id)
    assert sorted((p.event_id, p.kind) for p in problems) == [(ids[1], "reordered"), (ids[2], "reordered")]
    result = _verify(app)
    assert result.exit_code == 1 and f"event {ids[1]} " in result.output and f"event {ids[2]} " in result.output


def test_rewritten_event_with_recomputed_hash_breaks_the_successor_link(app, ctx, factory):
    batch, _other = _ledger(factory)
    event = events_for(batch.id)[1]
    fields = {name: getattr(event, name) for name in ("batch_id", "seq", "event_type", "container_id",
                                                      "organisation_id", "actor_id", "occurred_at", "place",
                                                      "lat", "lon", "data", "prev_hash")}
    fields["quantity_g"] = event.quantity_g - 1000
    forged = compute_hash(fields)
    db.session.execute(text("UPDATE ledger_events SET quantity_g = :q, hash = :h WHERE id = :id"),
                       {"q": fields["quantity_g"], "h": forged, "id": event.id})
    db.session.commit()
    assert [(p.event_id, p.kind) for p in verify_batch(batch.id)] == [(event.id, "modified")]


def test_hash_survives_the_database_round_trip(ctx, factory):
    batch, _other = _ledger(factory)
    db.session.expire_all()
    for event in db.session.scalars(select(LedgerEvent)):
        fields = {c: getattr(event, c) for c in ("batch_id", "seq", "event_type", "container_id", "organisation_id",
                                                 "actor_id", "occurred_at", "place", "lat", "lon", "quantity_g",
                                                 "data", "prev_hash")}
        assert compute_hash(fields) == event.hash
