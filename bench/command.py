"""Command-centre benchmark: GET /api/v1/statistics, the regulators' dashboard (/command/) and the big screen's
data (/command/screen/data.json, its cache off: every request computes) on the bench database under gunicorn at
16 concurrent clients, side by side with the trace benchmark's one-lookup endpoint (one indexed read by container
code, served by the same app and server); the full rebuild of the aggregates; and how soon an appended event is
reflected.

    .venv/bin/python bench/command.py [--containers 1000000] [--server postgresql://postgres@127.0.0.1:5432]

It creates a fresh PostgreSQL database on --server (or BENCH_PG_SERVER) filled by `wufei seed bench`'s generator
(--containers; 1,000,000 containers are ~5,250,000 ledger events, the city scale of issue 17; use a small
number for a quick run), times `wufei statistics rebuild`, measures and drops the database. DATABASE_URL names
an existing, filled database to measure instead (kept; its aggregates are rebuilt).

"Reflected": an event is appended and committed as the ledger does it, then the refresh (`wufei statistics
refresh`, run every minute by a timer or an RQ job, and by the first reader of figures older than 30 s) is run
and the figure read again; the answer is the refresh's own time plus the timer's period (the worst case). The
pages are read as the bench's city regulator, signed in through a bench-only route (the password and TOTP steps
are not what is measured). It prints figures; it is not a test.
"""
import argparse
import http.client
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.trace_bench import (  # noqa: E402  (after the path is set)
    BENCH_RATE_LIMIT,
    LOOKUP,
    PING,
    _median,
    create_database,
    drop_database,
    free_port,
    python_load,
    sample_codes,
)
from bench.trace_bench import bench_app as trace_bench_app  # noqa: E402
from portal.command.statistics.aggregate import STALE_AFTER  # noqa: E402  (after the path is set)

TIMER_PERIOD_S = 60  # how often the refresh runs (README: scheduled commands)
# and a reader of older figures refreshes them: the sooner of the two counts
STALE_S = int(STALE_AFTER.total_seconds())
BENCH_REGULATOR = "bench.regulator@bench.wufei.cn"
SIGN_IN = "/_bench/sign-in"
PAGES = {"dashboard": ["/command/", "/command/?district=411282", "/command/?district=411202"],
         "screen": ["/command/screen/data.json", "/command/screen/data.json?division=411282",
                    "/command/screen/data.json?division=411202"]}


def bench_app():
    """The trace bench's app (its ping and one-lookup endpoints) with the public rate limit raised too (every
    request comes from one address), the wall's cache off, and a route that signs the bench's regulator in
    (gunicorn calls this factory)."""
    app = trace_bench_app({"RATELIMIT_PUBLIC": BENCH_RATE_LIMIT, "SCREEN_CACHE_SECONDS": 0})

    @app.get(SIGN_IN)
    def sign_in():
        from portal import auth
        from portal.accounts import services as accounts

        auth.start_session(accounts.find_user(BENCH_REGULATOR))
        auth.pass_second_factor()
        return "ok"

    return app


def _app():
    from portal import create_app

    url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    return create_app({"SQLALCHEMY_DATABASE_URI": url})


def prepare() -> tuple[str, float, int, list[int]]:
    """A city regulator with a token, and the aggregates rebuilt: (token, rebuild seconds, aggregate rows, years)."""
    from sqlalchemy import func, select

    from portal.accounts import services as accounts
    from portal.accounts.models import Regulator, User
    from portal.command.statistics.aggregate import rebuild
    from portal.command.statistics.models import StatisticFigure
    from portal.extensions import db

    with _app().app_context():
        db.create_all()  # the statistics tables, on a database made by an older bench
        user = accounts.find_user(BENCH_REGULATOR)
        if user is None:
            user = User(email=BENCH_REGULATOR, name="基准监管员", password_hash="!")
            db.session.add(user)
            db.session.flush()
            db.session.add(Regulator(user_id=user.id, department="ecology", jurisdiction_code="411200"))
        _token, secret = accounts.create_api_token(user, f"bench {time.time():.0f}", None)
        db.session.commit()
        started = time.perf_counter()
        rows = rebuild()
        db.session.commit()
        seconds = time.perf_counter() - started
        years = sorted(db.session.scalars(select(StatisticFigure.year).group_by(StatisticFigure.year)))
        rows = db.session.scalar(select(func.count()).select_from(StatisticFigure))
    return secret, seconds, rows, years


def reflected() -> tuple[float, bool]:
    """Append one event to a random batch, commit, refresh: (the refresh's seconds, whether the figure moved)."""
    from sqlalchemy import func, select

    from portal.accounts.models import Organisation
    from portal.command.statistics import figures
    from portal.command.statistics.aggregate import refresh_job
    from portal.extensions import db
    from portal.regulatory.batches.models import Batch
    from portal.regulatory.ledger.services import append_event

    with _app().app_context():
        top = db.session.scalar(select(func.max(Batch.id)))
        batch = db.session.get(Batch, random.randint(1, top)) or db.session.get(Batch, top)
        before = figures("generated", (), code=batch.waste_code)[0]["grams"]
        append_event(batch, "generated", actor=None, organisation=db.session.get(Organisation, batch.organisation_id),
                     quantity_g=1234)
        db.session.commit()
        started = time.perf_counter()
        refresh_job()
        seconds = time.perf_counter() - started
        after = figures("generated", (), code=batch.waste_code)[0]["grams"]
    return seconds, after - before == 1234


