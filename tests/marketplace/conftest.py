"""Marketplace fixtures: a Meilisearch index prefix of its own for every test, and the fixed search data."""
import uuid

import pytest

SUITE_PREFIX = f"suite{uuid.uuid4().hex[:8]}_"
_suite_index_built = []


@pytest.fixture(autouse=True)
def search_config(app):
    """Every test writes to its own index, so tests never see each other's documents; the configuration
    is restored afterwards."""
    keys = ("MEILISEARCH_INDEX_PREFIX", "SEARCH_WAIT_FOR_INDEXING", "SEARCH_BACKEND", "MEILISEARCH_URL",
            "MEILISEARCH_TIMEOUT", "MEILISEARCH_TASK_TIMEOUT")
    saved = {k: app.config.get(k) for k in keys}
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    # a loaded CI machine can take seconds to answer; the fallback has its own test with a closed port
    app.config.update(MEILISEARCH_INDEX_PREFIX=prefix, SEARCH_WAIT_FOR_INDEXING=False, SEARCH_BACKEND="auto",
                      MEILISEARCH_TIMEOUT=15.0)
    yield app.config
    if app.config.get("MEILISEARCH_URL") and app.config["MEILISEARCH_INDEX_PREFIX"] == prefix:
        import meilisearch

        try:
            meilisearch.Client(app.config["MEILISEARCH_URL"], app.config.get("MEILISEARCH_API_KEY"),
                               timeout=5).delete_index(prefix + "listings")
        except Exception:  # noqa: S110 - cleanup of a throwaway index; a failure changes no result
            pass
    app.config.update(saved)


@pytest.fixture
def meili(app, meilisearch):
    """The session's real Meilisearch; a test that needs it fails when it could not be started."""
    if meilisearch is None or not app.config.get("MEILISEARCH_URL"):
        pytest.fail("Meilisearch is not running: run `npm ci` so node_modules holds the server binary")
    # the test reads what it just wrote: the drain waits until Meilisearch has applied each change
    app.config.update(SEARCH_WAIT_FOR_INDEXING=True, MEILISEARCH_TASK_TIMEOUT=120.0)
    return meilisearch


@pytest.fixture
def search_data(app):
    from .search_data import create_search_data

    with app.app_context():
        create_search_data()


@pytest.fixture(params=["sql", "meilisearch"])
def backend(request, app, search_data, search_config):
    """Each search backend over the same fixed listings. The Meilisearch index is built once for the
    session with `reindex` (rebuild into a new index, then swap) under a prefix of its own."""
    from marketplace.search.backends import MeilisearchBackend, SqlBackend

    if request.param == "sql":
        search_config["SEARCH_BACKEND"] = "sql"
        return SqlBackend()
    request.getfixturevalue("meili")
    search_config["MEILISEARCH_INDEX_PREFIX"] = SUITE_PREFIX
    if not _suite_index_built:
        from marketplace.search.meili import reindex

        with app.app_context():
            assert reindex(echo=False) == 20
        _suite_index_built.append(True)
    return MeilisearchBackend()
