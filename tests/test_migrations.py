"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import CheckConstraint, create_engine, inspect, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db, include_object


@pytest.fixture
def empty_database_url(tmp_path):
    """A database of the same engine as the suite's, empty, dropped afterwards."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    server = make_url(url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"wufei_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migrations_match_models(empty_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    with app.app_context():
        upgrade()
        upgrade()  # a second run is a no-op
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
            diff = compare_metadata(context, db.metadata)
        db.engine.dispose()
    assert diff == [], f"models and migrations differ; run `wufei db migrate`: {diff}"


def _model_checks() -> dict[str, set[str]]:
    return {table.name: {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
            for table in db.metadata.sorted_tables}


def test_migrations_build_the_models_check_constraints(empty_database_url):
    """Alembic's comparison ignores CHECK constraints: the status lists (and the others) are compared here."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "TESTING": True})
    with app.app_context():
        upgrade()
        inspector = inspect(db.engine)
        built = {table: {c["name"] for c in inspector.get_check_constraints(table)} for table in _model_checks()}
        db.engine.dispose()
    expected = _model_checks()
    assert {t: names for t, names in expected.items() if names} == {t: names for t, names in built.items() if names}
    assert "ck_offers_status_valid" in built["offers"] and "ck_manifests_state_valid" in built["manifests"]
