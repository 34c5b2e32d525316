"""Accepting offers: the atomic reservation, sell-out, expiry, counter-offers and cancellation."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.deals import services
from marketplace.deals.models import Deal, Offer
from marketplace.listings.models import Listing
from portal.accounts.models import User
from portal.errors import Conflict
from portal.extensions import db
from portal.types import utcnow
from tests.factories import login

from .helpers import bearer, listing, offer, receiver, seller

TONNE = 1_000_000


def _twenty_offers(app, factory):
    seller_user, seller_org = seller(factory)
    listing_id = listing(app, seller_org.id, seller_user.id, quantity="10")
    offer_ids = []
    for _n in range(20):
        buyer_user, buyer_org = receiver(factory)
        offer_ids.append(offer(app, listing_id, buyer_org.id, buyer_user.id, quantity="1"))
    return seller_user, listing_id, offer_ids


def _accept(app, user_id: int, offer_id: int) -> bool:
    with app.test_request_context():
        try:
            services.accept_offer(db.session.get(Offer, offer_id), db.session.get(User, user_id))
            db.session.commit()
            return True
        except Conflict:
            db.session.rollback()
            return False


def _assert_sold_out_after_ten(app, listing_id, results):
    assert results.count(True) == 10
    with app.app_context():
        row = db.session.get(Listing, listing_id)
        assert row.reserved_g == 10 * TONNE
        assert row.status == "sold_out"
        assert db.session.scalar(select(func.count(Deal.id))) == 10
        assert db.session.scalar(select(func.count(Offer.id)).where(Offer.status == "accepted")) == 10


def test_twenty_concurrent_accepts_of_one_tonne_on_ten_tonnes_sell_exactly_ten(app, factory):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite serialises writers on a file lock: real concurrency needs PostgreSQL")
    seller_user, listing_id, offer_ids = _twenty_offers(app, factory)
    start = threading.Barrier(len(offer_ids))
    results = []

    def worker(offer_id):
        start.wait()
        results.append(_accept(app, seller_user.id, offer_id))

    threads = [threading.Thread(target=worker, args=(i,)) for i in offer_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 20
    _assert_sold_out_after_ten(app, listing_id, results)


def test_twenty_accepts_one_after_another_sell_exactly_ten(app, factory):
    seller_user, listing_id, offer_ids = _twenty_offers(app, factory)
    results = [_accept(app, seller_user.id, offer_id) for offer_id in offer_ids]
    assert results[:10] == [True] * 10 and results[10:] == [False] * 10
    _assert_sold_out_after_ten(app, listing_id, results)


def test_accept_through_the_api_reserves_and_the_listing_shows_less_available(app, factory, client):
    seller_user, seller_org = seller(factory)
    buyer_user, buyer_org = receiver(factory)
    listing_id = listing(app, seller_org.id, seller_user.id, quantity="10", price=-5000)
    offer_id = offer(app, listing_id, buyer_org.id, buyer_user.id, quantity="2.5", price=-5000)
    response = client.post(f"/api/v1/offers/{offer_id}/accept", headers=bearer(factory.token(seller_user, seller_org)))
    assert response.status_code == 200, response.json
    deal = response.json["deal"]
    assert deal["status"] == "accepted" and deal["quantity_g"] == 2_500_000
    assert deal["amount"] == -12_500  # a gate fee: 2.5 t × -50 yuan, paid by the seller
    with app.app_context():
        assert db.session.get(Listing, listing_id).available_g == 7_500_000
    # the buyer cannot accept its own offer, and a second acceptance is refused
    again = client.post(f"/api/v1/offers/{offer_id}/accept", headers=bearer(factory.token(buyer_user, buyer_org)))
    assert again.status_code == 403


def test_an_expired_offer_cannot_be_accepted(app, factory, client):
    seller_user, seller_org = seller(factory)
    buyer_user, buyer_org = receiver(factory)
    listing_id = listing(app, seller_org.id, seller_user.id)
    offer_id = offer(app, listing_id, buyer_org.id, buyer_user.id)
    with app.app_context():
        db.session.get(Offer, offer_id).valid_until = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = client.post(f"/api/v1/offers/{offer_id}/accept", headers=bearer(factory.token(seller_user, seller_org)))
    assert response.status_code == 409
    assert response.json["error"]["code"] == "offer_expired"
    with app.app_context():
        assert db.session.get(Listing, listing_id).reserved_g == 0
        assert services.expire_offers() == 1
        db.session.commit()
    listed = client.get("/api/v1/offers?box=sent&status=expired", headers=bearer(factory.token(buyer_user, buyer_org)))
    assert [o["id"] for o in listed.json["items"]] == [offer_id]


def test_counter_offer_and_acceptance_by_the_buyer(app, factory, client):
    seller_user, seller_org = seller(factory)
    buyer_user, buyer_org = receiver(factory)
    listing_id = listing(app, seller_org.id, seller_user.id)
    offer_id = offer(app, listing_id, buyer_org.id, buyer_user.id, quantity="3", price=15000)
    seller_token, buyer_token = factory.token(seller_user, seller_org), factory.token(buyer_user, buyer_org)
    counter = client.post(f"/api/v1/offers/{offer_id}/counter", headers=bearer(seller_token),
                          json={"quantity": 3, "price": 18000, "currency": "CNY", "transport_by": "seller"})
    assert counter.status_code == 201, counter.json
    assert counter.json["from"]["id"] == seller_org.id and counter.json["parent_id"] == offer_id
    old = client.get(f"/api/v1/offers/{offer_id}", headers=bearer(buyer_token))
    assert old.json["status"] == "countered"
    # the countered offer is closed; the counter-offer is the buyer's to accept
    assert client.post(f"/api/v1/offers/{offer_id}/accept", headers=bearer(seller_token)).status_code == 409
    accepted = client.post(f"/api/v1/offers/{counter.json['id']}/accept", headers=bearer(buyer_token))
    assert accepted.status_code == 200
    assert accepted.json["deal"]["amount"] == 54_000 and accepted.json["deal"]["transport_by"] == "seller"


def test_decline_through_the_thread_page(app, factory, client):
    seller_user, seller_org = seller(factory)
    buyer_user, buyer_org = receiver(factory)
    listing_id = listing(app, seller_org.id, seller_user.id)
    offer_id = offer(app, listing_id, buyer_org.id, buyer_user.id)
    login(client, seller_user)
    response = client.post(f"/market/offers/{offer_id}/decline", follow_redirects=True)
    assert response.status_code == 200
    assert "Declined" in response.text or "已拒绝" in response.text
    with app.app_context():
        assert db.session.get(Offer, offer_id).status == "declined"


def test_cancelling_releases_the_reservation_and_restocks_a_sold_out_listing(app, factory, client):
    seller_user, seller_org = seller(factory)
    buyer_user, buyer_org = receiver(factory)
    listing_id = listing(app, seller_org.id, seller_user.id, quantity="2")
    offer_id = offer(app, listing_id, buyer_org.id, buyer_user.id, quantity="2")
    assert _accept(app, seller_user.id, offer_id)
    with app.app_context():
        assert db.session.get(Listing, listing_id).status == "sold_out"
        deal_id = db.session.scalar(select(Deal.id))
    login(client, buyer_user)
    empty = client.post(f"/market/deals/{deal_id}/cancel", data={"reason": ""})
    assert empty.status_code == 422
    response = client.post(f"/market/deals/{deal_id}/cancel", data={"reason": "车辆无法安排"})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(Listing, listing_id)
        assert (row.reserved_g, row.status) == (0, "published")
        assert db.session.get(Deal, deal_id).status == "cancelled"
