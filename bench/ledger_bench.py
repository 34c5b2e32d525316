"""Ledger benchmark on PostgreSQL: append throughput (one writer; four writer processes on separate
batches and on one batch) and the time `verify_all` takes per million events.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/somedb .venv/bin/python bench/ledger_bench.py
Without DATABASE_URL a fresh database is created on 127.0.0.1 and dropped afterwards. It prints figures;
it is not a test. Each append is its own transaction (commit per event), as a request or a scan would do.
"""
import argparse
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
    """Append events round-robin over batch_ids; returns elapsed seconds."""
    from portal.extensions import db
    from portal.regulatory.batches.models import Batch
    from portal.regulatory.ledger.services import append_event

    start = time.perf_counter()
    for i in range(events):
        batch = db.session.get(Batch, batch_ids[i % len(batch_ids)])
        append_event(batch, "weighed", actor=user_id, organisation=org_id, quantity_g=1000 + i, place="地磅1",
                     lat="34.772300", lon="111.200100", data={"device": "scale-1", "n": i})
        if (i + 1) % commit_every == 0:
            db.session.commit()
    db.session.commit()
    return time.perf_counter() - start


def _bulk_fill(events: int, org_id: int, user_id: int, code_id: int, chain: int = 20) -> float:
    """Chains of `chain` events hashed exactly as append_event does, written with executemany: the
    verify timing needs a big ledger, not another append measurement."""
    from datetime import UTC, datetime, timedelta
    from decimal import Decimal

    from sqlalchemy import insert, update

    from portal.extensions import db
    from portal.regulatory.batches.models import Batch
    from portal.regulatory.ledger.models import GENESIS_HASH, LedgerEvent
    from portal.regulatory.ledger.services import compute_hash

    start = time.perf_counter()
    base = datetime(2025, 1, 1, tzinfo=UTC)
    for offset in range(0, events, 10_000):
        ids = _new_batches(min(10_000, events - offset) // chain or 1, org_id, code_id)
        rows, heads = [], []
        for batch_id in ids:
            prev = GENESIS_HASH
            for seq in range(1, chain + 1):
                row = {"batch_id": batch_id, "seq": seq, "event_type": "weighed", "container_id": None,
                       "organisation_id": org_id, "actor_id": user_id, "occurred_at": base + timedelta(seconds=seq),
                       "place": "地磅1", "lat": Decimal("34.772300"), "lon": Decimal("111.200100"),
                       "quantity_g": 1000 + seq, "data": {"device": "scale-1", "n": seq}, "prev_hash": prev}
                row["hash"] = prev = compute_hash(row)
                row["recorded_at"] = base
                rows.append(row)
            heads.append({"id": batch_id, "ledger_head_seq": chain, "ledger_head_hash": prev})
        db.session.execute(insert(LedgerEvent), rows)
        db.session.execute(update(Batch), heads)
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
    return wall, 4 * events_each


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=2000, help="appends per writer in the throughput runs (0 skips them)")
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
    figures["verify_s_per_million"] = f"{verify_timing(app, org_id, user_id, code_id, args.verify_events):.1f}"
    print("RESULT " + " ".join(f"{key}={value}" for key, value in figures.items()))


def throughput(url, app, org_id, user_id, code_id, events: int) -> dict:
    """Events per second by one writer and by four; the figures for the RESULT line."""
    with app.app_context():
        ids = _new_batches(10, org_id, code_id)
        elapsed = _append(ids, events, org_id, user_id)
    print(f"1 writer, commit per event:           {events / elapsed:8.0f} events/s ({events} in {elapsed:.2f} s)")
    figures = {"one_writer_events_per_s": f"{events / elapsed:.0f}"}
    for shared, label, key in ((False, "4 writers, separate batches:         ", "four_writers_events_per_s"),
                               (True, "4 writers, one shared batch:         ", "four_writers_shared_events_per_s")):
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
