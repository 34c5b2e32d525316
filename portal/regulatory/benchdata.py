"""`wufei seed bench`: a PostgreSQL database with a million containers and five million ledger events.

Rows are generated in worker processes (the SHA-256 chain is the expensive part) and written with COPY;
every chain is hashed by the ledger's own compute_hash, so `wufei ledger verify` and the trace page find
them intact. Each batch of four containers lives a whole life: generated, packed, labelled, stored,
taken out, picked up, delivered, received and treated — 21 events — and gets the public trace snapshot that the
first public read after an append builds (portal/regulatory/trace_snapshots.py).
"""
import json
import multiprocessing as mp
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import click
from sqlalchemy import func, select, text

from ..accounts.models import Organisation, OrgStatus, User
from ..accounts.uscc import check_character
from ..clock import china_today
from ..extensions import db
from .ledger.models import GENESIS_HASH
from .ledger.services import compute_hash
from .models import Division, WasteCode
from .trace import BATCH_PREFIX, Step, Trace, Waste
from .trace_snapshots import encode

CONTAINERS_PER_BATCH = 4
EVENTS_PER_BATCH = 1 + 4 * CONTAINERS_PER_BATCH + 4  # generated; split, labelled, stored, retrieved; transport
PRODUCERS = 200
DISTRICT = "411282"  # 灵宝市
BATCHES_PER_DAY = 50  # per producer: 200 container numbers of the 999 a producer + code + day may use
CHUNK = 2000  # batches per worker task and per COPY transaction
WASTE_CODES = ("900-249-08", "900-041-49", "772-002-18", "900-047-49")
PLACE = ("一号车间, 灵宝市函谷路8号", Decimal("34.516100"), Decimal("110.894400"))
STORE = ("一号车间 · 危废暂存间A", Decimal("34.516100"), Decimal("110.894400"))
RECEIVER_PLACE = ("灵宝市危废处置中心", Decimal("34.521000"), Decimal("110.871000"))


@dataclass(frozen=True)
class Plan:
    """What a worker needs to generate a chunk; plain values only (it crosses process boundaries)."""

    producers: tuple[tuple[int, str, str], ...]  # (organisation id, uscc, name)
    carrier: tuple[int, str, str]
    receiver: tuple[int, str, str]
    actor_id: int
    codes: tuple[tuple[int, str, str, Waste], ...]  # (waste code id, code, hazards, as the trace names it)
    district: str
    first_batch_id: int
    first_container_id: int
    first_event_id: int
    start_day: date


def _uscc(serial: int) -> str:
    body = f"91411200{serial:08d}B"
    return body + check_character(body)


