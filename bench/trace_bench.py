"""Trace page benchmark: /t/<code> under gunicorn on the bench database, side by side with a trivial
endpoint served by the same app, server and workers (the framework's ceiling), and their ratio.

A third endpoint does nothing but the one read the page cannot do without (the container and its batch's
trace snapshot, by code) and answers a constant body: the database's ceiling on this machine, which tells
how much of the page's cost is the round trip to PostgreSQL and how much is the page's own work.

    .venv/bin/python bench/trace_bench.py [--containers 100000] [--server postgresql://postgres@127.0.0.1:5432]

It creates a fresh PostgreSQL database on --server (or BENCH_PG_SERVER), fills it with `wufei seed bench`'s
generator (--containers), prepares what the ledger sweep prepares (trace_snapshots.after_sweep), measures and
drops the database. DATABASE_URL names an existing, filled database to measure instead (kept as it is).

Load generator: `wrk` when it is on PATH (Debian: `apt-get install wrk`), else a Python client of keep-alive
connections in several processes (--client python forces it). Like is compared with like: the trivial
endpoint exists only in this bench wrapper (`bench_app()`, never in the product) but runs in the same app,
behind the same middleware and the same kind of rate limit as /t/<code>; the limit itself is raised through
TRACE_RATE_LIMIT, since every request comes from one address. The codes are drawn at random from the whole
table, the warm-up uses other codes than the measurement, and no code is requested twice in a run unless
the run outlasts --codes, so no cache sees a code before it is measured. It prints figures; it is not a test.
"""
import argparse
import http.client
import multiprocessing as mp
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from operator import itemgetter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PING = "/bench/ping"
LOOKUP = "/bench/lookup/"


BENCH_RATE_LIMIT = "100000000 per minute"


def bench_app(config: dict | None = None):
    """The product app with the trace rate limit raised (and the given settings), plus one trivial endpoint
    behind the same kind of limit (gunicorn calls this factory)."""
    from participation.trace.services import read_outside_transaction
    from participation.trace.views import trace_limit
    from portal import create_app
    from portal.extensions import limiter
    from portal.regulatory.trace_snapshots import snapshot_row

    url = os.environ["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TRACE_RATE_LIMIT": BENCH_RATE_LIMIT, **(config or {})})

    @app.get(PING)
    @limiter.shared_limit(trace_limit, scope="bench")
    def ping():
        return "ok"

    @app.get(LOOKUP + "<code>")
    @limiter.shared_limit(trace_limit, scope="bench-lookup")
    def lookup(code):
        read_outside_transaction()
        return "ok" if snapshot_row(code) is not None else ("unknown", 404)

    return app


# --- the bench's own database ---------------------------------------------------------------------

def create_database(server: str, containers: int) -> tuple[str, str]:
    """A fresh database filled with `containers` containers and their ledgers: (its URL, its name)."""
    import psycopg

    name = f"trace_bench_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = f"{server}/{name}"
    started = time.perf_counter()
    try:
        subprocess.run([sys.executable, "-c", "from bench.trace_bench import fill_database; "
                        f"fill_database({url!r}, {containers})"], cwd=ROOT, check=True)
    except BaseException:
        drop_database(server, name)
        raise
    print(f"created {name} with {containers:,} containers in {time.perf_counter() - started:.0f} s")
    return url, name


