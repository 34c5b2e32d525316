"""Schemathesis over the whole API, from its generated OpenAPI document, at a size CI affords.

The full run (≥ 10,000 cases) is scripts/fuzz_api.py; this one uses the same harness with a few cases per
operation: positive and negative data, and stateful sequences along the document's links, with the demo
smelter's real token. The app runs with TESTING on, so a response that strays from its documented model is
a 500 here as well as a schemathesis check failure."""
import importlib.util
from pathlib import Path

from portal.demo import seed_demo
from portal.extensions import db

HARNESS = Path(__file__).resolve().parent.parent / "scripts" / "fuzz_api.py"


def _harness():
    spec = importlib.util.spec_from_file_location("fuzz_api", HARNESS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_schemathesis_finds_no_server_error_and_no_undocumented_response(app):
    harness = _harness()
    with app.app_context():
        seed_demo()
        db.session.commit()
    figures = harness.fuzz(app, harness.demo_token(app), examples=6, phases="fuzzing,stateful", max_time=120)
    assert figures["operations"] >= 50
    assert figures["cases"] >= 300, figures["output"][-2000:]
    assert figures["server_errors"] == 0, figures["errors_by_operation"]
    assert figures["check_failures"] == 0, figures["output"][-6000:]
