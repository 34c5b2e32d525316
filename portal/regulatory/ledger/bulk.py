"""The ledger's bulk path: importing or replaying many events at once (a day of weighbridge records, a migration)
while keeping every chain. Hashes are computed here in each batch's order; on PostgreSQL the rows go in with
COPY and each batch's head moves once, at the end; elsewhere an executemany does the same.

The replay file is JSON lines, one event an object (blank lines and lines starting with # are skipped):

    {"batch_id": 12, "event_type": "weighed", "organisation_id": 3, "actor_id": 7, "container_id": 40,
     "occurred_at": "2026-12-04T08:15:00+08:00", "quantity_g": 1250, "place": "1号地磅",
     "lat": "34.772300", "lon": "111.200100", "data": {"device": "scale-1"}}

batch_id, event_type, organisation_id and occurred_at (ISO 8601 with its offset) are required; the rest may be
left out or null. The events of one batch are appended after its current head in the order of the file.
"""
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ... import audit
from ...accounts.models import Organisation, User
from ...errors import DomainError
from ...extensions import db
from ..batches.models import Batch, Container
from .models import EVENT_TYPES, GENESIS_HASH
from .services import _BATCHES, _EVENTS, _WRITTEN, _delete_snapshot, chain_rows, event_fields, forget_snapshot

REQUIRED = ("batch_id", "event_type", "organisation_id", "occurred_at")
OPTIONAL = ("actor_id", "container_id", "quantity_g", "place", "lat", "lon", "data")
_INT_MAX = 2**31 - 1  # the columns are 4-byte integers
_LOCK_ORDER_CHUNK = 10_000  # batch ids per statement when locking and moving heads


class ImportProblem(ValueError):
    """A replay file refused: the line (1-based) and field concerned. Nothing was written."""

    def __init__(self, line: int, field: str | None, message: str):
        super().__init__(f"line {line}" + (f", {field}" if field else "") + f": {message}")
        self.line, self.field = line, field


@dataclass(frozen=True)
class Imported:
    events: int
    batches: int


# --- reading and checking a replay file ----------------------------------------------------------

def _integer(line: int, name: str, value, *, optional: bool = False):
    if value is None and optional:
        return None
    lowest = 0 if name == "quantity_g" else 1
    if isinstance(value, bool) or not isinstance(value, int) or not lowest <= value <= _INT_MAX:
        raise ImportProblem(line, name, "must be a whole number of grams, zero or more" if name == "quantity_g"
                            else "must be a positive whole number")
    return value


def _coordinate(line: int, name: str, value, limit: int) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value)) if isinstance(value, str | int | Decimal) and not isinstance(value, bool) \
            else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or abs(number) > limit:
        raise ImportProblem(line, name, f"must be a decimal number between -{limit} and {limit}")
    return number


def _fraction_in(value) -> bool:
    if isinstance(value, dict):
        return any(_fraction_in(v) for v in value.values())
    if isinstance(value, list):
        return any(_fraction_in(v) for v in value)
    return isinstance(value, Decimal)


