"""Listings API over Meilisearch against the raw Meilisearch client, side by side: where the API's time goes.

For the queries of bench/search_bench.py over N generated listings (its generator), it times GET /api/v1/listings
served by Meilisearch and the raw client call the API makes (MeilisearchBackend.raw_search) for the same
query, interleaved, and counts the SQL statements each API request issues (an SQLAlchemy event listener).
The SQL backend is not measured here (bench/search_bench.py does).

    .venv/bin/python bench/api_search_bench.py [--n 100000] [--repeat 30]

DATABASE_URL (PostgreSQL) is used when set, else a fresh SQLite file under a temporary directory. Meilisearch
is the pinned binary from node_modules, started for the run. It prints figures; it is not a test.
"""
import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search_bench import QUERIES, build_app, generate  # noqa: E402


def measure(app, repeat: int) -> list[tuple]:
    from sqlalchemy import event
    from werkzeug.datastructures import MultiDict

    from marketplace.search.backends import MeilisearchBackend
    from marketplace.search.params import parse_filters, parse_geo, parse_sort
    from portal.extensions import db

    client = app.test_client()
    statements = [0]

    def count(*_args):
        statements[0] += 1

    rows = []
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for query, args in QUERIES:
            api, raw, per_request = [], [], []
            params = MultiDict({"q": query, **args})
            for _ in range(repeat):
                statements[0] = 0
                t = time.perf_counter()
                response = client.get("/api/v1/listings", query_string={"q": query, **args})
                api.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200 and response.json["backend"] == "meilisearch", response.json
                per_request.append(statements[0])
                with app.test_request_context():
                    geo = parse_geo(params)
                    filters, sort = parse_filters(params), parse_sort(params, geo)
                    t = time.perf_counter()
                    MeilisearchBackend().raw_search(query, filters, sort, 1, 20, geo)
                    raw.append((time.perf_counter() - t) * 1000)
            label = (query or "—") + (" " + " ".join(f"{k}={v}" for k, v in args.items()) if args else "")
            rows.append((label, response.json["total"], statistics.median(api), statistics.median(raw),
                         max(per_request)))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="listings to generate")
    parser.add_argument("--repeat", type=int, default=30, help="runs of each query")
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="api_search_bench_"))
    db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    db_url = db_url.replace("postgresql://", "postgresql+psycopg://", 1)
    from tests.meilisearch_server import MeilisearchServer

    server = MeilisearchServer(workdir / "meili")
    server.start()
    try:
        app = build_app(db_url, server.url, server.master_key)
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
            reindex(echo=False)
        client = app.test_client()
        for query, args in QUERIES:  # warm both paths (caches, connections) before measuring
            client.get("/api/v1/listings", query_string={"q": query, **args})
        rows = measure(app, options.repeat)
    finally:
        server.stop()
    print(f"\nN={options.n} listings, {options.repeat} runs per query; p50 milliseconds")
    print(f"{'query':44} {'hits':>7} {'API':>7} {'raw':>7} {'ratio':>6} {'SQL/request':>12}")
    for label, hits, api, raw, sql in rows:
        print(f"{label[:44]:44} {hits:>7} {api:7.1f} {raw:7.1f} {api / raw:6.2f} {sql:>12}")
    api = statistics.median(r[2] for r in rows)
    raw = statistics.median(r[3] for r in rows)
    print(f"RESULT n={options.n} api_p50_ms={api:.1f} raw_p50_ms={raw:.1f} api_over_raw={api / raw:.2f} "
          f"sql_per_request_max={max(r[4] for r in rows)}")


if __name__ == "__main__":
    main()
