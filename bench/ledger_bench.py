"""Ledger benchmark on PostgreSQL: append throughput against the database's own ceiling (a loop inserting one
row of the same width and committing, through the same engine), four writer processes on separate batches and
on one batch, the bulk path (COPY) and the time `verify_all` takes per million events.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/somedb .venv/bin/python bench/ledger_bench.py
Without DATABASE_URL a fresh database is created on 127.0.0.1 and dropped afterwards. It prints figures;
it is not a test. Each append is its own transaction (commit per event), as a request or a scan would do, and
nothing runs after the commit: the append deletes the batch's trace snapshot in its own statement and the first
public read builds it again (bench/trace_bench.py measures the reads).
Last line: RESULT ledger_per_s=… ceiling_per_s=… ratio=… bulk_per_s=… writers4_scale=… (and more figures).
"""
import argparse
import itertools
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _app(url: str):
    from portal import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1),
                       "RATELIMIT_ENABLED": False, "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True}})


def _setup(url: str) -> tuple[int, int, int]:
    """Tables, reference data, one verified generator; returns (org id, user id, waste code id)."""
    from sqlalchemy import select

    from portal.accounts.models import Organisation, OrgStatus, User
    from portal.extensions import db
    from portal.regulatory.models import WasteCode
    from portal.regulatory.reference import load_reference_data

    app = _app(url)
    with app.app_context():
        db.create_all()
        load_reference_data()
        org = db.session.scalar(select(Organisation).where(Organisation.uscc == "91411200MA00BENCH0"))
        if org is None:
            org = Organisation(uscc="91411200MA00BENCH0", name="基准测试企业", address="三门峡", district_code="411202",
                               contact_name="x", contact_phone="x", status=OrgStatus.VERIFIED, is_generator=True)
            user = User(email="bench@example.cn", name="bench", password_hash="x")
            db.session.add_all([org, user])
            db.session.commit()
        user = db.session.scalar(select(User).where(User.email == "bench@example.cn"))
        code = db.session.scalar(select(WasteCode).where(WasteCode.code == "900-249-08"))
        return org.id, user.id, code.id


def _new_batches(n: int, org_id: int, code_id: int) -> list[int]:
    from portal.clock import china_today
    from portal.extensions import db
    from portal.regulatory.batches.models import Batch

    batches = [Batch(organisation_id=org_id, waste_code_id=code_id, waste_code="900-249-08", quantity_g=1000,
                     unit_label="kg", form="liquid", packaging="桶", hazards="T,I", generated_on=china_today())
               for _ in range(n)]
    db.session.add_all(batches)
    db.session.commit()
    return [b.id for b in batches]


def _append(batch_ids: list[int], events: int, org_id: int, user_id: int, commit_every: int = 1) -> float:
    """Append events round-robin over batch_ids, each in its own transaction; returns elapsed seconds. The
    batches are loaded once, as a request has its batch in hand when it appends."""
    from portal.extensions import db
    from portal.regulatory.batches.models import Batch
    from portal.regulatory.ledger.services import append_event

    batches = [db.session.get(Batch, batch_id) for batch_id in batch_ids]
    db.session.commit()
    start = time.perf_counter()
    for i in range(events):
        append_event(batches[i % len(batches)], "weighed", actor=user_id, organisation=org_id, quantity_g=1000 + i,
                     place="地磅1", lat="34.772300", lon="111.200100", data={"device": "scale-1", "n": i})
        if (i + 1) % commit_every == 0:
            db.session.commit()
    db.session.commit()
    return time.perf_counter() - start


_CEILING_SEQ = itertools.count(1)  # (batch_id, seq) is unique there too


def _ceiling(events: int, org_id: int, user_id: int, batch_id: int) -> float:
    """The database's own ceiling: insert one row of the ledger's width (same columns, indexes and values,
    hashes included) and commit, in a loop, through the same engine's psycopg connection. Elapsed seconds."""
    from datetime import UTC, datetime

    from portal.extensions import db
    from portal.regulatory.ledger.models import GENESIS_HASH

    with db.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS ledger_ceiling (LIKE ledger_events INCLUDING ALL)")
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        statement = ("INSERT INTO ledger_ceiling (batch_id, seq, event_type, container_id, organisation_id, actor_id,"
                     " occurred_at, recorded_at, place, lat, lon, quantity_g, data, prev_hash, hash) VALUES "
                     "(%s, %s, 'weighed', NULL, %s, %s, %s, %s, '地磅1', 34.772300, 111.200100, %s, %s, %s, %s)")
        start = time.perf_counter()
        for i in range(events):
            now = datetime.now(UTC)
            cursor.execute(statement, (batch_id, next(_CEILING_SEQ), org_id, user_id, now, now, 1000 + i,
                                       f'{{"device":"scale-1","n":{i}}}', GENESIS_HASH, "f" * 64))
            raw.commit()
        return time.perf_counter() - start
    finally:
        raw.close()