def _record(line: int, raw: dict) -> dict:
    """One event object checked field by field: the keyword arguments of event_fields plus batch_id."""
    unknown = sorted(set(raw) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ImportProblem(line, unknown[0], "unknown field")
    for name in REQUIRED:
        if raw.get(name) is None:
            raise ImportProblem(line, name, "is required")
    if raw["event_type"] not in EVENT_TYPES:
        raise ImportProblem(line, "event_type", f"must be one of {', '.join(EVENT_TYPES)}")
    try:
        occurred_at = datetime.fromisoformat(raw["occurred_at"])
    except (TypeError, ValueError):
        raise ImportProblem(line, "occurred_at", "must be an ISO 8601 date and time") from None
    if occurred_at.tzinfo is None:
        raise ImportProblem(line, "occurred_at", "must carry its UTC offset (e.g. +08:00)")
    place, data = raw.get("place"), raw.get("data") or {}
    if place is not None and (not isinstance(place, str) or len(place) > 300):
        raise ImportProblem(line, "place", "must be text of at most 300 characters")
    if not isinstance(data, dict):
        raise ImportProblem(line, "data", "must be an object")
    if _fraction_in(data):  # a float would not come back from the database as it was hashed
        raise ImportProblem(line, "data", "fractional numbers are not allowed here; write them as text")
    return {"batch_id": _integer(line, "batch_id", raw["batch_id"]), "event_type": raw["event_type"],
            "organisation": _integer(line, "organisation_id", raw["organisation_id"]),
            "actor": _integer(line, "actor_id", raw.get("actor_id"), optional=True),
            "container": _integer(line, "container_id", raw.get("container_id"), optional=True),
            "quantity_g": _integer(line, "quantity_g", raw.get("quantity_g"), optional=True),
            "occurred_at": occurred_at, "place": place, "data": data,
            "lat": _coordinate(line, "lat", raw.get("lat"), 90), "lon": _coordinate(line, "lon", raw.get("lon"), 180)}


def read_jsonl(lines: Iterable[str]) -> list[tuple[int, dict]]:
    """(line number, record) of every event in a replay file; ImportProblem at the first bad line."""
    records = []
    for number, text in enumerate(lines, start=1):
        text = text.strip()
        if not text or text.startswith("#"):
            continue
        try:
            raw = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise ImportProblem(number, None, f"not valid JSON ({exc.msg}, column {exc.colno})") from None
        if not isinstance(raw, dict):
            raise ImportProblem(number, None, "must be a JSON object")
        records.append((number, _record(number, raw)))
    return records


def check_references(records: list[tuple[int, dict]]) -> None:
    """Every batch, organisation, actor and container named must exist, and a container must belong to the
    event's batch: ImportProblem at the first line that names one that does not."""
    wanted = {name: {r[name] for _n, r in records if r[name] is not None}
              for name in ("batch_id", "organisation", "actor", "container")}
    found = {"batch_id": _existing(Batch.id, wanted["batch_id"]),
             "organisation": _existing(Organisation.id, wanted["organisation"]),
             "actor": _existing(User.id, wanted["actor"])}
    container_batch = dict(_chunked_rows(select(Container.id, Container.batch_id), Container.id,
                                         wanted["container"]))
    fields = {"batch_id": "batch_id", "organisation": "organisation_id", "actor": "actor_id"}
    for number, record in records:
        for name, field in fields.items():
            if record[name] is not None and record[name] not in found[name]:
                raise ImportProblem(number, field, f"no such {field.removesuffix('_id')} {record[name]}")
        container = record["container"]
        if container is not None and container_batch.get(container) != record["batch_id"]:
            raise ImportProblem(number, "container_id", f"container {container} is not in batch {record['batch_id']}"
                                if container in container_batch else f"no such container {container}")


def _existing(column, ids: set[int]) -> set[int]:
    return {row[0] for row in _chunked_rows(select(column), column, ids)}


def _chunked_rows(query, column, ids: set[int]):
    ids = sorted(ids)
    for start in range(0, len(ids), _LOCK_ORDER_CHUNK):
        yield from db.session.execute(query.where(column.in_(ids[start:start + _LOCK_ORDER_CHUNK])))


# --- appending in bulk ---------------------------------------------------------------------------

def import_records(records: list[tuple[int, dict]], *, source: str = "") -> Imported:
    """Append checked records (read_jsonl, check_references) to their chains, audited as one import of the
    source (a file name); the caller commits."""
    done = bulk_append([record for _n, record in records])
    audit.record("ledger.import", object_type="ledger", after={"source": source, "events": done.events,
                                                                "batches": done.batches})
    return done


def bulk_append(records: list[dict]) -> Imported:
    """Append many events, each a dict of event_fields' keyword arguments plus batch_id, to their batches' chains
    in the given order. The batch rows are locked in id order (so two imports cannot deadlock) and each head
    moves once; the batches' trace snapshots go (each is rebuilt by its next public read). The caller commits."""
    if not records:
        return Imported(0, 0)
    db.session.flush()
    by_batch: dict[int, list[dict]] = {}
    for record in records:
        fields = dict(record)
        by_batch.setdefault(fields.pop("batch_id"), []).append(event_fields(**fields))
    heads = _lock_heads(sorted(by_batch))
    rows, new_heads = [], []
    for batch_id, fields in by_batch.items():
        head_seq, head_hash = heads[batch_id]
        chained = chain_rows(batch_id, head_seq, head_hash or GENESIS_HASH, fields)
        rows.extend(chained)
        new_heads.append({"b_id": batch_id, "b_seq": chained[-1]["seq"], "b_hash": chained[-1]["hash"]})
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        _copy(connection, rows)
    else:
        connection.execute(_EVENTS.insert(), rows)
    connection.execute(update(_BATCHES).where(_BATCHES.c.id == bindparam("b_id"))
                       .values(ledger_head_seq=bindparam("b_seq"), ledger_head_hash=bindparam("b_hash")), new_heads)
    for batch_id in by_batch:
        forget_snapshot(batch_id)
    connection.execute(_delete_snapshot(), [{"batch_id": batch_id} for batch_id in by_batch])
    _refresh_session_heads(new_heads)
    return Imported(len(rows), len(by_batch))


def _lock_heads(batch_ids: list[int]) -> dict[int, tuple[int, str]]:
    """The heads of these batches, their rows locked until the commit (in id order)."""
    heads = {}
    for start in range(0, len(batch_ids), _LOCK_ORDER_CHUNK):
        chunk = batch_ids[start:start + _LOCK_ORDER_CHUNK]
        heads.update({row.id: (row.ledger_head_seq, row.ledger_head_hash) for row in db.session.execute(
            select(_BATCHES.c.id, _BATCHES.c.ledger_head_seq, _BATCHES.c.ledger_head_hash)
            .where(_BATCHES.c.id.in_(chunk)).order_by(_BATCHES.c.id).with_for_update())})
    missing = set(batch_ids) - heads.keys()
    if missing:
        raise DomainError(_l("No such batch."), fields={"batch_id": min(missing)})
    return heads


def _copy(connection, rows: list[dict]) -> None:
    """COPY the rows in through psycopg 3; data is written as JSON text, timestamps with their zone."""
    columns = ", ".join(_WRITTEN)
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {_EVENTS.name} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([json.dumps(row[name], ensure_ascii=False) if name == "data" else row[name]
                            for name in _WRITTEN])


def _refresh_session_heads(new_heads: list[dict]) -> None:
    """Batch objects the session holds get their new heads (as append_events leaves them)."""
    for head in new_heads:
        batch = db.session.identity_map.get(identity_key(Batch, head["b_id"]))
        if batch is not None:
            set_committed_value(batch, "ledger_head_seq", head["b_seq"])
            set_committed_value(batch, "ledger_head_hash", head["b_hash"])
