"""A Meilisearch that accepts connections and never answers: searches are served from SQL within half a second,
a listing is created within a second, and its change reaches the index once Meilisearch answers again."""
import socket
import threading
import time
from datetime import date

import pytest
from sqlalchemy import update

from marketplace import CONFIG_DEFAULTS
from marketplace.listings.models import Listing
from marketplace.search.outbox import pending_count
from portal.extensions import db
from tests.marketplace.test_listings import drain_outbox, post


class HangingServer:
    """Accepts every connection and never sends a byte, like a Meilisearch stuck on a full disk or a lock."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.socket.settimeout(0.05)
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                self.accepted.append(self.socket.accept()[0])
            except TimeoutError:
                continue

    def close(self):
        self._stop.set()
        self._thread.join()
        for connection in self.accepted:
            connection.close()
        self.socket.close()


@pytest.fixture
def seller(factory):
    user = factory.user()
    org = factory.org(admin=user, is_generator=True, district="411202")
    return user, org, factory.token(user, org)


@pytest.fixture
def hanging(search_config):
    """Meilisearch configured at a hanging server, with the shipped timeouts (the suite's own are generous)."""
    server = HangingServer()
    search_config.update(MEILISEARCH_URL=server.url, MEILISEARCH_TIMEOUT=CONFIG_DEFAULTS["MEILISEARCH_TIMEOUT"],
                         MEILISEARCH_WRITE_TIMEOUT=CONFIG_DEFAULTS["MEILISEARCH_WRITE_TIMEOUT"])
    yield server
    server.close()


def timed(call):
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def test_a_hanging_meilisearch_is_asked_once_then_search_goes_to_sql(client, seller, hanging):
    _user, _org, token = seller
    post(client, token)
    for _ in range(3):
        found, seconds = timed(lambda: client.get("/api/v1/listings?q=废机油"))
        assert found.status_code == 200 and found.json["backend"] == "sql" and found.json["total"] == 1
        assert seconds < 0.5
        page, seconds = timed(lambda: client.get("/market/?q=废机油"))
        assert page.status_code == 200 and "废矿物油 10吨" in page.get_data(as_text=True) and seconds < 0.5
    assert len(hanging.accepted) == 1  # the circuit breaker: after the first timeout nobody waits for it


def test_a_listing_is_created_at_once_and_indexed_once_meilisearch_answers(app, client, seller, meili, hanging):
    _user, _org, token = seller
    created, seconds = timed(lambda: post(client, token))
    assert created.status_code == 201 and seconds < 1
    assert hanging.accepted == []  # the request left the outbox to the drain
    with app.app_context():
        assert pending_count() == 1
    app.config["MEILISEARCH_URL"] = meili["url"]  # Meilisearch is back
    result = app.test_cli_runner().invoke(args=["search", "drain"])
    assert result.exit_code == 0 and "1 changes sent, 0 pending" in result.output
    found = client.get("/api/v1/listings?q=废机油").json
    assert found["backend"] == "meilisearch" and [i["id"] for i in found["items"]] == [created.json["id"]]


def test_a_cli_command_that_changes_listings_drains_the_outbox_after_its_commit(app, client, seller, meili):
    _user, _org, token = seller
    post(client, token)
    drain_outbox(app)
    assert client.get("/api/v1/listings?q=废机油").json["total"] == 1
    with app.app_context():
        db.session.execute(update(Listing).values(valid_until=date(2024, 1, 1)))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["listings", "expire"])
    assert result.exit_code == 0 and "1 listings expired" in result.output
    with app.app_context():
        assert pending_count() == 0
    found = client.get("/api/v1/listings?q=废机油").json
    assert found["backend"] == "meilisearch" and found["total"] == 0
