"""Search benchmark: p50/p95 latency of the SQL backend on PostgreSQL and on SQLite (through the inverted index,
next to the plain LIKE scan it replaced), of GET /api/v1/listings over Meilisearch, and of the raw Meilisearch
client, over the same queries and N generated listings.

    .venv/bin/python bench/search_bench.py [--n 100000] [--repeat 20] [--like-repeat 3]

It creates a fresh PostgreSQL database on BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres)
and a fresh SQLite file, drops both at the end, and starts the pinned Meilisearch binary from node_modules unless
MEILISEARCH_URL / MEILISEARCH_API_KEY name a server. The SQL figures time SqlBackend.search (query, count, facets
and the page of listings); the API figure times the whole request. p95 is over all runs of all queries. It prints
figures; it is not a test. The last line is `RESULT sql_pg_p95_ms=… sql_sqlite_p95_ms=… api_p95_ms=… raw_p95_ms=…
api_over_raw=…`.
"""
import argparse
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# (title words, description, code, form, unit, price range fen per unit)
KINDS = [
    ("废矿物油", "机修厂产生的废润滑油，桶装", "900-214-08", "liquid", "t", (80000, 250000)),
    ("废铅蓄电池", "汽车启动用铅酸蓄电池", "900-052-31", "solid", "t", (400000, 900000)),
    ("焚烧飞灰", "生活垃圾焚烧厂飞灰，需螯合处理", "772-002-18", "powder", "t", (-200000, -80000)),
    ("废包装桶", "沾染矿物油的废弃包装物", "900-041-49", "solid", "t", (-100000, -20000)),
    ("废酸液", "钢材酸洗废酸", "900-300-34", "liquid", "t", (-50000, 20000)),
    ("粉煤灰", "燃煤电厂除尘收集，可作水泥掺合料", "SW02", "powder", "t", (1000, 8000)),
    ("脱硫石膏", "电厂湿法脱硫副产品", "SW06", "powder", "t", (500, 3000)),
    ("赤泥", "氧化铝厂拜耳法赤泥", "SW09", "sludge", "t", (-3000, 0)),
    ("冶炼废渣", "转炉钢渣", "SW01", "solid", "t", (1000, 5000)),
    ("煤矸石", "洗煤厂排出的矸石", "SW04", "solid", "t", (200, 1500)),
    ("尾矿砂", "金矿选矿尾矿", "SW05", "solid", "t", (0, 800)),
    ("废塑料", "PE 膜清洗后", "SW17", "solid", "kg", (50, 300)),
    ("废钢铁", "机加工边角料", "SW17", "solid", "t", (150000, 300000)),
    ("污泥", "工业废水处理污泥", "SW07", "sludge", "t", (-30000, -5000)),
]
ADJECTIVES = ["大量", "长期供应", "现货", "优质", "低价", "急售", "每月稳定", "可分批", "就近", "整批"]
DISTRICTS = {"411202": (34.77, 111.20), "411203": (34.72, 111.10), "411221": (34.77, 111.76),
             "411224": (34.05, 111.05), "411281": (34.75, 111.87), "411282": (34.52, 110.89)}
# the marketplace's holdout-style queries: materials, synonyms, English, codes, stream and category names, a typo,
# filters without text, geo, sorts, and a query that finds nothing
QUERIES = [
    ("废机油", {}), ("废矿物油", {"hazardous": "true"}), ("粉煤灰", {"sort": "price"}), ("fly ash", {}),
    ("lead-acid battery", {}), ("900-214-08", {}), ("90005231", {}), ("石膏", {"district": "411202"}),
    ("", {"stream": "industrial", "price_max": "0"}), ("", {"near": "34.77,111.20", "radius_km": "10"}),
    ("污泥", {"near": "34.75,111.87", "radius_km": "30", "sort": "distance"}), ("", {"sort": "-quantity"}),
    ("长期供应 赤泥", {}), ("不存在的东西", {}), ("危废", {}), ("一般工业固废 急售", {}), ("冶炼废渣", {}),
    ("塑料废料", {"sort": "-date"}), ("hazardus waste", {}), ("HW31", {}),
]
ORG_ID = 1


def build_app(db_url: str, meili_url: str, key: str | None):
    from portal import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": db_url, "RATELIMIT_ENABLED": False, "MEILISEARCH_URL": meili_url,
                       "MEILISEARCH_API_KEY": key, "MEILISEARCH_INDEX_PREFIX": "bench_", "MEILISEARCH_TIMEOUT": 30.0,
                       "MEILISEARCH_TASK_TIMEOUT": 3600.0, "REDIS_URL": None})


@cache
def _district_name(code: str) -> str:
    from portal.extensions import db
    from portal.regulatory.models import Division

    return db.session.get(Division, code).name


