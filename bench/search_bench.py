"""Search benchmark: p50/p95 latency of GET /api/v1/listings with Meilisearch and with the SQL backend,
next to the raw Meilisearch query time (client round trip, and the server's own processingTimeMs),
over the same queries and N bulk-generated listings.

    .venv/bin/python bench/search_bench.py --n 100000 [--repeat 20]
DATABASE_URL (PostgreSQL) is used when set, else a fresh SQLite file under a temporary directory.
MEILISEARCH_URL / MEILISEARCH_API_KEY name a server; without them the pinned binary from node_modules
is started for the run. It prints figures; it is not a test.
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

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
QUERIES = [
    ("废机油", {}), ("废矿物油", {"hazardous": "true"}), ("粉煤灰", {"sort": "price"}), ("fly ash", {}),
    ("lead-acid battery", {}), ("900-214-08", {}), ("90005231", {}), ("石膏", {"district": "411202"}),
    ("", {"stream": "industrial", "price_max": "0"}), ("", {"near": "34.77,111.20", "radius_km": "10"}),
    ("污泥", {"near": "34.75,111.87", "radius_km": "30", "sort": "distance"}), ("", {"sort": "-quantity"}),
    ("长期供应 赤泥", {}), ("不存在的东西", {}),
]


def build_app(db_url: str, meili_url: str, key: str | None):
    from portal import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": db_url, "RATELIMIT_ENABLED": False, "MEILISEARCH_URL": meili_url,
                       "MEILISEARCH_API_KEY": key, "MEILISEARCH_INDEX_PREFIX": "bench_", "MEILISEARCH_TIMEOUT": 30.0,
                       "MEILISEARCH_TASK_TIMEOUT": 3600.0, "REDIS_URL": None})


def generate(n: int, seed: int = 7) -> None:
    """Insert n listings in bulk, with their search text computed as the services would."""
    from sqlalchemy import insert, select

    from marketplace.listings.models import UNITS, Listing
    from marketplace.search.synonyms import indexed_text
    from portal.accounts.models import Organisation, OrgStatus
    from portal.extensions import db
    from portal.regulatory.catalogue import lookup_waste_code
    from portal.regulatory.models import Division

    rng = random.Random(seed)
    org = Organisation(uscc="91411200MA00BENCHS", name="基准测试企业", address="三门峡", district_code="411202",
                       contact_name="测试", contact_phone="0398-0000000", status=OrgStatus.VERIFIED, is_generator=True)
    db.session.add(org)
    db.session.flush()
    entries = {k[2]: lookup_waste_code(k[2]) for k in KINDS}
    names = {d.code: d.name for d in db.session.scalars(select(Division))}
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        words, description, code, form, unit, (low, high) = rng.choice(KINDS)
        entry, district = entries[code], rng.choice(list(DISTRICTS))
        lat, lon = DISTRICTS[district]
        title = f"{words} {rng.choice(ADJECTIVES)} {rng.randint(1, 500)}{unit}"
        price = None if rng.random() < 0.1 else rng.randint(low, high)
        rows.append({
            "organisation_id": org.id, "title": title, "description": description, "waste_code_id": entry.id,
            "waste_code": entry.code, "category_code": entry.category.code,
            "stream": "hazardous" if entry.hazardous else "industrial", "hazardous": entry.hazardous, "form": form,
            "quantity_g": rng.randint(1, 5000) * UNITS[unit], "reserved_g": 0, "unit": unit, "supply": "one_off",
            "district_code": district, "lat": Decimal(f"{lat + rng.uniform(-0.15, 0.15):.6f}"),
            "lon": Decimal(f"{lon + rng.uniform(-0.15, 0.15):.6f}"), "price_fen": price, "price_unit": unit,
            "price_per_t_fen": None if price is None else price * (1_000_000 // UNITS[unit]), "currency": "CNY",
            "quality": {}, "status": "published" if rng.random() < 0.9 else "paused",
            "search_text": indexed_text(title, description, entry.code, entry.category.code, entry.category.name,
                                        entry.description, names[district]),
            "published_at": start + timedelta(minutes=i), "created_at": start + timedelta(minutes=i),
            "updated_at": start + timedelta(minutes=i)})
        if len(rows) == 5000:
            db.session.execute(insert(Listing), rows)
            rows = []
    if rows:
        db.session.execute(insert(Listing), rows)
    db.session.commit()


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def measure(app, repeat: int) -> list[tuple]:
    from werkzeug.datastructures import MultiDict

    from marketplace.search.backends import MeilisearchBackend
    from marketplace.search.params import parse_filters, parse_geo, parse_sort

    client = app.test_client()
    rows = []
    for query, args in QUERIES:
        timings = {"api_meili": [], "api_sql": [], "raw_meili": [], "meili_server": []}
        totals = {}
        for backend in ("auto", "sql"):
            app.config["SEARCH_BACKEND"] = backend
            for _ in range(repeat):
                t = time.perf_counter()
                response = client.get("/api/v1/listings", query_string={"q": query, **args})
                timings["api_meili" if backend == "auto" else "api_sql"].append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200, response.get_data(as_text=True)
                totals[response.json["backend"]] = response.json["total"]
        app.config["SEARCH_BACKEND"] = "auto"
        params = MultiDict({"q": query, **args})
        with app.test_request_context():
            geo = parse_geo(params)
            filters, sort = parse_filters(params), parse_sort(params, geo)
            for _ in range(repeat):
                t = time.perf_counter()
                answer = MeilisearchBackend().raw_search(query, filters, sort, 1, 20, geo)
                timings["raw_meili"].append((time.perf_counter() - t) * 1000)
                timings["meili_server"].append(float(answer["processingTimeMs"]))
        label = (query or "—") + (" " + " ".join(f"{k}={v}" for k, v in args.items()) if args else "")
        rows.append((label, totals, {k: percentiles(v) for k, v in timings.items()}))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="listings to generate")
    parser.add_argument("--repeat", type=int, default=20, help="runs of each query per backend")
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="search_bench_"))
    db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    db_url = db_url.replace("postgresql://", "postgresql+psycopg://", 1)
    server = None
    meili_url, key = os.environ.get("MEILISEARCH_URL"), os.environ.get("MEILISEARCH_API_KEY")
    if not meili_url:
        from tests.meilisearch_server import MeilisearchServer

        server = MeilisearchServer(workdir / "meili")
        server.start()
        meili_url, key = server.url, server.master_key
    try:
        app = build_app(db_url, meili_url, key)
        from marketplace.search.meili import reindex
        from portal.extensions import db
        from portal.regulatory.reference import load_reference_data

        with app.app_context():
            db.drop_all()
            db.create_all()
            load_reference_data()
            db.session.commit()
            t = time.perf_counter()
            generate(options.n)
            print(f"generated N={options.n} listings in {time.perf_counter() - t:.1f}s ({db.engine.dialect.name})")
            t = time.perf_counter()
            reindex()
            print(f"indexed into Meilisearch (reindex + swap) in {time.perf_counter() - t:.1f}s")
        rows = measure(app, options.repeat)
    finally:
        if server is not None:
            server.stop()
    print(f"\nN={options.n} listings, {options.repeat} runs per query; milliseconds p50 / p95")
    header = f"{'query':44} {'hits':>7} {'API+Meili':>15} {'API+SQL':>17} {'raw Meili':>13} {'Meili server':>13}"
    print(header)
    print("-" * len(header))
    for label, totals, t in rows:
        hits = str(totals.get("meilisearch", "?")) + ("" if totals.get("meilisearch") == totals.get("sql") else
                                                      f"/{totals.get('sql')}")
        print(f"{label[:44]:44} {hits:>7} {t['api_meili'][0]:7.1f}/{t['api_meili'][1]:7.1f} "
              f"{t['api_sql'][0]:8.1f}/{t['api_sql'][1]:8.1f} {t['raw_meili'][0]:6.1f}/{t['raw_meili'][1]:6.1f} "
              f"{t['meili_server'][0]:6.1f}/{t['meili_server'][1]:6.1f}")
    overall = {k: percentiles([x for _l, _t, tt in rows for x in [tt[k][0]]]) for k in rows[0][2]}
    print(f"{'median of the per-query p50s':44} {'':>7} {overall['api_meili'][0]:15.1f} {overall['api_sql'][0]:17.1f} "
          f"{overall['raw_meili'][0]:13.1f} {overall['meili_server'][0]:13.1f}")
    print(f"RESULT n={options.n} api_meili_p50_ms={overall['api_meili'][0]:.1f} api_sql_p50_ms={overall['api_sql'][0]:.1f} "
          f"raw_meili_p50_ms={overall['raw_meili'][0]:.1f} meili_server_p50_ms={overall['meili_server'][0]:.1f}")


if __name__ == "__main__":
    main()
