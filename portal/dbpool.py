"""Pooled PostgreSQL connections that the server has closed are discarded when checked out, not used.

When PostgreSQL restarts, fails over or terminates a backend, it tells the client and closes the socket; the
connection then waits in the pool looking alive, and the first request to use it would fail. SQLAlchemy's
pool_pre_ping would find out with a round trip per checkout (bench/trace_bench.py on a busy 2-core machine: the
trace page at 554–619 req/s with it, 684–815 without). A poll of the socket (about 1 µs) finds it without one: an idle
connection has nothing to read unless the server has said goodbye (we use no LISTEN). A checkout that raises
DisconnectionError makes the pool discard the connection and hand out a fresh one. A connection lost silently
(a network cut) is still found by the request that uses it: 503, and the pool reconnects for the next one.
"""
import select

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.pool import Pool


def closed_by_server(dbapi_connection) -> bool:
    """Whether a psycopg connection at rest was closed or spoken to by the server (False for other drivers)."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return False
    if dbapi_connection.closed or pgconn.status != 0:  # libpq's CONNECTION_OK
        return True
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


@event.listens_for(Pool, "checkout")
def _discard_closed(dbapi_connection, _record, _proxy) -> None:
    if closed_by_server(dbapi_connection):
        raise DisconnectionError("the server closed this pooled connection")
