"""Fuzz the whole JSON API with schemathesis from its own OpenAPI document, and count the server errors.

    DATABASE_URL=sqlite:////tmp/fuzz.db .venv/bin/python scripts/fuzz_api.py [--examples 200] [--seed 1]

The database is created (migrations), seeded with the reference and demo data, and the API is fuzzed with a
real bearer token of a demo organisation (the gold smelter: batches, manifests, listings), so authenticated
operations run past their permission checks. Phases: examples, coverage, fuzzing (positive and negative
data) and stateful sequences along the document's links (create → show, accept → deal …). Checks: no 5xx,
status codes, content types and bodies conforming to the documented schemas. The application runs with
TESTING on, so each response is also checked against its pydantic model inside the app.

Every request is counted by a WSGI wrapper around the app: the figures are what the server saw. The last
line is `RESULT cases=… operations=… server_errors=… check_failures=…`. tests/test_api_fuzz.py runs the same
harness at a size CI affords.
"""
import argparse
import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
DEMO_LOGIN = "smelter@demo.wufei.cn"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


class CountingApp:
    """Counts each request under /api/v1/ and remembers those answered with a 5xx."""

    def __init__(self, app):
        self.app, self.requests, self.server_errors, self.slowest = app, 0, Counter(), []

    def __call__(self, environ, start_response):
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        started = time.monotonic()
        try:
            return list(self._counted(environ, start_response, path, method))
        finally:
            self.slowest = sorted([*self.slowest, (round(time.monotonic() - started, 2), method, path[:80])],
                                  reverse=True)[:5]

    def _counted(self, environ, start_response, path, method):

        def counting_start(status, headers, exc_info=None):
            if path.startswith("/api/v1/") and path != "/api/v1/openapi.json":
                self.requests += 1
                if status.startswith("5"):
                    self.server_errors[f"{method} {path[:120]} {status[:3]}"] += 1
            return start_response(status, headers, exc_info)

        return self.app(environ, counting_start)


def demo_token(app) -> str:
    """A token of the demo smelter's administrator acting for the smelter, seeding the demo if needed."""
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.accounts.services import create_api_token
    from portal.calendar.services import load_bundled_calendar
    from portal.demo import seed_demo
    from portal.extensions import db
    from portal.regulatory.reference import load_reference_data

    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == DEMO_LOGIN))
        if user is None:
            load_reference_data()
            load_bundled_calendar()
            seed_demo()
            db.session.commit()
            user = db.session.scalar(select(User).where(User.email == DEMO_LOGIN))
        organisation = user.memberships[0].organisation
        _token, secret = create_api_token(user, "fuzz", organisation)
        db.session.commit()
        return secret


def serve(app) -> tuple[str, object]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}", server


def operations_of(document: dict) -> int:
    return sum(1 for item in document["paths"].values() for method in item if method != "parameters")


def run_schemathesis(base_url: str, token: str, *, examples: int, seed: int, phases: str, report: Path,
                     max_time: int | None = None) -> tuple[int, str]:
    """The schemathesis CLI against the served app; the number of distinct check failures it reported."""
    command = [str(Path(sys.executable).parent / "st"), "run", f"{base_url}/api/v1/openapi.json",
               "-H", f"Authorization: Bearer {token}", "--checks", CHECKS, "--max-examples", str(examples),
               "--seed", str(seed), "--phases", phases, "--workers", "1", "--generation-database", "none",
               "--no-color", "--report", "junit", "--report-junit-path", str(report),
               "--suppress-health-check", "all", "--request-timeout", "30"]
    if max_time:
        command += ["--max-time", str(max_time)]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=report.parent)
    if completed.returncode not in (0, 1):
        raise RuntimeError(f"schemathesis did not run:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return _failures(report), completed.stdout


def _failures(report: Path) -> int:
    import xml.etree.ElementTree as ElementTree

    if not report.exists():
        return 0
    suites = ElementTree.parse(report).getroot()
    return sum(len(case.findall("failure")) + len(case.findall("error")) for case in suites.iter("testcase"))


def fuzz(app, token: str, *, examples: int, seed: int = 1, phases: str = "examples,coverage,fuzzing,stateful",
         max_time: int | None = None) -> dict:
    counting = CountingApp(app)
    base_url, server = serve(counting)
    try:
        with app.test_client() as client:
            document = client.get("/api/v1/openapi.json").get_json()
        with tempfile.TemporaryDirectory() as scratch:
            failures, output = run_schemathesis(base_url, token, examples=examples, seed=seed, phases=phases,
                                                report=Path(scratch) / "junit.xml", max_time=max_time)
    finally:
        server.shutdown()
    return {"cases": counting.requests, "operations": operations_of(document),
            "server_errors": sum(counting.server_errors.values()), "check_failures": failures,
            "errors_by_operation": dict(counting.server_errors), "slowest": counting.slowest, "output": output}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="test cases per operation and phase")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-time", type=int, default=None, help="seconds for the whole run")
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--show", action="store_true", help="print schemathesis' own report")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from portal import create_app

    url = os.environ.get("DATABASE_URL") or "sqlite:////tmp/wufei-fuzz.db"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1),
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False, "REDIS_URL": None,
                      "MEILISEARCH_URL": None, "MAIL_SERVER": None})
    with app.app_context():
        upgrade()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request would drown the figures
    figures = fuzz(app, demo_token(app), examples=args.examples, seed=args.seed, phases=args.phases,
                   max_time=args.max_time)
    if args.show:
        print(figures["output"])
    engine = url.split(":", 1)[0]
    print(json.dumps(figures["errors_by_operation"], ensure_ascii=False, indent=1))
    print("slowest requests (s):", figures["slowest"])
    print(f"engine: {engine}; operations: {figures['operations']}; cases: {figures['cases']}; "
          f"server errors: {figures['server_errors']}; schemathesis check failures: {figures['check_failures']}")
    print(f"RESULT engine={engine} cases={figures['cases']} operations={figures['operations']} "
          f"server_errors={figures['server_errors']} check_failures={figures['check_failures']} "
          f"reference=issue13_before:server_errors=66/cases=11576")


if __name__ == "__main__":
    main()
