"""Hall fixtures: the default kinds, a Meilisearch index of its own per test, and the issuing regulators."""
import uuid

import pytest

from portal.extensions import db


@pytest.fixture(autouse=True)
def kinds(app):
    from portal.hall.services import ensure_default_kinds

    with app.app_context():
        ensure_default_kinds()
        db.session.commit()


@pytest.fixture(autouse=True)
def hall_search(app):
    """Each test indexes under its own prefix and searches with SQL unless it asks for Meilisearch."""
    keys = ("MEILISEARCH_INDEX_PREFIX", "SEARCH_BACKEND", "MEILISEARCH_TIMEOUT")
    saved = {k: app.config.get(k) for k in keys}
    app.config.update(MEILISEARCH_INDEX_PREFIX=f"h{uuid.uuid4().hex[:10]}_", SEARCH_BACKEND="sql",
                      MEILISEARCH_TIMEOUT=15.0)
    yield app.config
    app.config.update(saved)


@pytest.fixture
def issuer(factory):
    """The city's 生态环境局."""
    return factory.regulator(name="张明")


@pytest.fixture
def other_department(factory):
    return factory.regulator(department="housing", name="王建")
