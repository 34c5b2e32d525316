"""#14 point 1 for deals: a hazardous offer names the R/D method, which the buyer's licence must permit."""
from sqlalchemy import func, select

from marketplace.deals.models import Deal, Offer
from portal.extensions import db
from tests.factories import login

from .helpers import bearer, licence, listing, offer, receiver, seller

BODY = {"quantity": 1, "price": 100000, "currency": "CNY"}


def _hazardous_listing_and_licensed_buyer(app, factory):
    seller_user, seller_org = seller(factory)
    listing_id = listing(app, seller_org.id, seller_user.id, hazardous=True)
    buyer_user, buyer_org = receiver(factory)
    licence(app, buyer_org.id)  # 900-041-49 by R9 or D10
    return (seller_user, seller_org), (buyer_user, buyer_org), listing_id


def _offers(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Offer.id)))


def test_a_method_outside_the_licence_scope_is_refused_and_named(app, factory, client):
    _seller, (buyer_user, buyer_org), listing_id = _hazardous_listing_and_licensed_buyer(app, factory)
    token = bearer(factory.token(buyer_user, buyer_org))
    response = client.post(f"/api/v1/listings/{listing_id}/offers", headers=token,
                           json={**BODY, "planned_method": "D1"})
    assert response.status_code == 403
    error = response.json["error"]
    assert error["code"] == "method_out_of_scope" and "planned_method" in error["fields"]
    assert "R9" in error["message"] and "D1" in error["message"]
    assert _offers(app) == 0


def test_a_hazardous_offer_without_a_method_is_refused_but_a_general_one_needs_none(app, factory, client):
    (seller_user, seller_org), (buyer_user, buyer_org), listing_id = _hazardous_listing_and_licensed_buyer(app, factory)
    token = bearer(factory.token(buyer_user, buyer_org))
    response = client.post(f"/api/v1/listings/{listing_id}/offers", headers=token, json=BODY)
    assert response.status_code == 422 and response.json["error"]["code"] == "method_required"
    assert "planned_method" in response.json["error"]["fields"]
    assert client.post(f"/api/v1/listings/{listing_id}/offers", headers=token,
                       json={**BODY, "planned_method": "X9"}).status_code == 422
    general_id = listing(app, seller_org.id, seller_user.id)
    made = client.post(f"/api/v1/listings/{general_id}/offers", headers=token, json={**BODY, "planned_method": "R9"})
    assert made.status_code == 201 and made.json["planned_method"] is None
    assert _offers(app) == 1


def test_the_method_goes_from_offer_to_counter_offer_to_deal(app, factory, client):
    (seller_user, seller_org), (buyer_user, buyer_org), listing_id = _hazardous_listing_and_licensed_buyer(app, factory)
    offer_id = offer(app, listing_id, buyer_org.id, buyer_user.id, planned_method="d10")
    seller_token = bearer(factory.token(seller_user, seller_org))
    countered = client.post(f"/api/v1/offers/{offer_id}/counter", headers=seller_token,
                            json={**BODY, "price": 120000})
    assert countered.status_code == 201, countered.json
    assert countered.json["planned_method"] == "D10"
    accepted = client.post(f"/api/v1/offers/{countered.json['id']}/accept",
                           headers=bearer(factory.token(buyer_user, buyer_org)))
    assert accepted.status_code == 200, accepted.json
    assert accepted.json["deal"]["planned_method"] == "D10"
    with app.app_context():
        assert db.session.get(Deal, accepted.json["deal"]["id"]).planned_method == "D10"
    login(client, buyer_user)
    page = client.get(f"/market/deals/{accepted.json['deal']['id']}")
    assert "D10" in page.text


def test_the_offer_form_offers_only_the_licensed_methods(app, factory, client):
    _seller, (buyer_user, _buyer_org), listing_id = _hazardous_listing_and_licensed_buyer(app, factory)
    login(client, buyer_user)
    page = client.get(f"/market/offers/new/{listing_id}")
    assert page.status_code == 200
    assert 'value="R9"' in page.text and 'value="D10"' in page.text and 'value="D1"' not in page.text
    form = {"quantity": "1", "unit": "t", "price": "100000", "price_unit": "t", "currency": "CNY",
            "transport_by": "buyer", "transport_paid_by": "buyer"}
    assert client.post(f"/market/offers/new/{listing_id}", data=form).status_code == 422
    sent = client.post(f"/market/offers/new/{listing_id}", data={**form, "planned_method": "R9"})
    assert sent.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Offer.planned_method)) == "R9"
