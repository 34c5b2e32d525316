"""An API POST with an Idempotency-Key: its effect and its stored answer commit together, so a replay gets the
answer of the one effect, and a request whose answer could not be stored leaves no effect behind."""
import os

import psycopg
import pytest
from sqlalchemy import func, select, text

from marketplace.listings.models import Listing
from portal import create_app
from portal.api.core import IdempotencyRecord
from portal.extensions import db

OIL = {"title": "废矿物油 10吨", "waste_code": "90021408", "quantity": 10, "unit": "t", "price": 120000,
       "currency": "CNY", "district": "411202", "status": "published"}


@pytest.fixture
def token(factory):
    user = factory.user()
    org = factory.org(admin=user, is_generator=True, district="411202")
    return factory.token(user, org)


def post_listing(client, token, key, **changes):
    return client.post("/api/v1/listings", json={**OIL, **changes},
                       headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_a_replay_returns_the_stored_answer_of_the_one_effect(app, client, token):
    first = post_listing(client, token, "oil-1")
    again = post_listing(client, token, "oil-1")
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert count(app, Listing) == 1 and count(app, IdempotencyRecord) == 1


def test_a_refused_request_stores_its_answer_and_nothing_else(app, client, token):
    refused = post_listing(client, token, "oil-2", quantity=-5)
    assert refused.status_code == 422
    assert post_listing(client, token, "oil-2", quantity=-5).json == refused.json
    assert count(app, Listing) == 0 and count(app, IdempotencyRecord) == 1


def test_a_request_whose_answer_could_not_be_stored_leaves_no_effect_and_can_be_sent_again(app, token):
    if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("pg_terminate_backend needs PostgreSQL (TEST_DATABASE_URL)")
    portal = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                         "SECRET_KEY": "test-secret", "MEILISEARCH_URL": None, "REDIS_URL": None,
                         "RATELIMIT_ENABLED": False, "PROPAGATE_EXCEPTIONS": False})
    lost = []

    def lose_the_connection(response):
        """Between the view's return and the storing of its answer the database connection goes away."""
        if not lost:
            pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
            with psycopg.connect(os.environ["TEST_DATABASE_URL"], autocommit=True) as admin:
                lost.append(admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0])
        return response

    portal.after_request_funcs["api"].append(lose_the_connection)  # runs before the api's own _remember
    client = portal.test_client()
    failed = post_listing(client, token, "oil-lost")
    assert lost == [True] and failed.status_code == 503 and failed.headers["Retry-After"]
    assert count(app, Listing) == 0 and count(app, IdempotencyRecord) == 0  # no half state: nothing at all
    sent_again = post_listing(client, token, "oil-lost")
    assert sent_again.status_code == 201
    assert post_listing(client, token, "oil-lost").json == sent_again.json
    assert count(app, Listing) == 1
