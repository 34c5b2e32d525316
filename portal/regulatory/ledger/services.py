"""Appending to and verifying the hash-chained ledger. Other code reads events only through here."""
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from itertools import groupby

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ...errors import DomainError
from ...extensions import db
from ...types import utcnow
from ..batches.models import Batch
from . import anchors
from .anchors import Anchor
from .models import EVENT_TYPES, GENESIS_HASH, LedgerCheckpoint, LedgerEvent

# Every column except id, recorded_at and hash goes into the hash, prev_hash included.
HASHED_FIELDS = ("batch_id", "seq", "event_type", "container_id", "organisation_id", "actor_id", "occurred_at",
                 "place", "lat", "lon", "quantity_g", "data", "prev_hash")
_MICRO = Decimal("0.000001")


@dataclass(frozen=True)
class Problem:
    """One finding of verification. event_id is the row concerned (for a deletion: its neighbour)."""

    event_id: int | None
    seq: int
    kind: str  # modified | deleted | reordered | truncated | rewritten (against a checkpoint) | forged (checkpoint)
    message: str
    batch_id: int | None = None

    def __str__(self) -> str:
        return f"event {self.event_id} (batch {self.batch_id}, seq {self.seq}): {self.kind} — {self.message}"


# --- hashing -----------------------------------------------------------------------------------

def _canonical_value(name: str, value):
    if value is None:
        return None
    if name == "occurred_at":
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if name in ("lat", "lon"):
        # SQLite hands Numeric back through a float; fixing the scale makes both engines agree
        return str(Decimal(str(value)).quantize(_MICRO))
    return value


def canonical_json(fields: dict) -> str:
    """Sorted keys, no spaces, UTF-8 kept: the exact bytes that are hashed."""
    payload = {name: _canonical_value(name, fields.get(name)) for name in HASHED_FIELDS}
    payload["data"] = payload["data"] or {}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(fields: dict) -> str:
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def _fields_of(event) -> dict:
    return {name: getattr(event, name) for name in HASHED_FIELDS}


