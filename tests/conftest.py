"""Test fixtures. The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set
(make test runs both). Reference data is loaded once; every other table is emptied after each test."""
import os
import socket
import threading

import pytest
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from portal import create_app
from portal.extensions import db

REFERENCE_TABLES = {"divisions", "catalogue_editions", "waste_categories", "waste_codes", "exemption_items",
                    "calendar_days"}


@pytest.fixture(scope="session")
def meilisearch(tmp_path_factory):
    """A real Meilisearch for the session, exported as TEST_MEILISEARCH_URL/KEY before `app` reads them.
    A server named by TEST_MEILISEARCH_URL in the environment is used instead of starting one; without
    the binary (no `npm ci` yet) the app runs on the SQL search backend and test_meilisearch_fixture fails."""
    import warnings

    from tests.meilisearch_server import MeilisearchServer

    if os.environ.get("TEST_MEILISEARCH_URL"):
        yield {"url": os.environ["TEST_MEILISEARCH_URL"], "key": os.environ.get("TEST_MEILISEARCH_KEY")}
        return
    server = MeilisearchServer(tmp_path_factory.mktemp("meilisearch"))
    try:
        server.start()
    except RuntimeError as exc:
        warnings.warn(f"Meilisearch not started: {exc}", stacklevel=1)
        yield None
        return
    os.environ["TEST_MEILISEARCH_URL"], os.environ["TEST_MEILISEARCH_KEY"] = server.url, server.master_key
    try:
        yield {"url": server.url, "key": server.master_key}
    finally:
        server.stop()
        os.environ.pop("TEST_MEILISEARCH_URL", None)
        os.environ.pop("TEST_MEILISEARCH_KEY", None)


class EnglishClient(FlaskClient):
    """Test clients read pages in English unless a test asks for Chinese (Accept-Language, the lang
    cookie or the user's preference), so that assertions on English wording are stable."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")


@pytest.fixture(scope="session")
def app(tmp_path_factory, meilisearch):
    instance = tmp_path_factory.mktemp("instance")
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{instance / 'test.db'}"
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url.replace("postgresql://", "postgresql+psycopg://", 1),
        "SECRET_KEY": "test-secret",
        "BASE_URL": "http://wufei.test",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "UPLOAD_DIR": str(instance / "uploads"),
        "MEILISEARCH_URL": os.environ.get("TEST_MEILISEARCH_URL"),
        "MEILISEARCH_API_KEY": os.environ.get("TEST_MEILISEARCH_KEY"),
        "REDIS_URL": None,
        "MAIL_SERVER": None,
    })
    app.test_client_class = EnglishClient
    with app.app_context():
        db.drop_all()
        db.create_all()
        from portal.regulatory.reference import load_reference_data

        load_reference_data()
        from portal.calendar.services import load_bundled_calendar

        load_bundled_calendar()
        db.session.commit()
    yield app


@pytest.fixture(autouse=True)
def _clean_tables(app):
    yield
    with app.app_context():
        db.session.rollback()
        # DELETE child tables first; on PostgreSQL this is ~50x faster than TRUNCATE … CASCADE per test
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()


@pytest.fixture
def ctx(app):
    """An application context with a test request, for calling services directly."""
    with app.test_request_context(headers={"Accept-Language": "en"}):  # as EnglishClient
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def factory(app):
    """Creates committed objects. Outside `ctx` they come back detached with their columns loaded,
    because a test client's requests must not share an application context (and g) with the test."""
    from tests.factories import Factory

    return Factory(app)


@pytest.fixture(scope="session")
def live_server(app):
    """The portal served over HTTP on a free port, for the browser tests."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