def _copy_value(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")
    if isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _event_line(event_id: int, row: dict, recorded: str) -> str:
    """One ledger_events COPY line; the generated values hold no tab, newline or backslash to escape."""
    null = r"\N"
    data = json.dumps(row["data"], ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return (f"{event_id}\t{row['batch_id']}\t{row['seq']}\t{row['event_type']}\t{row['container_id'] or null}\t"
            f"{row['organisation_id']}\t{row['actor_id']}\t{row['occurred_at'].isoformat()}\t{recorded}\t"
            f"{row['place'] or null}\t{row['lat'] or null}\t{row['lon'] or null}\t"
            f"{null if row['quantity_g'] is None else row['quantity_g']}\t{data}\t{row['prev_hash']}\t{row['hash']}\n")


def _line(values) -> str:
    return "\t".join(_copy_value(v) for v in values) + "\n"


SNAPSHOT_COLUMNS = ("batch_id", "head_seq", "head_hash", "verified_at", "intact", "body")
EVENT_COLUMNS = ("id", "batch_id", "seq", "event_type", "container_id", "organisation_id", "actor_id", "occurred_at",
                 "recorded_at", "place", "lat", "lon", "quantity_g", "data", "prev_hash", "hash")
BATCH_COLUMNS = ("id", "organisation_id", "waste_code_id", "waste_code", "stream", "quantity_g", "unit_label", "form",
                 "packaging", "hazards", "main_components", "generated_on", "clock_from", "status", "created_at",
                 "ledger_head_seq", "ledger_head_hash")
CONTAINER_COLUMNS = ("id", "batch_id", "code", "sequence", "quantity_g", "packaging", "status", "created_at")


def _batch_events(plan: Plan, index: int, batch_id: int, container_ids: list[int], codes: list[str],
                  producer: tuple[int, str, str], grams: int, day: date) -> list[dict]:
    """The 21 events of one batch's life, in chain order, without hashes yet."""
    at = datetime(day.year, day.month, day.day, 1, tzinfo=UTC) + timedelta(seconds=index % 3600)
    org = producer[0]
    share = grams // CONTAINERS_PER_BATCH
    events = [("generated", None, org, PLACE, grams, {"waste_code": None, "form": "liquid", "packaging": "铁桶",
                                                          "unit": "kg", "generated_on": day.isoformat()})]
    for kind, place in (("split", PLACE), ("labelled", None), ("stored", STORE), ("retrieved", STORE)):
        for cid, code in zip(container_ids, codes, strict=True):
            data = {"container": code, "from": "batch"} if kind == "split" else {"container": code}
            events.append((kind, cid, org, place, share if kind != "labelled" else None, data))
    carrier, receiver = plan.carrier, plan.receiver
    events += [
        ("picked_up", None, carrier[0], PLACE, grams, {"carrier": carrier[1], "vehicle_plate": "豫M" + f"{index % 99999:05d}"}),
        ("delivered", None, carrier[0], RECEIVER_PLACE, grams, {"carrier": carrier[1]}),
        ("received", None, receiver[0], RECEIVER_PLACE, grams, {"outcome": "accepted"}),
        ("treated", None, receiver[0], RECEIVER_PLACE, grams, {"method": "D10", "treated_on": day.isoformat()}),
    ]
    rows = []
    for seq, (kind, cid, org_id, place, quantity, data) in enumerate(events, start=1):
        name, lat, lon = place or (None, None, None)
        rows.append({"batch_id": batch_id, "seq": seq, "event_type": kind, "container_id": cid,
                     "organisation_id": org_id, "actor_id": plan.actor_id,
                     "occurred_at": at + timedelta(hours=seq), "place": name, "lat": lat, "lon": lon,
                     "quantity_g": quantity, "data": data})
    return rows


def _snapshot(plan: Plan, rows: list[dict], codes: list[str], producer: tuple[int, str, str], waste: Waste,
              grams: int) -> str:
    """The public trace of the batch as a public read builds it after an append (trace_snapshots.refresh); the
    chain was hashed just now, so its verdict is 'intact'."""
    names = {producer[0]: producer[2], plan.carrier[0]: plan.carrier[2], plan.receiver[0]: plan.receiver[2]}
    code_of = dict(zip((row["container_id"] for row in rows if row["event_type"] == "split"), codes, strict=True))
    steps = tuple(Step(number=0, seq=row["seq"], event_type=row["event_type"], occurred_at=row["occurred_at"],
                       place=row["place"], organisation=names[row["organisation_id"]], quantity_g=row["quantity_g"],
                       container=code_of.get(row["container_id"]), method=row["data"].get("method"))
                  for row in rows)
    found = Trace(kind="batch", code=BATCH_PREFIX + codes[0], wastes=(waste,), quantity_g=grams, producer=producer[2],
                  district=plan.district, state="treated", steps=steps, problems=(), containers=tuple(codes),
                  batch_code=BATCH_PREFIX + codes[0], organisation_ids=frozenset(names),
                  district_codes=frozenset({DISTRICT}))
    return encode(found.public())


def generate_chunk(args: tuple[Plan, int, int]) -> tuple[str, str, str, str, int]:
    """COPY text for batches [start, stop): (batches, containers, events, snapshots, number of events)."""
    plan, start, stop = args
    batch_lines, container_lines, event_lines, snapshot_lines = [], [], [], []
    now = datetime.now(UTC)
    recorded = _copy_value(now)
    events = 0
    for index in range(start, stop):
        producer = plan.producers[index % len(plan.producers)]
        per_producer = index // len(plan.producers)
        day = plan.start_day + timedelta(days=per_producer // BATCHES_PER_DAY)
        waste_id, waste_code, hazards, waste = plan.codes[index % len(plan.codes)]
        batch_id = plan.first_batch_id + index
        first_seq = (per_producer % BATCHES_PER_DAY) * CONTAINERS_PER_BATCH + 1
        container_ids = [plan.first_container_id + index * CONTAINERS_PER_BATCH + k for k in range(CONTAINERS_PER_BATCH)]
        compact = waste_code.replace("-", "")
        codes = [f"{producer[1]}{compact}{day:%Y%m%d}{first_seq + k:03d}" for k in range(CONTAINERS_PER_BATCH)]
        grams = 200_000 * CONTAINERS_PER_BATCH
        rows = _batch_events(plan, index, batch_id, container_ids, codes, producer, grams, day)
        rows[0]["data"]["waste_code"] = waste_code
        prev = GENESIS_HASH
        event_id = plan.first_event_id + index * EVENTS_PER_BATCH
        for offset, row in enumerate(rows):
            row["prev_hash"] = prev
            row["hash"] = prev = compute_hash(row)
            event_lines.append(_event_line(event_id + offset, row, recorded))
        events += len(rows)
        batch_lines.append(_line((batch_id, producer[0], waste_id, waste_code, "hazardous", grams, "kg", "liquid",
                                  "铁桶", hazards, "矿物油", day, day, "treated", now, len(rows), prev)))
        for cid, code, k in zip(container_ids, codes, range(CONTAINERS_PER_BATCH), strict=True):
            container_lines.append(_line((cid, batch_id, code, first_seq + k, grams // CONTAINERS_PER_BATCH, "铁桶",
                                          "treated", now)))
        snapshot_lines.append(_line((batch_id, len(rows), prev, now, "t",
                                     _snapshot(plan, rows, codes, producer, waste, grams))))
    return "".join(batch_lines), "".join(container_lines), "".join(event_lines), "".join(snapshot_lines), events


# --- the parties ---------------------------------------------------------------------------------

def _org(serial: int, name: str, **capabilities) -> Organisation:
    org = Organisation(uscc=_uscc(serial), name=name, address="三门峡市基准路1号", district_code=DISTRICT,
                       contact_name="基准联系人", contact_phone="0398-0000000", status=OrgStatus.VERIFIED,
                       **capabilities)
    db.session.add(org)
    return org


def _parties(run: int) -> tuple[list[Organisation], Organisation, Organisation, User]:
    base = run * 1000
    producers = [_org(base + i, f"基准产废企业{run}-{i}", is_generator=True) for i in range(1, PRODUCERS + 1)]
    carrier = _org(base + 901, f"基准运输公司{run}", is_transporter=True)
    receiver = _org(base + 902, f"基准处置中心{run}", is_receiver=True)
    actor = User(email=f"bench-{run}@example.cn", name=f"基准操作员{run}", password_hash="!")  # cannot sign in
    db.session.add(actor)
    db.session.flush()
    return producers, carrier, receiver, actor


def _next_id(table: str) -> int:
    return (db.session.scalar(text(f"SELECT max(id) FROM {table}")) or 0) + 1  # noqa: S608 (fixed names)


def _plan(batches: int) -> Plan:
    run = 1 + (db.session.scalar(select(func.count()).select_from(Organisation)
                                 .where(Organisation.name.like("基准运输公司%"))) or 0)
    producers, carrier, receiver, actor = _parties(run)
    codes = tuple((w.id, w.code, ",".join(w.hazards), Waste(
        code=w.code, name=w.description, category_code=w.category.code, category_name=w.category.name,
        hazards=tuple(w.hazards), stream="hazardous", form="liquid")) for w in db.session.scalars(
        select(WasteCode).where(WasteCode.code.in_(WASTE_CODES)).order_by(WasteCode.code)))
    if not codes:
        raise click.ClickException("the waste catalogue is empty: run `wufei seed reference` first")
    days_needed = batches // (PRODUCERS * BATCHES_PER_DAY) + 2
    return Plan(producers=tuple((p.id, p.uscc, p.name) for p in producers),
                carrier=(carrier.id, carrier.uscc, carrier.name), receiver=(receiver.id, receiver.uscc, receiver.name),
                actor_id=actor.id, codes=codes, district=db.session.get(Division, DISTRICT).name,
                first_batch_id=_next_id("batches"), first_container_id=_next_id("containers"),
                first_event_id=_next_id("ledger_events"),
                start_day=china_today() - timedelta(days=days_needed + 30 * run))


def fill(containers: int, *, processes: int | None = None) -> dict:
    """Add at least `containers` containers (and 21 events per four) to the PostgreSQL database."""
    if db.engine.dialect.name != "postgresql":
        raise click.ClickException("the benchmark data needs PostgreSQL (DATABASE_URL=postgresql://…)")
    db.create_all()
    from .reference import load_reference_data

    load_reference_data()
    batches = -(-containers // CONTAINERS_PER_BATCH)
    plan = _plan(batches)
    db.session.commit()
    tasks = [(plan, start, min(start + CHUNK, batches)) for start in range(0, batches, CHUNK)]
    total_events = 0
    raw = db.engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        ctx = mp.get_context("fork")
        with ctx.Pool(processes or os.cpu_count() or 1) as pool, \
                click.progressbar(length=batches, label=f"{batches * CONTAINERS_PER_BATCH:,} containers",
                                  show_pos=True) as bar:
            for (start, stop), (batch_text, container_text, event_text, snapshot_text, events) in zip(
                    ((t[1], t[2]) for t in tasks), pool.imap(generate_chunk, tasks), strict=True):
                for table, columns, payload in (("batches", BATCH_COLUMNS, batch_text),
                                                ("containers", CONTAINER_COLUMNS, container_text),
                                                ("ledger_events", EVENT_COLUMNS, event_text),
                                                ("trace_snapshots", SNAPSHOT_COLUMNS, snapshot_text)):
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        copy.write(payload.encode("utf-8"))
                raw.driver_connection.commit()
                total_events += events
                bar.update(stop - start)
        for table in ("batches", "containers", "ledger_events"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
        # fresh statistics for the tables filled and those the parties went into: with a stale row count for
        # organisations the planner hashes the whole table to name the organisation of each of 21 events
        for table in ("batches", "containers", "ledger_events", "trace_snapshots", "organisations", "users"):
            cursor.execute(f"ANALYZE {table}")
        raw.driver_connection.commit()
    finally:
        raw.close()
    return {"batches": batches, "containers": batches * CONTAINERS_PER_BATCH, "events": total_events,
            "first container": f"{plan.producers[0][1]}{plan.codes[0][1].replace('-', '')}"
                               f"{plan.start_day:%Y%m%d}001"}