def _json_native(value, path="data"):
    """Event data must survive a database round trip unchanged, so floats (and other types) are refused."""
    if isinstance(value, dict):
        return {str(k): _json_native(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_native(v, path) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    raise ValueError(f"{path}: {type(value).__name__} is not allowed in ledger data")


# --- appending ---------------------------------------------------------------------------------

_EVENTS = LedgerEvent.__table__
_BATCHES = Batch.__table__
# written by the append statement: every hashed field, the hash and when it was recorded
_WRITTEN = (*HASHED_FIELDS, "hash", "recorded_at")


def event_fields(event_type: str, *, actor, organisation, container=None, quantity_g=None, place=None, lat=None,
                 lon=None, occurred_at: datetime | None = None, data: dict | None = None,
                 recorded_at: datetime | None = None) -> dict:
    """An event's columns as they are stored and hashed, except its place in a chain (batch_id, seq, prev_hash,
    hash). Checked before anything is written: a refused event changes nothing."""
    if event_type not in EVENT_TYPES:
        raise DomainError(_l("Unknown ledger event type."), fields={"event_type": event_type})
    if occurred_at is not None and occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    return {"event_type": event_type, "container_id": getattr(container, "id", container),
            "organisation_id": getattr(organisation, "id", organisation), "actor_id": getattr(actor, "id", actor),
            "occurred_at": (occurred_at or utcnow()).astimezone(UTC), "place": place,
            "lat": None if lat is None else Decimal(str(lat)).quantize(_MICRO),
            "lon": None if lon is None else Decimal(str(lon)).quantize(_MICRO),
            "quantity_g": quantity_g, "data": _json_native(data or {}), "recorded_at": recorded_at or utcnow()}


def chain_rows(batch_id: int, head_seq: int, head_hash: str, fields: list[dict]) -> list[dict]:
    """The rows (event_fields) continuing the chain whose head is (head_seq, head_hash), in order, hashed."""
    rows = []
    for offset, event in enumerate(fields):
        row = {**event, "batch_id": batch_id, "seq": head_seq + 1 + offset, "prev_hash": head_hash}
        row["hash"] = head_hash = compute_hash(row)
        rows.append(row)
    return rows


def _batch_id(batch: Batch) -> int:
    """The batch's id without reloading a row expired by a commit. Pending objects (a new batch, a new container
    named by an event) are flushed first, so that they have ids; with nothing pending this issues no SQL."""
    db.session.flush()
    identity = sa_inspect(batch).identity
    return identity[0] if identity is not None else batch.id


@cache
def _move_head():
    """Round trip 1: take the batch row's lock and reserve n seqs; returns the new head seq and the old hash."""
    return (update(_BATCHES).where(_BATCHES.c.id == bindparam("batch_id"))
            .values(ledger_head_seq=_BATCHES.c.ledger_head_seq + bindparam("n"))
            .returning(_BATCHES.c.ledger_head_seq, _BATCHES.c.ledger_head_hash))


def _values(n: int) -> list[dict]:
    return [{name: bindparam(f"{name}_{i}", type_=_EVENTS.c[name].type) for name in _WRITTEN} for i in range(n)]


@cache
def _insert_events(n: int, dialect: str):
    """Round trip 2: insert n events; on PostgreSQL the same statement moves the head hash and deletes the batch's
    trace snapshot (trace_snapshots.mark_stale: the first public read after the commit builds it again)."""
    insert_ = insert(_EVENTS).values(_values(n)).returning(_EVENTS.c.id, _EVENTS.c.seq)
    if dialect != "postgresql":
        return insert_
    inserted = insert_.cte("inserted")
    return select(inserted.c.id, inserted.c.seq).add_cte(
        update(_BATCHES).where(_BATCHES.c.id == bindparam("batch_id"))
        .values(ledger_head_hash=bindparam("head_hash")).cte("head")).add_cte(_delete_snapshot().cte("stale"))


def forget_snapshot(batch_id: int) -> None:
    """The append statement deletes the batch's snapshot row: a snapshot object the session holds is let go, as
    the ORM delete would. Deleted by every append, not only the first of a transaction: a savepoint rolled back
    would otherwise bring back a snapshot that no rebuild replaces."""
    from ..trace_snapshots import TraceSnapshot  # here: that module imports this one

    if (held := db.session.identity_map.get(identity_key(TraceSnapshot, batch_id))) is not None:
        db.session.expunge(held)


@cache
def _delete_snapshot():
    snapshots = db.metadata.tables["trace_snapshots"]  # by name: trace_snapshots imports this module
    return delete(snapshots).where(snapshots.c.batch_id == bindparam("batch_id"))


@cache
def _set_head_hash():
    return update(_BATCHES).where(_BATCHES.c.id == bindparam("batch_id")).values(ledger_head_hash=bindparam("head_hash"))


@cache
def _postgresql_sql(n: int, dialect) -> str:
    """The append statement compiled once: SQLAlchemy does not cache a multi-row INSERT's compiled form, and
    compiling it on every append cost more than the statement itself. The values it takes need no conversion
    but the JSON (timestamps are aware, coordinates Decimal), see _insert_chunk."""
    return _insert_events(n, "postgresql").compile(dialect=dialect).string


_ROWS_PER_INSERT = 1000  # 15 parameters a row: below the drivers' limits on parameters per statement


def _insert_chunk(connection, batch_id: int, rows: list[dict]) -> dict[int, int]:
    """Insert these consecutive events of the batch, move its head hash to the last and delete its trace
    snapshot: one statement on PostgreSQL. Returns seq → id."""
    params = {f"{name}_{i}": row[name] for i, row in enumerate(rows) for name in _WRITTEN}
    params.update(batch_id=batch_id, head_hash=rows[-1]["hash"])
    if connection.dialect.name == "postgresql":
        for i in range(len(rows)):
            params[f"data_{i}"] = json.dumps(params[f"data_{i}"])  # what the JSON type's bind step does
        sql = _postgresql_sql(len(rows), connection.dialect)
        return {seq: id_ for id_, seq in connection.exec_driver_sql(sql, params)}
    ids = {seq: id_ for id_, seq in connection.execute(_insert_events(len(rows), "other"), params)}
    connection.execute(_set_head_hash(), params)  # (no DML in a WITH there: three statements)
    connection.execute(_delete_snapshot(), params)
    return ids


def _persistent_events(rows: list[dict], ids: dict[int, int]) -> list[LedgerEvent]:
    """ORM objects for the inserted rows, in the session as if loaded: nothing left to flush."""
    events = []
    for row in rows:
        event = LedgerEvent(id=ids[row["seq"]], **row)
        make_transient_to_detached(event)
        db.session.add(event)
        events.append(event)
    return events


def append_events(batch: Batch, items: list[dict]) -> list[LedgerEvent]:
    """Append events to the batch's chain in order and move the batch's head to the last: two statements however
    many events. items: dicts of append_event's keyword arguments plus event_type. Concurrent appends to one
    batch serialise on the batch row's lock, taken by the first statement and held until the commit."""
    if not items:
        return []
    batch_id = _batch_id(batch)  # (flushes first: a new container named by an event needs its id)
    fields = [event_fields(**item) for item in items]
    connection = db.session.connection()
    head_seq, head_hash = connection.execute(_move_head(), {"batch_id": batch_id, "n": len(items)}).one()
    rows = chain_rows(batch_id, head_seq - len(items), head_hash or GENESIS_HASH, fields)
    # the public trace follows the chain: its snapshot goes in this transaction, the next public read rebuilds it
    forget_snapshot(batch_id)
    ids: dict[int, int] = {}
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start:start + _ROWS_PER_INSERT]
        ids.update(_insert_chunk(connection, batch_id, chunk))
    set_committed_value(batch, "ledger_head_seq", head_seq)
    set_committed_value(batch, "ledger_head_hash", rows[-1]["hash"])
    return _persistent_events(rows, ids)


def append_event(batch: Batch, event_type: str, *, actor, organisation, container=None, quantity_g=None,
                 place=None, lat=None, lon=None, occurred_at: datetime | None = None,
                 data: dict | None = None) -> LedgerEvent:
    """Append one event to the batch's chain and move the batch's head to it."""
    return append_events(batch, [{"event_type": event_type, "actor": actor, "organisation": organisation,
                                  "container": container, "quantity_g": quantity_g, "place": place, "lat": lat,
                                  "lon": lon, "occurred_at": occurred_at, "data": data}])[0]


# --- reading -----------------------------------------------------------------------------------

def events_for(batch_id: int, *, container_id: int | None = None, event_type: str | None = None) -> list[LedgerEvent]:
    """The batch's events in chain order, optionally those of one container or one type."""
    query = select(LedgerEvent).where(LedgerEvent.batch_id == batch_id).order_by(LedgerEvent.seq)
    if container_id is not None:
        query = query.where(LedgerEvent.container_id == container_id)
    if event_type is not None:
        query = query.where(LedgerEvent.event_type == event_type)
    return list(db.session.scalars(query))


def events_of_container(container_id: int) -> list[LedgerEvent]:
    """Every event naming the container, in chain order."""
    return list(db.session.scalars(select(LedgerEvent).where(LedgerEvent.container_id == container_id)
                                   .order_by(LedgerEvent.batch_id, LedgerEvent.seq)))


# --- verification ------------------------------------------------------------------------------

def _check_chain(batch_id: int, rows: list, head: tuple[int, str] | None,
                 anchored: Iterable[Anchor] = ()) -> list[Problem]:
    """rows: the batch's stored events (mappings or objects with the hashed fields, id and hash); anchored: the
    heads recorded outside the chain (checkpoints, an exported root) that it must still reach."""
    problems: list[Problem] = []
    stored_max = max((r["seq"] for r in rows), default=0)
    logical = []
    for row in rows:
        if compute_hash(row) == row["hash"]:
            logical.append((row["seq"], row))
            continue
        original = _recorded_seq(row, stored_max + 1)
        if original is not None:
            problems.append(Problem(row["id"], row["seq"], "reordered", f"stored at seq {row['seq']} but recorded "
                                    f"as seq {original}", batch_id))
            logical.append((original, row))
        else:
            problems.append(Problem(row["id"], row["seq"], "modified", "content does not match its hash", batch_id))
            logical.append((row["seq"], row))
    logical.sort(key=lambda pair: pair[0])
    expected_seq, previous = 1, None
    for seq, row in logical:
        if seq > expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
            problems.append(Problem(row["id"], expected_seq, "deleted", f"seq {missing} missing before this event",
                                    batch_id))
        elif row["prev_hash"] != (previous["hash"] if previous else GENESIS_HASH) and previous is not None:
            problems.append(Problem(previous["id"], previous["seq"], "modified",
                                    "its hash differs from the one its successor recorded", batch_id))
        expected_seq, previous = seq + 1, row
    head_seq, head_hash = head or (0, GENESIS_HASH)
    last_seq = logical[-1][0] if logical else 0
    if head_seq > last_seq:
        problems.append(Problem(previous["id"] if previous else None, last_seq + 1, "deleted",
                                f"the batch records {head_seq} events, the chain ends at seq {last_seq}", batch_id))
    elif previous is not None and head_hash != previous["hash"] and not any(p.event_id == previous["id"]
                                                                             for p in problems):
        problems.append(Problem(previous["id"], previous["seq"], "modified",
                                "the batch's head hash differs from this last event's hash", batch_id))
    for anchor in anchored:
        problems += _against_anchor(batch_id, logical, anchor)
    return _unique(problems)


def _against_anchor(batch_id: int, logical: list, anchor: Anchor) -> list[Problem]:
    """A chain must still reach the head an anchor saw, through the same event: the tail of a chain can go
    together with the batch's head, but not with a record kept apart from both."""
    last_seq, last = logical[-1] if logical else (0, None)
    if anchor.head_seq > last_seq:
        return [Problem(last["id"] if last else None, last_seq + 1, "truncated",
                        f"{anchor.source} saw the chain reach seq {anchor.head_seq}; it now ends at seq {last_seq}",
                        batch_id)]
    reached = next((row for seq, row in logical if seq == anchor.head_seq), None)
    if reached is not None and reached["hash"] != anchor.head_hash:  # (a missing one is reported as deleted)
        return [Problem(reached["id"], anchor.head_seq, "rewritten",
                        f"its hash differs from the one {anchor.source} recorded", batch_id)]
    return []


def _forged(checkpoints) -> list[Problem]:
    return [Problem(None, c.head_seq, "forged", f"checkpoint {c.id} does not carry the platform's signature",
                    c.batch_id) for c in checkpoints]


def _checkpoint_of(batch_id: int) -> tuple[list[Anchor], list[Problem]]:
    """The batch's newest valid checkpoint as an anchor, and the forged checkpoint rows met on the way."""
    newest, forged = anchors.newest_checkpoint(batch_id)
    return ([anchors.as_anchor(newest)] if newest else []), _forged(forged)


def _recorded_seq(row, limit: int) -> int | None:
    """The seq under which an event whose hash fails was recorded, when only its seq was changed."""
    fields = dict(row)
    for candidate in range(1, limit + 1):
        if candidate == row["seq"]:
            continue
        fields["seq"] = candidate
        if compute_hash(fields) == row["hash"]:
            return candidate
    return None


def _unique(problems: list[Problem]) -> list[Problem]:
    seen, result = set(), []
    for p in problems:
        if (p.event_id, p.kind, p.seq) not in seen:
            seen.add((p.event_id, p.kind, p.seq))
            result.append(p)
    return result


_COLUMNS = [LedgerEvent.__table__.c[name] for name in ("id", "hash", *HASHED_FIELDS)]


def verify_batch(batch_id: int) -> list[Problem]:
    """Every modified, deleted or reordered event of one batch; empty when the chain is intact."""
    rows = db.session.execute(select(*_COLUMNS).where(LedgerEvent.batch_id == batch_id)
                              .order_by(LedgerEvent.seq)).mappings().all()
    head = db.session.execute(select(Batch.ledger_head_seq, Batch.ledger_head_hash)
                              .where(Batch.id == batch_id)).first()
    return verify_rows(batch_id, list(rows), tuple(head) if head else None)


def verify_rows(batch_id: int, rows: list, head: tuple[int, str] | None) -> list[Problem]:
    """verify_batch over rows the caller has already read: every event of the batch in seq order, each a
    mapping with id, hash and the HASHED_FIELDS; head is the batch's (ledger_head_seq, ledger_head_hash).
    The batch's newest checkpoint costs one indexed read."""
    anchored, forged = _checkpoint_of(batch_id)
    return forged + _check_chain(batch_id, rows, head, anchored)


def verify_batches(batch_ids: list[int], checkpoints: dict[int, LedgerCheckpoint], *,
                   chunk: int = 500) -> dict[int, list[Problem]]:
    """verify_batch over many batches, reading the events of `chunk` batches at a time, each chain against the
    checkpoint given for it (its newest valid one): the problems of each batch that has any."""
    found: dict[int, list[Problem]] = {}
    for start in range(0, len(batch_ids), chunk):
        ids = batch_ids[start:start + chunk]
        # the heads in the same statement as the events: an append between two reads is no "alteration"
        rows = db.session.execute(select(*_COLUMNS, Batch.ledger_head_seq, Batch.ledger_head_hash)
                                  .join(Batch, Batch.id == LedgerEvent.batch_id).where(LedgerEvent.batch_id.in_(ids))
                                  .order_by(LedgerEvent.batch_id, LedgerEvent.seq)).mappings().all()
        events = {batch_id: list(group) for batch_id, group in groupby(rows, key=lambda r: r["batch_id"])}
        heads = {batch_id: (group[0]["ledger_head_seq"], group[0]["ledger_head_hash"])
                 for batch_id, group in events.items()}
        heads.update({row.id: (row.ledger_head_seq, row.ledger_head_hash) for row in db.session.execute(
            select(Batch.id, Batch.ledger_head_seq, Batch.ledger_head_hash)
            .where(Batch.id.in_(set(ids) - events.keys())))})
        for batch_id in ids:
            checkpoint = checkpoints.get(batch_id)
            anchored = [anchors.as_anchor(checkpoint)] if checkpoint else []
            if problems := _check_chain(batch_id, events.get(batch_id, []), heads.get(batch_id), anchored):
                found[batch_id] = problems
    return found


def verify_all(*, chunk: int = 5000) -> list[Problem]:
    """Verify every chain of the platform; streams the events batch by batch."""
    return verify_all_counted(chunk=chunk)[1]


def verify_all_counted(*, chunk: int = 5000, exported: dict[int, Anchor] | None = None) -> tuple[int, list[Problem]]:
    """(number of events checked, problems) over the whole ledger, each chain also against its newest checkpoint
    and, where given, against the heads of an exported root (batch id → anchor)."""
    heads = {row.id: (row.ledger_head_seq, row.ledger_head_hash) for row in db.session.execute(
        select(Batch.id, Batch.ledger_head_seq, Batch.ledger_head_hash))}
    checkpoints, forged = anchors.newest_signed_checkpoints()
    anchored = {batch_id: [anchors.as_anchor(c)] for batch_id, c in checkpoints.items()}
    for batch_id, anchor in (exported or {}).items():
        anchored.setdefault(batch_id, []).append(anchor)
    problems: list[Problem] = _forged(forged)
    count = 0
    result = db.session.execute(select(*_COLUMNS).order_by(LedgerEvent.batch_id, LedgerEvent.seq)
                                .execution_options(yield_per=chunk)).mappings()
    for batch_id, rows in groupby(result, key=lambda r: r["batch_id"]):
        rows = list(rows)
        count += len(rows)
        problems.extend(_check_chain(batch_id, rows, heads.pop(batch_id, None), anchored.pop(batch_id, ())))
    for batch_id, (head_seq, _hash) in heads.items():
        if head_seq > 0:  # every event of this batch is gone
            problems.append(Problem(None, 1, "deleted", f"all {head_seq} events of the batch are missing", batch_id))
    for batch_id, left in anchored.items():  # anchored batches without a single event left
        problems.extend(p for anchor in left for p in _against_anchor(batch_id, [], anchor))
    return count, problems
