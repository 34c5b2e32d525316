"""Work that waits for the commit: one list per database session, run once its transaction has committed.

Jobs, search outbox drains, outgoing mail and domain events must not run before the change they are about is
committed (a worker would not see the rows) nor at all when it is rolled back. `defer()` puts them on a list in
`session.info`; the list runs after a successful commit of the session's outermost transaction, wherever the
commit happens (a view, a CLI command, a job), and is dropped when that transaction ends without a commit
(rollback, or the session closed at the end of a request).

It runs from `after_transaction_end` rather than `after_commit`: in `after_commit` the session may emit no SQL,
and deferred work reads and commits. Deferred work runs in its own transaction, so it must be idempotent work
on committed rows (drain what is pending, deliver what is unsent): a savepoint rolled back within the
transaction does not take back what it deferred. A failure of one piece is logged and rolled back; it neither
undoes the commit nor stops the others.
"""
import logging
from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from .extensions import db

_PENDING = "wufei.after_commit.pending"  # deferred in the open transaction
_COMMITTED = "wufei.after_commit.committed"  # its transaction committed: run once it has ended
log = logging.getLogger(__name__)


def defer(func: Callable, *args, **kwargs) -> None:
    """Run func(*args, **kwargs) once the current transaction of the app's session has committed."""
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a rollback before any statement still ends a transaction, dropping the work
    session.info.setdefault(_PENDING, []).append((func, args, kwargs))


def defer_collected(func: Callable, item) -> bool:
    """Run func(items) once after the commit, with every item collected for it in this transaction.
    Returns whether the item is new in this transaction."""
    for deferred, args, _kwargs in db.session.info.get(_PENDING, ()):
        if deferred is func:
            new = item not in args[0]
            args[0].add(item)
            return new
    defer(func, {item})
    return True


def dispatch(signal, sender, **kwargs) -> None:
    """Send a domain event once the transaction that caused it has committed; what its listeners write is
    committed after them. For reactions that need not be atomic with the change (notifications, matching): their
    failure cannot undo the change, nor can a rolled-back change announce itself."""
    defer(_send_and_commit, signal, sender, **kwargs)


def _send_and_commit(signal, sender, **kwargs) -> None:
    signal.send(sender, **kwargs)
    db.session.commit()


def pending() -> list:
    """What waits for the commit of the current transaction (for tests and diagnostics)."""
    return list(db.session.info.get(_PENDING, ()))


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if _PENDING in session.info:
        session.info.setdefault(_COMMITTED, []).extend(session.info.pop(_PENDING))


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:  # a savepoint or subtransaction: the outermost one decides
        return
    session.info.pop(_PENDING, None)  # not committed: dropped with the transaction
    for func, args, kwargs in session.info.pop(_COMMITTED, ()):
        try:
            func(*args, **kwargs)
        except Exception:
            log.exception("deferred %s.%s failed after the commit", func.__module__, func.__qualname__)
            session.rollback()
