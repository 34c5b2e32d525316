"""The test run's own infrastructure: the real Meilisearch server and the vendored front-end files."""
import json
import urllib.error
import urllib.request

import pytest


def test_meilisearch_fixture_answers_health_and_the_app_uses_it(meilisearch, app, client):
    assert meilisearch is not None, "Meilisearch did not start: run `npm ci` (make test does)"
    with urllib.request.urlopen(f"{meilisearch['url']}/health", timeout=5) as response:
        assert json.load(response)["status"] == "available"
    assert app.config["MEILISEARCH_URL"] == meilisearch["url"]
    assert client.get("/healthz").get_json()["search"] == "ok"


def test_meilisearch_refuses_requests_without_the_master_key(meilisearch):
    assert meilisearch is not None
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{meilisearch['url']}/indexes", timeout=5)
    assert refused.value.code == 401


@pytest.mark.parametrize("path", ["vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css",
                                  "vendor/leaflet/images/marker-icon.png", "vendor/echarts/echarts.min.js",
                                  "vendor/axe-core/axe.min.js"])
def test_vendored_front_end_files_are_served_locally(client, path):
    response = client.get(f"/static/{path}")
    assert response.status_code == 200, f"{path} missing: run `make vendor` (make run and make test do)"
    assert len(response.data) > 100
    response.close()