@cache
def _search_fields(title: str, description: str, code: str, district: str) -> tuple[str, str]:
    """search_text and search_tokens as the listing service computes them (cached: titles repeat)."""
    from marketplace.search.index import search_tokens
    from marketplace.search.synonyms import indexed_text, stream_names

    entry = _entry(code)
    search_text = indexed_text(title, description, entry.code, entry.category.code, entry.category.name,
                               entry.description, _district_name(district),
                               stream_names("hazardous" if entry.hazardous else "industrial"))
    return search_text, search_tokens(search_text)


@cache
def _entry(code: str):
    from portal.regulatory.catalogue import lookup_waste_code

    return lookup_waste_code(code)


def make_rows(n: int, seed: int = 7) -> list[dict]:
    """n listings as rows for a bulk INSERT (call in an app context: it looks codes up in the catalogue)."""
    from marketplace.listings.models import UNITS

    rng = random.Random(seed)
    entries = {k[2]: _entry(k[2]) for k in KINDS}
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        words, description, code, form, unit, (low, high) = rng.choice(KINDS)
        entry, district = entries[code], rng.choice(list(DISTRICTS))
        lat, lon = DISTRICTS[district]
        title = f"{words} {rng.choice(ADJECTIVES)} {rng.randint(1, 500)}{unit}"
        price = None if rng.random() < 0.1 else rng.randint(low, high)
        search_text, tokens = _search_fields(title, description, code, district)
        rows.append({
            "organisation_id": ORG_ID, "title": title, "description": description, "waste_code_id": entry.id,
            "waste_code": entry.code, "category_code": entry.category.code,
            "stream": "hazardous" if entry.hazardous else "industrial", "hazardous": entry.hazardous, "form": form,
            "quantity_g": rng.randint(1, 5000) * UNITS[unit], "reserved_g": 0, "unit": unit, "supply": "one_off",
            "district_code": district, "lat": Decimal(f"{lat + rng.uniform(-0.15, 0.15):.6f}"),
            "lon": Decimal(f"{lon + rng.uniform(-0.15, 0.15):.6f}"), "price_fen": price, "price_unit": unit,
            "price_per_t_fen": None if price is None else price * (1_000_000 // UNITS[unit]), "currency": "CNY",
            "quality": {}, "status": "published" if rng.random() < 0.9 else "paused",
            "search_text": search_text, "search_tokens": tokens,
            "published_at": start + timedelta(minutes=i), "created_at": start + timedelta(minutes=i),
            "updated_at": start + timedelta(minutes=i)})
    return rows


def prepare(app, rows: list[dict]) -> None:
    """Schema (with the search index), reference data, the organisation and the listings, in bulk."""
    from sqlalchemy import insert

    from marketplace.listings.models import Listing
    from portal.accounts.models import Organisation, OrgStatus
    from portal.extensions import db
    from portal.regulatory.reference import load_reference_data

    with app.app_context():
        db.drop_all()
        db.create_all()
        load_reference_data()
        db.session.add(Organisation(id=ORG_ID, uscc="91411200MA00BENCHS", name="基准测试企业", address="三门峡",
                                    district_code="411202", contact_name="测试", contact_phone="0398-0000000",
                                    status=OrgStatus.VERIFIED, is_generator=True))
        db.session.flush()
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(Listing), rows[start:start + 5000])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE listings"))
            db.session.commit()


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _parsed(app, query: str, args: dict):
    from werkzeug.datastructures import MultiDict

    from marketplace.search.params import parse_filters, parse_geo, parse_sort

    params = MultiDict({"q": query, **args})
    with app.test_request_context():
        geo = parse_geo(params)
        return parse_filters(params), parse_sort(params, geo), geo


def time_sql(app, query: str, args: dict, repeat: int, use_index: bool = True) -> tuple[list[float], int]:
    """SqlBackend.search, each run in a fresh session (no identity map carried over)."""
    from marketplace.search.backends import SqlBackend
    from portal.extensions import db

    filters, sort, geo = _parsed(app, query, args)
    timings, total = [], None
    for _ in range(repeat):
        with app.test_request_context():
            t = time.perf_counter()
            result = SqlBackend(use_index=use_index).search(query, filters, sort, 1, 20, geo)
            timings.append((time.perf_counter() - t) * 1000)
            total = result.total
            db.session.remove()
    return timings, total


def time_meili(app, query: str, args: dict, repeat: int) -> dict:
    from marketplace.search.backends import MeilisearchBackend

    client = app.test_client()
    out = {"api": [], "raw": [], "server": [], "api_total": None}
    for _ in range(repeat):
        t = time.perf_counter()
        response = client.get("/api/v1/listings", query_string={"q": query, **args})
        out["api"].append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200 and response.json["backend"] == "meilisearch", response.get_data(True)
        out["api_total"] = response.json["total"]
    filters, sort, geo = _parsed(app, query, args)
    with app.test_request_context():
        for _ in range(repeat):
            t = time.perf_counter()
            answer = MeilisearchBackend().raw_search(query, filters, sort, 1, 20, geo)
            out["raw"].append((time.perf_counter() - t) * 1000)
            out["server"].append(float(answer["processingTimeMs"]))
    return out


