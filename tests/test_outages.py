"""The database unreachable: every request answers 503 with Retry-After (a calm page, or the API's error body),
never 500; and a pooled connection the server killed costs no request (it is discarded at checkout)."""
import os
import socket
import time

import psycopg
import pytest

from portal import create_app
from portal.dbpool import closed_by_server


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


def app_at(url: str, **config):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret",
                      "MEILISEARCH_URL": None, "REDIS_URL": None, "RATELIMIT_ENABLED": False, **config})
    return app


@pytest.fixture
def down(app):
    """A portal whose PostgreSQL does not listen (stopped, or not yet started)."""
    return app_at(f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/wufei")


def assert_unavailable(response, *, json: bool):
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert int(response.headers["Retry-After"]) > 0
    if json:
        assert response.json["error"]["code"] == "unavailable" and response.json["error"]["message"]
    else:
        assert response.mimetype == "text/html" and "Back in a moment" in response.get_data(as_text=True)


def test_pages_and_api_answer_503_with_retry_after_while_the_database_is_down(down):
    client = down.test_client()
    english = {"Accept-Language": "en"}
    for path in ("/market/", "/t/91411200MA00000000090024908202501010001"):
        assert_unavailable(client.get(path, headers=english), json=False)
    assert_unavailable(client.get("/api/v1/listings"), json=True)
    assert_unavailable(client.post("/api/v1/listings", json={"title": "x"},
                                   headers={"Authorization": "Bearer some-token", "Idempotency-Key": "k1"}), json=True)
    with client.session_transaction() as session:  # a signed-in visitor: loading the user fails too
        session["_user_id"] = "1"
    assert_unavailable(client.get("/", headers=english), json=False)


def test_no_get_route_answers_500_while_the_database_is_down(down):
    client = down.test_client()
    for rule in down.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint == "static":
            continue
        response = client.get(rule.rule)
        assert response.status_code != 500, rule.rule
        if response.status_code == 503:
            assert response.headers["Retry-After"]


def _kill_the_portals_connections() -> int:
    """Terminate every other backend of the test database, and wait until they are gone (as after a restart)."""
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    with psycopg.connect(os.environ["TEST_DATABASE_URL"], autocommit=True) as admin:
        killed = len(admin.execute(f"SELECT pg_terminate_backend(pid) {others}").fetchall())  # noqa: S608
        deadline = time.monotonic() + 10
        while admin.execute(f"SELECT count(*) {others}").fetchone()[0] and time.monotonic() < deadline:  # noqa: S608
            time.sleep(0.01)
    return killed


@pytest.fixture
def postgresql(app):
    if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("pg_terminate_backend needs PostgreSQL (TEST_DATABASE_URL)")
    return app.config["SQLALCHEMY_DATABASE_URI"]


def test_the_first_request_after_the_server_killed_the_pooled_connection_succeeds(app, client, postgresql):
    assert client.get("/api/v1/listings").status_code == 200  # its connection now waits in the pool
    assert _kill_the_portals_connections() >= 1
    assert client.get("/api/v1/listings").status_code == 200
    assert client.get("/market/").status_code == 200


def test_a_connection_closed_by_the_server_is_recognised_without_a_round_trip(postgresql):
    with psycopg.connect(os.environ["TEST_DATABASE_URL"]) as connection:
        connection.execute("SELECT 1")
        connection.rollback()
        assert not closed_by_server(connection)
        _kill_the_portals_connections()
        assert closed_by_server(connection)