def fill_database(url: str, containers: int) -> None:
    """The schema, the reference data, the containers and their ledgers, and the sweep's verdicts."""
    from portal import create_app
    from portal.extensions import db
    from portal.regulatory.benchdata import fill
    from portal.regulatory.reference import load_reference_data
    from portal.regulatory.trace_snapshots import after_sweep
    from portal.types import utcnow

    app = create_app({"SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1)})
    with app.app_context():
        db.create_all()
        load_reference_data()
        db.session.commit()
        fill(containers)
        after_sweep([], utcnow())  # what `wufei ledger verify` leaves behind
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def drop_database(server: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def sample_codes(n: int) -> list[str]:
    """Container codes drawn at random from the whole table (a block sample would bring the four containers
    of a batch together, and a cache of one would flatter the next)."""
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        rows = conn.execute("SELECT code FROM containers ORDER BY random() LIMIT %s", (n,)).fetchall()
        total = conn.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'containers'").fetchone()[0]
        events = conn.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'ledger_events'").fetchone()[0]
    codes = [r[0] for r in rows]
    random.shuffle(codes)
    print(f"bench database: ~{total:,} containers, ~{events:,} ledger events; {len(codes)} sampled codes")
    return codes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(port: int, args) -> subprocess.Popen:
    command = [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}",
               "--workers", str(args.workers), "--worker-class", args.worker_class, "--chdir", str(ROOT / "bench"),
               "--pythonpath", str(ROOT), "--log-level", "warning", "--keep-alive", "30"]
    if args.worker_class == "gthread":
        command += ["--threads", str(args.threads)]
    process = subprocess.Popen([*command, "trace_bench:bench_app()"], env=os.environ.copy())
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


# --- the Python client ---------------------------------------------------------------------------

def _client_process(port, paths, threads, duration, queue, headers=None):
    import threading

    latencies, errors, lock = [], [0], threading.Lock()
    stop_at = time.perf_counter() + duration

    def run(offset):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, failed, i = [], 0, offset
        while time.perf_counter() < stop_at:
            path = paths[i % len(paths)]
            i += threads
            start = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers or {"Accept-Language": "zh-CN"})
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    workers = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    queue.put((latencies, errors[0]))


def python_load(port: int, paths: list[str], clients: int, duration: float, processes: int,
                headers: dict | None = None) -> dict:
    """clients keep-alive connections in `processes` processes, for duration seconds."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    per = max(1, clients // processes)
    started = time.perf_counter()
    procs = [ctx.Process(target=_client_process,
                         args=(port, paths[k::processes] or paths, per, duration, queue, headers))
             for k in range(processes)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    latencies = sorted(x for lat, _e in results for x in lat)
    errors = sum(e for _lat, e in results)
    return _figures(len(latencies), errors, min(elapsed, duration + 1), latencies)


def _figures(count, errors, elapsed, latencies) -> dict:
    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {"requests": count, "errors": errors, "rps": count / elapsed,
            "p50": pct(0.50), "p95": pct(0.95), "p99": pct(0.99),
            "mean": statistics.fmean(latencies) * 1000 if latencies else float("nan")}


# --- wrk -----------------------------------------------------------------------------------------

# Each wrk thread walks its own stride of the list, so two threads never ask for the same code.
WRK_SCRIPT = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local threads, started = %d, 0
setup = function(thread)
  thread:set("offset", started)
  started = started + 1
end
local i = nil
request = function()
  i = (i or offset) + threads
  return wrk.format("GET", paths[(i %% #paths) + 1], {["Accept-Language"] = "zh-CN"})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%f %%f %%f %%f %%f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.mean / 1000))
end
"""


def wrk_load(port: int, paths: list[str], clients: int, duration: float, threads: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path_file, script = Path(tmp) / "paths.txt", Path(tmp) / "paths.lua"
        path_file.write_text("\n".join(paths) + "\n")
        script.write_text(WRK_SCRIPT % (path_file, threads))
        out = subprocess.run(["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{int(duration)}s", "-s",
                              str(script), f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT"))
    count, errors, elapsed, p50, p95, p99, mean = line.split()[1:]
    return {"requests": int(count), "errors": int(errors), "rps": int(count) / float(elapsed),
            "p50": float(p50), "p95": float(p95), "p99": float(p99), "mean": float(mean)}


# --- main ----------------------------------------------------------------------------------------

def measure(port, warmup_paths, paths, args) -> dict:
    use_wrk = args.client == "wrk" or (args.client == "auto" and shutil.which("wrk"))
    load = (lambda p, d: wrk_load(port, p, args.clients, d, args.client_processes)) if use_wrk else \
        (lambda p, d: python_load(port, p, args.clients, d, args.client_processes))
    load(warmup_paths, args.warmup)  # warm the workers and their connections, on codes not measured
    return load(paths, args.duration)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--worker-class", choices=("sync", "gthread"), default="gthread")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--clients", type=int, default=64, help="concurrent connections")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--client-processes", type=int, default=2, help="wrk threads or Python client processes")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--codes", type=int, default=20000, help="distinct container codes measured")
    parser.add_argument("--warmup-codes", type=int, default=2000, help="other codes for the warm-up")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the three measurements; medians shown")
    parser.add_argument("--containers", type=int, default=100_000, help="containers in the bench's own database")
    parser.add_argument("--server", default=os.environ.get("BENCH_PG_SERVER", "postgresql://postgres@127.0.0.1:5432"),
                        help="PostgreSQL server on which the bench creates (and drops) its database")
    args = parser.parse_args()
    created = None
    if not os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        os.environ["DATABASE_URL"], created = create_database(args.server, args.containers)
    try:
        run(args)
    finally:
        if created:
            drop_database(args.server, created)


def run(args) -> None:
    codes = sample_codes(2 * args.codes * args.rounds + args.warmup_codes)
    if not codes:
        raise SystemExit("the bench database has no containers: run `wufei seed bench` first")
    port = free_port()
    server = start_gunicorn(port, args)
    results = {"trivial": [], "lookup": [], "trace": []}
    try:
        client = "wrk" if args.client == "wrk" or (args.client == "auto" and shutil.which("wrk")) else "python"
        print(f"gunicorn: {args.workers} {args.worker_class} workers"
              + (f" × {args.threads} threads" if args.worker_class == "gthread" else "")
              + f"; {args.clients} connections by {client}; {args.duration:.0f} s each, {args.rounds} rounds; "
              + f"{os.cpu_count()} CPUs")
        warmup, measured = codes[:args.warmup_codes], codes[args.warmup_codes:] or codes
        for k in range(args.rounds):  # interleaved, so that a slow minute of the machine hits all three
            # no code is measured twice, not even by the other endpoint (its rows would be warm)
            for_lookup, for_trace = measured[2 * k::2 * args.rounds], measured[2 * k + 1::2 * args.rounds]
            results["trivial"].append(measure(port, [PING], [PING], args))
            results["lookup"].append(measure(port, [LOOKUP + c for c in warmup], [LOOKUP + c for c in for_lookup],
                                             args))
            results["trace"].append(measure(port, [f"/t/{c}" for c in warmup], [f"/t/{c}" for c in for_trace], args))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    median = {name: _median(runs) for name, runs in results.items()}
    for name, label in (("trivial", "trivial endpoint"), ("lookup", "one snapshot lookup"),
                        ("trace", "trace page /t/<code>")):
        r = median[name]
        print(f"{label:22s} {r['rps']:8.0f} req/s   p50 {r['p50']:6.1f} ms   p95 {r['p95']:6.1f} ms   "
              f"p99 {r['p99']:6.1f} ms   ({r['requests']} requests, {r['errors']} errors; "
              f"rounds: {', '.join(str(round(x['rps'])) for x in results[name])} req/s)")
    trivial = median["trivial"]["rps"]
    print(f"one lookup / trivial: {median['lookup']['rps'] / trivial:.0%} (the database's ceiling here)")
    print(f"trace page / one lookup: {median['trace']['rps'] / median['lookup']['rps']:.0%}")
    print(f"ratio trace / trivial: {median['trace']['rps'] / trivial:.0%}")
    trace, lookup = median["trace"], median["lookup"]
    print(f"RESULT trace_rps={trace['rps']:.0f} one_lookup_rps={lookup['rps']:.0f} "
          f"ratio={trace['rps'] / lookup['rps']:.2f} p99_ms={trace['p99']:.1f} trivial_rps={trivial:.0f} "
          f"clients={args.clients} errors={trace['errors']}")


def _median(runs: list[dict]) -> dict:
    """The run of median throughput, with its latencies."""
    return sorted(runs, key=itemgetter("rps"))[len(runs) // 2]


if __name__ == "__main__":
    main()