def _bulk_records(batch_ids: list[int], per_batch: int, org_id: int, user_id: int) -> list[dict]:
    """A replay's worth of weighbridge events, per_batch of them for each batch, interleaved as a day's would be."""
    from datetime import UTC, datetime, timedelta

    base = datetime(2025, 1, 1, tzinfo=UTC)
    return [{"batch_id": batch_id, "event_type": "weighed", "actor": user_id, "organisation": org_id,
             "occurred_at": base + timedelta(seconds=seq), "place": "地磅1", "lat": "34.772300", "lon": "111.200100",
             "quantity_g": 1000 + seq, "data": {"device": "scale-1", "n": seq}}
            for seq in range(1, per_batch + 1) for batch_id in batch_ids]


def _bulk(events: int, org_id: int, user_id: int, code_id: int, per_batch: int = 100) -> float:
    """The bulk path (COPY, chains hashed in order, heads moved once, snapshots deleted) with its commit.
    Elapsed seconds."""
    from portal.extensions import db
    from portal.regulatory.ledger.bulk import bulk_append

    ids = _new_batches(max(1, events // per_batch), org_id, code_id)
    records = _bulk_records(ids, per_batch, org_id, user_id)
    start, cpu = time.perf_counter(), time.process_time()
    done = bulk_append(records)
    appended, cpu = time.perf_counter() - start, time.process_time() - cpu
    db.session.commit()
    elapsed = time.perf_counter() - start
    assert done.events == len(records)
    print(f"  bulk: hashing and COPY {appended:.2f} s ({done.events / appended:.0f} events/s), commit "
          f"{elapsed - appended:.2f} s; this process's CPU for hashing and COPY {cpu:.2f} s "
          f"({done.events / cpu:.0f} events per CPU second: the rate on a machine not shared with other work)")
    _bulk.cpu_per_s = done.events / cpu
    return elapsed


def _bulk_fill(events: int, org_id: int, user_id: int, code_id: int, chain: int = 20) -> float:
    """Chains of `chain` events through the bulk path, 10,000 events a transaction: the verify timing needs a
    big ledger."""
    from portal.extensions import db
    from portal.regulatory.ledger.bulk import bulk_append

    start = time.perf_counter()
    for offset in range(0, events, 10_000):
        ids = _new_batches(min(10_000, events - offset) // chain or 1, org_id, code_id)
        bulk_append(_bulk_records(ids, chain, org_id, user_id))
        db.session.commit()
    return time.perf_counter() - start


def _worker(url, batch_ids, events, org_id, user_id, barrier, results):
    app = _app(url)
    with app.app_context():
        barrier.wait()
        results.put(_append(batch_ids, events, org_id, user_id))


def _concurrent(url, org_id, user_id, code_id, events_each: int, shared: bool) -> tuple[float, int]:
    from portal.extensions import db

    app = _app(url)
    with app.app_context():
        ids = _new_batches(1 if shared else 4 * 10, org_id, code_id)
        db.session.remove()
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(5), ctx.Queue()
    parts = [ids] * 4 if shared else [ids[i::4] for i in range(4)]
    procs = [ctx.Process(target=_worker, args=(url, part, events_each, org_id, user_id, barrier, results))
             for part in parts]
    for p in procs:
        p.start()
    barrier.wait()
    start = time.perf_counter()
    for p in procs:
        p.join()
    wall = time.perf_counter() - start
    for _ in procs:
        results.get()
    if shared:
        with app.app_context():
            from portal.regulatory.ledger.services import verify_batch

            assert verify_batch(ids[0]) == [], "concurrent appends broke the chain"
            db.session.remove()
    return wall, 4 * events_each


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000, help="appends per writer in the throughput runs (0 skips them)")
    parser.add_argument("--bulk-events", type=int, default=50_000, help="events in the bulk run (0 skips it)")
    parser.add_argument("--verify-events", type=int, default=200_000, help="ledger size for the verify timing")
    args = parser.parse_args()
    url, created = os.environ.get("DATABASE_URL"), None
    if not url:
        import psycopg

        created = f"wufei_ledger_bench_{os.getpid()}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{created}"')
        url = ADMIN_URL.rsplit("/", 1)[0] + "/" + created
    try:
        run(url, args)
    finally:
        if created:
            import psycopg

            with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{created}" WITH (FORCE)')


def run(url: str, args) -> None:
    org_id, user_id, code_id = _setup(url)
    print(f"database: {url.rsplit('@', 1)[-1]}")
    app = _app(url)
    figures = throughput(url, app, org_id, user_id, code_id, args.events) if args.events else {}
    if args.bulk_events:
        with app.app_context():
            elapsed = _bulk(args.bulk_events, org_id, user_id, code_id)
        print(f"bulk path (COPY), one transaction:    {args.bulk_events / elapsed:8.0f} events/s "
              f"({args.bulk_events} in {elapsed:.2f} s, 100 events a batch, commit included)")
        figures["bulk_per_s"] = f"{args.bulk_events / elapsed:.0f}"
        figures["bulk_per_cpu_s"] = f"{_bulk.cpu_per_s:.0f}"
    if figures.get("ledger_per_s") and figures.get("four_writers_per_s"):
        figures["writers4_scale"] = f"{float(figures['four_writers_per_s']) / float(figures['ledger_per_s']):.2f}"
    figures["verify_s_per_million"] = f"{verify_timing(app, org_id, user_id, code_id, args.verify_events):.1f}"
    first = ("ledger_per_s", "ceiling_per_s", "ratio", "bulk_per_s", "writers4_scale")
    ordered = [key for key in first if key in figures] + [key for key in figures if key not in first]
    print("RESULT " + " ".join(f"{key}={figures[key]}" for key in ordered))


def throughput(url, app, org_id, user_id, code_id, events: int) -> dict:
    """Events per second by one writer against the ceiling, and by four; the figures for the RESULT line.
    The ceiling and the one writer alternate in rounds, so that a neighbour's load falls on both alike."""
    ledger_s = ceiling_s = 0.0
    rounds = 4
    with app.app_context():
        ids = _new_batches(10, org_id, code_id)
        _append(ids, 20, org_id, user_id)  # warm: statements compiled, connection in the pool
        for _round in range(rounds):
            ceiling_s += _ceiling(events // rounds, org_id, user_id, ids[0])
            ledger_s += _append(ids, events // rounds, org_id, user_id)
    done = events // rounds * rounds
    ledger, ceiling = done / ledger_s, done / ceiling_s
    print(f"ceiling: insert one row and commit:   {ceiling:8.0f} rows/s ({done} in {ceiling_s:.2f} s)")
    print(f"1 writer, commit per event:           {ledger:8.0f} events/s ({done} in {ledger_s:.2f} s) "
          f"= {ledger / ceiling:.0%} of the ceiling")
    figures = {"ledger_per_s": f"{ledger:.0f}", "ceiling_per_s": f"{ceiling:.0f}", "ratio": f"{ledger / ceiling:.2f}"}
    for shared, label, key in ((False, "4 writers, separate batches:         ", "four_writers_per_s"),
                               (True, "4 writers, one shared batch:         ", "four_writers_shared_per_s")):
        wall, total = _concurrent(url, org_id, user_id, code_id, events, shared)
        print(f"{label}{total / wall:8.0f} events/s ({total} in {wall:.2f} s, processes)")
        figures[key] = f"{total / wall:.0f}"
    return figures


def verify_timing(app, org_id, user_id, code_id, target: int) -> float:
    """Seconds per million events for verify_all (printed, and returned for the RESULT line)."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.regulatory.ledger.models import LedgerEvent
    from portal.regulatory.ledger.services import verify_all_counted

    with app.app_context():
        have = db.session.scalar(select(func.count()).select_from(LedgerEvent))
        missing = max(0, target - have)
        if missing:
            fill = _bulk_fill(missing, org_id, user_id, code_id)
            print(f"filled {missing} correctly chained events for the verify timing by bulk insert in {fill:.1f} s")
        db.session.remove()
        start = time.perf_counter()
        count, problems = verify_all_counted()
        elapsed = time.perf_counter() - start
    assert not problems, problems[:5]
    print(f"verify_all: {count} events in {elapsed:.2f} s → {elapsed * 1_000_000 / count:.1f} s per million events "
          f"(measured on {count} events in ~20-event chains and scaled linearly; the check is one streamed pass)")
    return elapsed * 1_000_000 / count


if __name__ == "__main__":
    main()
