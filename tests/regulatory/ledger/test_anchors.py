"""External anchors: signed checkpoints of every batch head and the daily Merkle root catch what the chain
alone cannot, the removal of a chain's newest events together with the batch's head."""
import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from portal.extensions import db
from portal.regulatory.batches.models import Batch
from portal.regulatory.ledger import anchors
from portal.regulatory.ledger.checkpoints import latest_root, take_checkpoint, verify_roots
from portal.regulatory.ledger.models import LedgerCheckpoint, LedgerRoot
from portal.regulatory.ledger.services import append_event, events_for, verify_all, verify_batch
from portal.types import utcnow

from ..batches.helpers import make_batch, make_generator


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=["ledger", *args])


@pytest.fixture
def ledger(ctx, factory):
    """Two batches: one of three containers (four events), one of a single container (two events)."""
    gen = make_generator(factory)
    return gen, make_batch(gen, containers=3), make_batch(gen, containers=1)


def _cut_tail(batch_id: int, *, move_head_back: bool) -> int:
    """Delete the newest event of the batch as an intruder with SQL would; returns the deleted event's id."""
    *kept, last = events_for(batch_id)
    last_id, new_head = last.id, (kept[-1].seq, kept[-1].hash)
    db.session.execute(text("DELETE FROM ledger_events WHERE id = :id"), {"id": last_id})
    if move_head_back:
        db.session.execute(text("UPDATE batches SET ledger_head_seq = :seq, ledger_head_hash = :hash WHERE id = :id"),
                           {"seq": new_head[0], "hash": new_head[1], "id": batch_id})
    db.session.commit()
    db.session.expire_all()
    return last_id


def test_without_a_checkpoint_a_cut_tail_with_its_head_moved_back_goes_unseen(app, ledger):
    """The gap the anchors close: the chain alone verifies after such a cut."""
    _gen, batch, _other = ledger
    _cut_tail(batch.id, move_head_back=True)
    assert verify_all() == []
    assert _cli(app, "verify").exit_code == 0


def test_a_cut_tail_is_named_by_batch_after_a_checkpoint(app, ledger):
    _gen, batch, other = ledger
    taken = _cli(app, "checkpoint")
    assert taken.exit_code == 0, taken.output + taken.stderr
    assert "2 head(s) signed" in taken.output and "over 2 batches" in taken.output
    _cut_tail(batch.id, move_head_back=True)
    result = _cli(app, "verify")
    assert result.exit_code == 1
    assert f"(batch {batch.id}, seq 4): truncated" in result.output
    assert "reach seq 4; it now ends at seq 3" in result.output
    assert f"batch {other.id}" not in result.output
    assert [(p.batch_id, p.kind) for p in verify_batch(batch.id)] == [(batch.id, "truncated")]


def test_deleting_the_last_event_alone_is_named_twice(app, ledger):
    _gen, batch, _other = ledger
    take_checkpoint()
    db.session.commit()
    _cut_tail(batch.id, move_head_back=False)
    result = _cli(app, "verify")
    assert result.exit_code == 1
    assert f"(batch {batch.id}, seq 4): deleted" in result.output
    assert f"(batch {batch.id}, seq 4): truncated" in result.output


def test_checkpoint_is_safe_to_repeat_and_signs_only_moved_heads(app, ledger):
    gen, batch, _other = ledger
    first = take_checkpoint()
    db.session.commit()
    again = take_checkpoint()
    db.session.commit()
    assert (first.signed, again.signed, again.unchanged) == (2, 0, 2)
    assert first.root is not None and again.root is None  # one root a day
    append_event(batch, "weighed", actor=gen.user, organisation=gen.org, quantity_g=1000)
    db.session.commit()
    later = take_checkpoint()
    db.session.commit()
    assert (later.signed, later.unchanged) == (1, 1)
    newest, forged = anchors.newest_checkpoint(batch.id)
    assert (newest.head_seq, forged) == (5, [])
    assert _cli(app, "verify").exit_code == 0


def test_checkpoint_refuses_to_sign_a_head_that_went_back(app, ledger):
    _gen, batch, _other = ledger
    take_checkpoint()
    db.session.commit()
    _cut_tail(batch.id, move_head_back=True)
    result = _cli(app, "checkpoint")
    assert result.exit_code == 1
    assert f"batch {batch.id} not checkpointed" in result.stderr and "truncated" in result.stderr
    assert db.session.scalar(select(func.max(LedgerCheckpoint.head_seq))
                             .where(LedgerCheckpoint.batch_id == batch.id)) == 4
    assert _cli(app, "verify").exit_code == 1  # still seen the next day


def test_checkpoint_never_signs_a_head_whose_events_are_gone(app, ledger):
    _gen, batch, other = ledger
    db.session.execute(text("DELETE FROM ledger_events WHERE batch_id = :id"), {"id": other.id})
    db.session.commit()
    run = take_checkpoint()
    db.session.commit()
    assert (run.signed, list(run.refused)) == (1, [other.id])
    assert [p.kind for p in run.refused[other.id]] == ["deleted"]


def test_a_rewritten_tail_is_named(app, ledger):
    gen, batch, _other = ledger
    take_checkpoint()
    db.session.commit()
    _cut_tail(batch.id, move_head_back=True)
    append_event(db.session.get(Batch, batch.id), "weighed", actor=gen.user, organisation=gen.org, quantity_g=1)
    db.session.commit()
    problems = verify_batch(batch.id)
    assert [(p.kind, p.seq) for p in problems] == [("rewritten", 4)]