def session_cookie(port: int) -> str:
    """The signed-in regulator's session cookie, from the bench's sign-in route."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", SIGN_IN)
    response = connection.getresponse()
    response.read()
    return response.getheader("Set-Cookie").split(";", 1)[0]


def start_gunicorn(port: int, workers: int, threads: int) -> subprocess.Popen:
    command = [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers",
               str(workers), "--worker-class", "gthread", "--threads", str(threads), "--chdir", str(ROOT / "bench"),
               "--pythonpath", str(ROOT), "--log-level", "warning", "--keep-alive", "30", "command:bench_app()"]
    process = subprocess.Popen(command, env=os.environ.copy())
    deadline = time.time() + 600  # a loaded machine takes minutes to import the app
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", PING)
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("gunicorn did not start")


def load(port: int, paths: list[str], headers: dict, clients: int, duration: float) -> dict:
    return python_load(port, paths, clients, duration, 2, headers)


def statistics_paths(years: list[int]) -> list[str]:
    """What the dashboards ask: each measure by stream, by month, by district and code, by organisation, for
    each year held and the whole ledger."""
    groupings = ("stream", "stream,month", "district,code", "category,quarter", "organisation", "")
    paths = []
    for measure in ("generated", "stored", "received", "utilised", "disposed", "transferred_out"):
        for grouping in groupings:
            for year in years or [None]:
                period = f"&from={year}-01-01&to={year}-12-31" if year else ""
                paths.append(f"/api/v1/statistics?measure={measure}&group_by={grouping}{period}")
            paths.append(f"/api/v1/statistics?measure={measure}&group_by={grouping}")
    random.shuffle(paths)
    return paths


def run(args) -> None:
    token, rebuild_s, rows, years = prepare()
    print(f"rebuild: {rebuild_s:.1f} s, {rows:,} aggregate rows; years {years}")
    refresh_s, moved = reflected()
    print(f"appended event: refresh {refresh_s:.2f} s, figure moved: {moved}; reflected within "
          f"{min(TIMER_PERIOD_S, STALE_S) + refresh_s:.0f} s (a {TIMER_PERIOD_S} s timer, readers refresh after "
          f"{STALE_S} s)")
    codes = sample_codes(args.codes)
    auth = {"Authorization": f"Bearer {token}", "Accept-Language": "zh-CN"}
    port = free_port()
    server = start_gunicorn(port, args.workers, args.threads)
    results = {"statistics": [], "dashboard": [], "screen": [], "lookup": []}
    paths = statistics_paths(years)
    try:
        page_headers = {"Cookie": session_cookie(port), "Accept-Language": "zh-CN"}
        for _round in range(args.rounds):  # interleaved, so that a slow minute of the machine hits each
            load(port, paths, auth, args.clients, args.warmup)
            results["statistics"].append(load(port, paths, auth, args.clients, args.duration))
            for name, pages in PAGES.items():
                results[name].append(load(port, pages, page_headers, args.clients, args.duration))
            results["lookup"].append(load(port, [LOOKUP + c for c in codes], auth, args.clients, args.duration))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    medians = {name: _median(runs) for name, runs in results.items()}
    for label, r in medians.items():
        print(f"{label:16s} {r['rps']:8.0f} req/s   p50 {r['p50']:6.1f} ms   p95 {r['p95']:6.1f} ms   "
              f"p99 {r['p99']:6.1f} ms   ({r['requests']} requests, {r['errors']} errors)")
    stats, lookup = medians["statistics"], medians["lookup"]
    print(f"RESULT statistics_p95_ms={stats['p95']:.1f} dashboard_p95_ms={medians['dashboard']['p95']:.1f} "
          f"screen_p95_ms={medians['screen']['p95']:.1f} one_lookup_p95_ms={lookup['p95']:.1f} "
          f"statistics_rps={stats['rps']:.0f} one_lookup_rps={lookup['rps']:.0f} clients={args.clients} "
          f"errors={sum(r['errors'] for r in medians.values())} rebuild_s={rebuild_s:.1f} aggregate_rows={rows} "
          f"refresh_s={refresh_s:.2f} reflected_within_s={min(TIMER_PERIOD_S, STALE_S) + refresh_s:.0f} reflected={moved}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--containers", type=int, default=1_000_000, help="containers in the bench's own database")
    parser.add_argument("--server", default=os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432"))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--clients", type=int, default=16, help="concurrent connections")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both measurements; medians shown")
    parser.add_argument("--codes", type=int, default=20000, help="container codes for the one-lookup endpoint")
    args = parser.parse_args()
    created = None
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        os.environ["DATABASE_URL"], created = create_database(args.server, args.containers)
    try:
        run(args)
    finally:
        if created:
            drop_database(args.server, created)


if __name__ == "__main__":
    main()
