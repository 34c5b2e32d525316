"""Rate limits behind a reverse proxy: the client's address comes from X-Forwarded-For only through the number
of proxies the deployment trusts (TRUSTED_PROXY_HOPS); without any, the header is the client's to forge."""
import pytest

from portal import create_app
from portal.extensions import limiter

PUBLIC_URL = "/open311/v2/discovery.json"  # limited by RATELIMIT_PUBLIC, needs no data
PROXY = {"REMOTE_ADDR": "10.0.0.2"}  # every request arrives from the proxy's own address


@pytest.fixture
def limited_app(app):
    """make(hops): a fresh app with rate limiting on (two public requests a minute), sharing the test database."""
    def make(hops: int):
        return create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "BASE_URL",
                                                          "UPLOAD_DIR")},
                           "TESTING": True, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                           "RATELIMIT_PUBLIC": "2 per minute", "TRUSTED_PROXY_HOPS": hops, "REDIS_URL": None,
                           "MEILISEARCH_URL": None})
    try:
        yield make
    finally:
        limiter.reset()
        limiter.enabled = False


def _statuses(client, forwarded_for: str, times: int = 3) -> list[int]:
    return [client.get(PUBLIC_URL, headers={"X-Forwarded-For": forwarded_for}, environ_base=PROXY).status_code
            for _ in range(times)]


def test_with_one_trusted_proxy_each_client_has_its_own_budget(limited_app):
    client = limited_app(1).test_client()
    assert _statuses(client, "203.0.113.7") == [200, 200, 429]
    assert _statuses(client, "198.51.100.9", times=2) == [200, 200]
    # a client's own X-Forwarded-For entry is not trusted: the proxy appends the address it saw last
    assert _statuses(client, "198.51.100.99, 203.0.113.7", times=1) == [429]


def test_without_trusted_proxies_x_forwarded_for_is_ignored(limited_app):
    client = limited_app(0).test_client()
    assert _statuses(client, "203.0.113.7", times=2) == [200, 200]
    assert _statuses(client, "198.51.100.9", times=1) == [429]  # the same address, 10.0.0.2, whatever the header


def test_trusted_proxy_hops_must_be_a_whole_number(monkeypatch, tmp_path):
    from portal.config import from_environment

    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "2")
    assert from_environment(tmp_path)["TRUSTED_PROXY_HOPS"] == 2
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "-1")
    with pytest.raises(ValueError, match="TRUSTED_PROXY_HOPS"):
        from_environment(tmp_path)