def measure(pg_app, sqlite_app, repeat: int, like_repeat: int) -> list[tuple]:
    rows = []
    for query, args in QUERIES:
        t = {}
        t["sql_pg"], pg_total = time_sql(pg_app, query, args, repeat)
        t["sql_sqlite"], sqlite_total = time_sql(sqlite_app, query, args, repeat)
        if like_repeat:
            t["like_pg"], like_total = time_sql(pg_app, query, args, like_repeat, use_index=False)
            t["like_sqlite"], _ = time_sql(sqlite_app, query, args, like_repeat, use_index=False)
            assert like_total == pg_total, (query, like_total, pg_total)  # the index changes speed, not answers
        meili = time_meili(pg_app, query, args, repeat)
        t.update(api=meili["api"], raw=meili["raw"], server=meili["server"])
        label = (query or "—") + (" " + " ".join(f"{k}={v}" for k, v in args.items()) if args else "")
        rows.append((label, (pg_total, sqlite_total, meili["api_total"]), t))
    return rows


def report(rows: list[tuple], n: int, repeat: int, like_repeat: int) -> None:
    columns = ["sql_pg", "sql_sqlite", "like_pg", "like_sqlite", "api", "raw", "server"]
    columns = [c for c in columns if c in rows[0][2]]
    print(f"\nN={n} listings, {repeat} runs per query ({like_repeat} for the LIKE scans); ms p50/p95; "
          "hits on PostgreSQL/SQLite/Meilisearch")
    header = f"{'query':36} {'hits':>17} " + " ".join(f"{c:>15}" for c in columns)
    print(header)
    print("-" * len(header))
    for label, totals, t in rows:
        hits = "/".join(str(x) for x in totals)
        print(f"{label[:36]:36} {hits:>17} " + " ".join(
            "{:7.1f}/{:7.1f}".format(*percentiles(t[c])) for c in columns))
    pooled = {c: percentiles([x for _l, _t, tt in rows for x in tt[c]]) for c in columns}
    print(f"{'all runs of all queries':36} {'':>17} " + " ".join("{:7.1f}/{:7.1f}".format(*pooled[c]) for c in columns))
    extra = (f" like_pg_p95_ms={pooled['like_pg'][1]:.1f} like_sqlite_p95_ms={pooled['like_sqlite'][1]:.1f}"
             if "like_pg" in pooled else "")
    print(f"RESULT n={n} sql_pg_p95_ms={pooled['sql_pg'][1]:.1f} sql_sqlite_p95_ms={pooled['sql_sqlite'][1]:.1f} "
          f"api_p95_ms={pooled['api'][1]:.1f} raw_p95_ms={pooled['raw'][1]:.1f} "
          f"api_over_raw={pooled['api'][1] / pooled['raw'][1]:.2f}{extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="listings to generate")
    parser.add_argument("--repeat", type=int, default=20, help="runs of each query per backend")
    parser.add_argument("--like-repeat", type=int, default=3, help="runs of the LIKE-scan reference (0: skip it)")
    options = parser.parse_args()
    # a `kill` still drops the database and stops Meilisearch (the finally below)
    signal.signal(signal.SIGTERM, lambda *_args: sys.exit(1))
    workdir = Path(tempfile.mkdtemp(prefix="search_bench_"))
    server_url = make_url(os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
                          .replace("postgresql://", "postgresql+psycopg://", 1))
    database = f"search_bench_{os.getpid()}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    server = None
    meili_url, key = os.environ.get("MEILISEARCH_URL"), os.environ.get("MEILISEARCH_API_KEY")
    try:
        if not meili_url:
            from tests.meilisearch_server import MeilisearchServer

            server = MeilisearchServer(workdir / "meili")
            server.start()
            meili_url, key = server.url, server.master_key
        pg_app = build_app(server_url.set(database=database).render_as_string(hide_password=False), meili_url, key)
        sqlite_app = build_app(f"sqlite:///{workdir / 'bench.db'}", meili_url, key)
        from marketplace.search.meili import reindex

        with pg_app.app_context():
            prepare(pg_app, [])
            t = time.perf_counter()
            rows = make_rows(options.n)
            print(f"computed {options.n} listings' search fields in {time.perf_counter() - t:.1f}s")
        for app in (pg_app, sqlite_app):
            t = time.perf_counter()
            prepare(app, rows)
            with app.app_context():
                from portal.extensions import db

                print(f"inserted {options.n} listings into {db.engine.dialect.name} (index maintained by the database) "
                      f"in {time.perf_counter() - t:.1f}s")
        with pg_app.app_context():
            t = time.perf_counter()
            reindex(echo=False)
            print(f"indexed into Meilisearch (reindex + swap) in {time.perf_counter() - t:.1f}s")
        results = measure(pg_app, sqlite_app, options.repeat, options.like_repeat)
        for app in (pg_app, sqlite_app):
            with app.app_context():
                db.engine.dispose()
    finally:
        if server is not None:
            server.stop()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(workdir, ignore_errors=True)
    report(results, options.n, options.repeat, options.like_repeat)


if __name__ == "__main__":
    main()