def test_a_forged_checkpoint_is_reported_and_the_older_one_still_counts(app, ledger):
    _gen, batch, _other = ledger
    take_checkpoint()
    db.session.commit()
    _cut_tail(batch.id, move_head_back=True)
    head = events_for(batch.id)[-1]
    # the intruder adds a checkpoint for the shortened chain, without the key
    db.session.add(LedgerCheckpoint(batch_id=batch.id, head_seq=head.seq, head_hash=head.hash, taken_at=utcnow(),
                                    key_id=anchors.key_id(), signature="0" * 64))
    db.session.commit()
    kinds = sorted(p.kind for p in verify_batch(batch.id))
    assert kinds == ["forged", "truncated"]
    assert sorted(p.kind for p in verify_all()) == ["forged", "truncated"]


def test_checkpoints_of_another_key_are_left_aside_and_re_signed(app, ledger):
    take_checkpoint()
    db.session.commit()
    old_key = anchors.key_id()
    app.config["LEDGER_ANCHOR_KEY"] = "a new anchor key"
    try:
        assert anchors.key_id() != old_key
        assert anchors.newest_signed_checkpoints() == ({}, [])
        assert take_checkpoint().signed == 2
        db.session.commit()
        assert len(anchors.newest_signed_checkpoints()[0]) == 2
    finally:
        app.config["LEDGER_ANCHOR_KEY"] = None


def test_the_daily_root_covers_every_head_and_notices_removed_checkpoints(app, ledger):
    _gen, batch, other = ledger
    take_checkpoint()
    db.session.commit()
    root = latest_root()
    heads = [(b.id, b.ledger_head_seq, b.ledger_head_hash) for b in (db.session.get(Batch, batch.id),
                                                                     db.session.get(Batch, other.id))]
    assert (root.batch_count, root.root) == (2, anchors.merkle_root(heads))
    assert verify_roots() == []
    # deleting the newest checkpoint of a batch would let it fall back to an older one: the root remembers it
    db.session.execute(text("DELETE FROM ledger_checkpoints WHERE batch_id = :id"), {"id": batch.id})
    db.session.commit()
    assert verify_roots() == [f"root of {root.day}: the checkpoints it covers were removed or changed since"]
    result = _cli(app, "verify")
    assert result.exit_code == 1 and "anchors: root of" in result.output


def test_roots_are_signed_and_chained_day_to_day(app, ledger):
    take_checkpoint(utcnow() - timedelta(days=1))
    take_checkpoint()
    db.session.commit()
    first, second = db.session.scalars(select(LedgerRoot).order_by(LedgerRoot.day)).all()
    assert second.previous_signature == first.signature
    assert verify_roots() == []
    db.session.execute(text("UPDATE ledger_roots SET root = :r WHERE id = :id"), {"r": "f" * 64, "id": first.id})
    db.session.execute(text("DELETE FROM ledger_roots WHERE id = :id"), {"id": second.id})
    db.session.commit()
    db.session.expire_all()
    assert f"root of {first.day}: its signature does not match its content" in verify_roots()


def test_an_exported_root_catches_a_cut_even_when_the_checkpoints_are_gone_too(app, ledger, tmp_path):
    _gen, batch, _other = ledger
    path = tmp_path / "root.json"
    taken = _cli(app, "checkpoint", "--export", str(path))
    assert taken.exit_code == 0, taken.stderr
    exported = json.loads(path.read_text())
    heads = [tuple(h) for h in exported["heads"]]
    assert exported["root"] == anchors.merkle_root(heads) and exported["batch_count"] == 2
    assert exported["signature"]["algorithm"] == "HMAC-SHA256" and len(exported["signature"]["value"]) == 64
    _cut_tail(batch.id, move_head_back=True)
    # the intruder cleans up the database's own anchors too
    db.session.execute(text("DELETE FROM ledger_roots"))
    db.session.execute(text("DELETE FROM ledger_checkpoints"))
    db.session.commit()
    assert _cli(app, "verify").exit_code == 0
    result = _cli(app, "verify", "--anchor", str(path))
    assert result.exit_code == 1
    assert f"(batch {batch.id}, seq 4): truncated" in result.output and "exported root of" in result.output


def test_a_doctored_export_is_refused(app, ledger, tmp_path):
    path = tmp_path / "root.json"
    _cli(app, "checkpoint", "--export", str(path))
    exported = json.loads(path.read_text())
    exported["heads"][0][1] -= 1  # claims a shorter chain
    exported["root"] = anchors.merkle_root(tuple(h) for h in exported["heads"])
    path.write_text(json.dumps(exported))
    result = _cli(app, "verify", "--anchor", str(path))
    assert result.exit_code == 1 and "signature does not match" in result.stderr


def _rfc6962(leaves: list[bytes]) -> bytes:
    """The Merkle tree hash exactly as RFC 6962 section 2.1 defines it, recursively."""
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << (len(leaves) - 1).bit_length() - 1
    return hashlib.sha256(b"\x01" + _rfc6962(leaves[:split]) + _rfc6962(leaves[split:])).digest()


def test_merkle_root_is_rfc_6962_tree_hash():
    assert anchors.merkle_root([]) == hashlib.sha256(b"").hexdigest()
    for n in range(1, 20):
        heads = [(i, i + 1, f"{i:064x}") for i in range(n)]
        assert anchors.merkle_root(reversed(heads)) == _rfc6962([anchors.leaf_hash(*h) for h in heads]).hex()
