"""Deferred work: one list on the database session, run after a successful commit wherever it happens, dropped
when the transaction ends without one; a failing piece neither undoes the commit nor stops the others."""
from blinker import Namespace
from sqlalchemy import func, select

from portal import after_commit
from portal.extensions import db
from portal.outbox import OutboxMessage, send_message

seen: list = []


def count_messages() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)))


def note_count(label: str) -> None:
    seen.append((label, count_messages()))


def fail() -> None:
    raise RuntimeError("a deferred piece fails")


def test_deferred_work_runs_after_the_commit_and_sees_its_rows(ctx):
    seen.clear()
    send_message("a@example.cn", "s", "b")
    after_commit.defer(note_count, "after")
    assert seen == [] and len(after_commit.pending()) == 1
    db.session.commit()
    assert seen == [("after", 1)] and after_commit.pending() == []


def test_a_rollback_drops_the_deferred_work(ctx):
    seen.clear()
    after_commit.defer(note_count, "never")
    db.session.rollback()
    db.session.commit()
    assert seen == []


def test_a_savepoint_does_not_run_it_the_outer_commit_does(ctx):
    seen.clear()
    with db.session.begin_nested():
        send_message("a@example.cn", "s", "b")
        after_commit.defer(note_count, "outer")
    assert seen == []
    db.session.commit()
    assert seen == [("outer", 1)]


def test_a_failing_piece_is_logged_and_the_others_still_run(ctx, caplog):
    seen.clear()
    send_message("a@example.cn", "s", "b")
    after_commit.defer(fail)
    after_commit.defer(note_count, "next")
    db.session.commit()
    assert seen == [("next", 1)] and "a deferred piece fails" in caplog.text
    assert count_messages() == 1  # the commit stands


def test_an_event_is_dispatched_only_for_a_committed_change(ctx):
    published = Namespace().signal("published")
    received = []
    with published.connected_to(lambda sender, **_kw: received.append(sender)):
        after_commit.dispatch(published, "rolled back")
        db.session.rollback()
        after_commit.dispatch(published, "committed")
        assert received == []
        db.session.commit()
    assert received == ["committed"]
