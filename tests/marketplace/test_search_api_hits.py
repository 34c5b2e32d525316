"""The listings API over Meilisearch reads its hits as rows: the same listing as GET /listings/<id> shows, in a
fixed number of SQL statements however many hits, and only listings that still have the status searched for."""
import pytest
from sqlalchemy import event, update

from marketplace.listings.models import Listing, ListingPhoto
from marketplace.search.outbox import drain
from portal.extensions import db
from tests.marketplace.test_listings import auth_header, post


@pytest.fixture
def seller(factory):
    user = factory.user()
    org = factory.org(admin=user, is_generator=True, district="411202")
    return user, org, factory.token(user, org)


@pytest.fixture
def listed(app, client, seller, meili):
    """Three published listings, one with two photos, indexed."""
    _user, _org, token = seller
    ids = [post(client, token, title=f"废矿物油 {n}吨", quantity=n).json["id"] for n in (3, 4, 5)]
    with app.app_context():
        for name in ("b", "a"):
            db.session.add(ListingPhoto(listing_id=ids[0], filename=f"{name}.jpg", thumbnail=f"{name}-t.jpg",
                                        width=10, height=10))
        db.session.commit()
        drain()
    return ids


class Statements:
    def __init__(self, engine):
        self.count, self.engine = 0, engine

    def __call__(self, *_args):
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self)


def test_hits_are_the_listings_as_get_shows_them(client, listed, seller):
    _user, _org, token = seller
    for headers in ({}, auth_header(token)):  # the public, and the owner who sees the site and the actions
        found = client.get("/api/v1/listings?q=废矿物油&near=34.77,111.20&sort=distance", headers=headers).json
        assert found["backend"] == "meilisearch" and found["total"] == 3
        for item in found["items"]:
            single = client.get(f"/api/v1/listings/{item['id']}", headers=headers).json
            assert item == {**single, "distance_km": item["distance_km"]} and item["distance_km"] is not None
        first = next(i for i in found["items"] if i["id"] == listed[0])
        assert len(first["photos"]) == 2 and first["photos"][0].endswith("b-t.jpg")  # in the order added
        assert first["district"]["name"] == "湖滨区"
        assert ("actions" in first) is bool(headers)


def test_a_page_of_hits_costs_two_statements(app, client, listed):
    with app.app_context():
        engine = db.engine
    with Statements(engine) as statements:
        response = client.get("/api/v1/listings?q=废矿物油")
    assert response.json["total"] == 3 and len(response.json["items"]) == 3
    assert statements.count == 2  # the rows with their names, the photos


def test_a_listing_paused_before_the_index_knows_is_not_shown(app, client, listed):
    with app.app_context():  # as a change committed a moment ago, its outbox row not drained yet
        db.session.execute(update(Listing).where(Listing.id == listed[1]).values(status="paused"))
        db.session.commit()
    found = client.get("/api/v1/listings?q=废矿物油").json
    assert found["backend"] == "meilisearch" and listed[1] not in [i["id"] for i in found["items"]]
