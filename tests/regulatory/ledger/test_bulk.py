"""The bulk path: a JSON-lines replay checked line by line (nothing written on error), appended with COPY on
PostgreSQL and an executemany elsewhere, chains intact; and concurrent writers on one batch keep the chain."""
import json
import threading

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.extensions import db
from portal.regulatory.batches.models import Batch
from portal.regulatory.ledger.bulk import ImportProblem, bulk_append, check_references, read_jsonl
from portal.regulatory.ledger.models import LedgerEvent
from portal.regulatory.ledger.services import append_event, events_for, verify_all, verify_batch

from ..batches.helpers import make_batch, make_generator


def _line(batch, gen, **changes):
    event = {"batch_id": batch.id, "event_type": "weighed", "organisation_id": gen.org.id, "actor_id": gen.user.id,
             "container_id": batch.containers[0].id, "occurred_at": "2026-12-04T08:15:00+08:00",
             "quantity_g": 1250, "place": "1号地磅", "lat": "34.772300", "lon": 111.2001, "data": {"device": "s-1"}}
    event.update(changes)
    return json.dumps({k: v for k, v in event.items() if v is not ...}, ensure_ascii=False)


def _count():
    return db.session.scalar(select(func.count()).select_from(LedgerEvent))


def test_import_command_appends_in_file_order_and_verifies(app, ctx, factory, tmp_path):
    gen = make_generator(factory)
    batch, other = make_batch(gen, containers=1), make_batch(gen, containers=1)
    before = batch.ledger_head_seq
    path = tmp_path / "day.jsonl"
    path.write_text("\n".join(["# weighbridge 1, 4 December", _line(batch, gen, quantity_g=1),
                               _line(other, gen, quantity_g=2), "", _line(batch, gen, quantity_g=3)]) + "\n",
                    encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["ledger", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "imported 3 events into 2 batches" in result.output
    db.session.expire_all()
    tail = events_for(batch.id)[before:]
    assert [(e.seq, e.quantity_g, e.place) for e in tail] == [(before + 1, 1, "1号地磅"), (before + 2, 3, "1号地磅")]
    assert batch.ledger_head_seq == before + 2 and batch.ledger_head_hash == tail[-1].hash
    assert tail[0].occurred_at.isoformat() == "2026-12-04T00:15:00+00:00"
    assert verify_all() == []
    assert app.test_cli_runner().invoke(args=["ledger", "verify"]).exit_code == 0
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "ledger.import")).after["events"] == 3


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"event_type": "teleported"}, "event_type", "must be one of"),
    ({"batch_id": ...}, "batch_id", "is required"),
    ({"occurred_at": "2026-12-04T08:15:00"}, "occurred_at", "UTC offset"),
    ({"occurred_at": "4 December"}, "occurred_at", "ISO 8601"),
    ({"quantity_g": -5}, "quantity_g", "zero or more"),
    ({"quantity_g": 1.5}, "quantity_g", "whole number"),
    ({"lat": 91}, "lat", "between -90 and 90"),
    ({"lon": "east"}, "lon", "decimal number"),
    ({"data": {"moisture": 0.12}}, "data", "fractional"),
    ({"data": [1]}, "data", "object"),
    ({"colour": "red"}, "colour", "unknown field"),
    ({"place": "x" * 301}, "place", "300"),
])
def test_bad_line_is_named_with_its_field_and_nothing_is_written(app, ctx, factory, tmp_path, changes, field,
                                                                  message):
    gen = make_generator(factory)
    batch = make_batch(gen, containers=1)
    count, head = _count(), (batch.ledger_head_seq, batch.ledger_head_hash)
    path = tmp_path / "bad.jsonl"
    path.write_text(_line(batch, gen) + "\n" + _line(batch, gen, **changes) + "\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["ledger", "import", str(path)])
    assert result.exit_code == 1
    assert f"line 2, {field}: " in result.output and message in result.output
    db.session.expire_all()
    assert _count() == count and (batch.ledger_head_seq, batch.ledger_head_hash) == head


def test_broken_json_and_unknown_references_are_named(ctx, factory):
    gen = make_generator(factory)
    batch, other = make_batch(gen, containers=1), make_batch(gen, containers=1)
    with pytest.raises(ImportProblem, match="line 1: not valid JSON"):
        read_jsonl(["{'batch_id': 1}"])
    with pytest.raises(ImportProblem, match="line 1: must be a JSON object"):
        read_jsonl(["[1, 2]"])
    with pytest.raises(ImportProblem, match="line 2, batch_id: no such batch 999999"):
        check_references(read_jsonl([_line(batch, gen), _line(batch, gen, batch_id=999999)]))
    with pytest.raises(ImportProblem, match=f"line 1, container_id: container {other.containers[0].id} is not in"):
        check_references(read_jsonl([_line(batch, gen, container_id=other.containers[0].id)]))
    with pytest.raises(ImportProblem, match="line 1, organisation_id: no such organisation 999999"):
        check_references(read_jsonl([_line(batch, gen, organisation_id=999999)]))


def test_bulk_append_continues_chains_after_ordinary_appends(ctx, factory):
    gen = make_generator(factory)
    batch = make_batch(gen, containers=2)
    records = [{"batch_id": batch.id, "event_type": "weighed", "actor": gen.user.id, "organisation": gen.org.id,
                "quantity_g": n} for n in range(50)]
    done = bulk_append(records)
    assert (done.events, done.batches) == (50, 1)
    append_event(batch, "weighed", actor=gen.user, organisation=gen.org, quantity_g=99)  # after the bulk head
    db.session.commit()
    db.session.expire_all()
    events = events_for(batch.id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert events[-1].quantity_g == 99 and batch.ledger_head_hash == events[-1].hash
    assert verify_batch(batch.id) == []


def test_four_writers_on_one_batch_keep_the_chain(app, ctx, factory):
    """On PostgreSQL (SQLite serialises writers anyway): 4 threads × 50 appends, each its own transaction."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    gen = make_generator(factory)
    batch = make_batch(gen, containers=1)
    batch_id, user_id, org_id, start_seq = batch.id, gen.user.id, gen.org.id, batch.ledger_head_seq
    db.session.commit()
    failures = []

    def writer(n):
        try:
            with app.app_context():
                mine = db.session.get(Batch, batch_id)
                for i in range(50):
                    append_event(mine, "weighed", actor=user_id, organisation=org_id, quantity_g=n * 1000 + i)
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # reported below: an exception in a thread would otherwise vanish
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    db.session.expire_all()
    seqs = [e.seq for e in events_for(batch_id)]
    assert seqs == list(range(1, start_seq + 201))
    assert db.session.get(Batch, batch_id).ledger_head_seq == start_seq + 200
    assert verify_batch(batch_id) == []
    assert app.test_cli_runner().invoke(args=["ledger", "verify"]).exit_code == 0
