"""One map benchmark: the generators layer of /command/map with --points organisations spread over the city,
answered for the views a regulator pans and zooms through (the whole city at zoom 9, a district at 12, a town at
15, streets at 18), side by side with the reference a map without server-side clustering would need: every
point of the layer read and serialised in one answer.

    .venv/bin/python bench/map_bench.py [--points 100000] [--server postgresql://postgres@127.0.0.1:5432]

It creates a fresh PostgreSQL database on --server (or BENCH_PG_SERVER), or a SQLite file with --sqlite, fills
it with the reference data and the points (written in bulk: the map reads rows, it does not care how they were
made), measures each view through the application (a signed-in city regulator, the real endpoint), and drops
the database. It prints figures; it is not a test.
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal import create_app  # noqa: E402
from portal.accounts.models import Department, Organisation, OrgStatus, Regulator, User  # noqa: E402
from portal.auth import SESSION_VERSION_KEY  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.jurisdiction import jurisdiction_code  # noqa: E402

# the city's box (WGS-84) and the views measured: (name, zoom, west, south, east, north)
CITY = (110.35, 33.50, 112.10, 35.10)
VIEWS = (("city", 9, *CITY), ("district", 12, 110.80, 34.45, 111.00, 34.60),
         ("town", 15, 110.86, 34.50, 110.89, 34.52), ("streets", 18, 110.870, 34.510, 110.874, 34.513))
DISTRICTS = ("411202", "411203", "411221", "411224", "411281", "411282")
ROUNDS = 20


def _database(args) -> tuple[str, callable]:
    if args.sqlite:
        path = Path(tempfile.mkdtemp()) / "map_bench.db"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    server = args.server or os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432")
    name = f"wufei_map_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(f"{server.replace('postgresql://', 'postgresql+psycopg://', 1)}/postgres",
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    return f"{server.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}", drop


def _fill(points: int) -> int:
    from portal.regulatory.reference import load_reference_data

    db.create_all()
    load_reference_data()
    rng = random.Random(17)
    west, south, east, north = CITY
    for start in range(0, points, 10_000):
        rows = [{"uscc": f"BENCH{n:013d}", "name": f"产废单位{n:06d}", "address": "三门峡市", "contact_name": "联系人",
                 "district_code": DISTRICTS[n % len(DISTRICTS)], "contact_phone": "0398-0000000",
                 "lat": round(rng.uniform(south, north), 6), "lon": round(rng.uniform(west, east), 6),
                 "is_generator": True, "status": OrgStatus.VERIFIED}
                for n in range(start, min(start + 10_000, points))]
        db.session.execute(insert(Organisation), rows)
    user = User(email="bench.regulator@example.cn", name="基准", password_hash="x", totp_enabled=True)
    db.session.add(user)
    db.session.flush()
    db.session.add(Regulator(user_id=user.id, department=Department.ECOLOGY, jurisdiction_code=jurisdiction_code()))
    db.session.commit()
    return user.id


def _timed(fn, rounds: int = ROUNDS) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.95) - 1)], result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--server")
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    url, drop = _database(args)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "RATELIMIT_ENABLED": False})
    results = {}
    try:
        with app.app_context():
            started = time.perf_counter()
            user_id = _fill(args.points)
            print(f"filled {args.points} points in {time.perf_counter() - started:.1f} s ({url.split('@')[-1]})")
        client = app.test_client()
        with client.session_transaction() as session:
            session.update({"_user_id": str(user_id), "_fresh": True, "totp_ok": True, SESSION_VERSION_KEY: 0})
        client.get("/command/map/districts.geojson")  # the first request warms the app up
        for name, zoom, *box in VIEWS:
            query = {"bbox": ",".join(map(str, box)), "zoom": zoom}
            p50, p95, response = _timed(lambda q=query: client.get("/command/map/layers/generators.json", query_string=q))
            data = response.get_json()
            assert response.status_code == 200, response.get_data(as_text=True)
            print(f"{name:9} zoom {zoom:2}: {len(data['features']):5} markers for {data['total']:6} points, "
                  f"{len(response.data) / 1024:7.1f} KiB, p50 {p50:6.1f} ms, p95 {p95:6.1f} ms")
            results[name] = (p95, len(data["features"]))
        with app.test_request_context():
            p50, p95, rows = _timed(lambda: db.session.execute(select(
                Organisation.id, Organisation.lat, Organisation.lon, Organisation.name)).all(), rounds=5)
            print(f"reference: all {len(rows)} points read in one answer, p50 {p50:.1f} ms, p95 {p95:.1f} ms "
                  "(before any JSON or drawing)")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop()
    figures = " ".join(f"{name}_p95_ms={p95:.1f} {name}_markers={markers}" for name, (p95, markers) in results.items())
    print(f"RESULT points={args.points} {figures} reference_all_points_p95_ms={p95:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
