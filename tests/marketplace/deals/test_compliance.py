"""The compliance gate on hazardous listings, bad offers, and the manifest draft an accepted deal opens."""
from sqlalchemy import func, select

from marketplace.deals.models import Deal, Offer
from portal.extensions import db
from tests.factories import login

from .helpers import bearer, licence, listing, offer, receiver, seller


def _offer_body(**extra):
    return {"quantity": 1, "price": 100000, "currency": "CNY", "planned_method": "R9", **extra}


def test_an_organisation_without_a_licence_cannot_offer_on_hazardous_waste_and_is_told_why(app, factory, client):
    seller_user, seller_org = seller(factory)
    listing_id = listing(app, seller_org.id, seller_user.id, hazardous=True)
    buyer_user, buyer_org = receiver(factory, name="无证回收公司")
    response = client.post(f"/api/v1/listings/{listing_id}/offers", json=_offer_body(),
                           headers=bearer(factory.token(buyer_user, buyer_org)))
    assert response.status_code == 403
    error = response.json["error"]
    assert error["code"] == "no_licence"
    assert "无证回收公司" in error["message"]
    assert "licen" in error["message"].lower() or "许可" in error["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Offer.id))) == 0


def test_a_licence_that_does_not_cover_the_code_is_named_in_the_refusal(app, factory, client):
    seller_user, seller_org = seller(factory)
    listing_id = listing(app, seller_org.id, seller_user.id, hazardous=True)
    buyer_user, buyer_org = receiver(factory)
    licence(app, buyer_org.id, code="900-249-08")
    response = client.post(f"/api/v1/listings/{listing_id}/offers", json=_offer_body(),
                           headers=bearer(factory.token(buyer_user, buyer_org)))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "code_out_of_scope"
    assert "900-041-49" in response.json["error"]["message"]


def test_a_licence_without_enough_capacity_refuses_with_the_capacity_left(app, factory, client):
    seller_user, seller_org = seller(factory)
    listing_id = listing(app, seller_org.id, seller_user.id, hazardous=True)
    buyer_user, buyer_org = receiver(factory)
    licence(app, buyer_org.id, capacity_t=2)
    response = client.post(f"/api/v1/listings/{listing_id}/offers", json=_offer_body(quantity=3),
                           headers=bearer(factory.token(buyer_user, buyer_org)))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "capacity_exceeded"


def test_the_offer_page_shows_the_refusal_reason(app, factory, client):
    seller_user, seller_org = seller(factory)
    listing_id = listing(app, seller_org.id, seller_user.id, hazardous=True)
    buyer_user, buyer_org = receiver(factory, name="无证回收公司")
    login(client, buyer_user)
    page = client.post(f"/market/offers/new/{listing_id}",
                       data={"quantity": "1", "unit": "t", "price": "100000", "price_unit": "t", "currency": "CNY",
                             "transport_by": "buyer", "transport_paid_by": "buyer"})
    assert page.status_code == 403
    assert "无证回收公司" in page.text


def test_an_offer_above_the_available_quantity_is_refused(app, factory, client):
    seller_user, seller_org = seller(factory)
    listing_id = listing(app, seller_org.id, seller_user.id, quantity="10")
    buyer_user, buyer_org = receiver(factory)
    token = factory.token(buyer_user, buyer_org)
    response = client.post(f"/api/v1/listings/{listing_id}/offers", json=_offer_body(quantity=11),
                           headers=bearer(token))
    assert response.status_code == 422
    assert "quantity" in response.json["error"]["fields"]
    assert "10 t" in response.json["error"]["fields"]["quantity"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Offer.id))) == 0


def test_bad_offer_input_names_the_fields(app, factory, client):
    seller_user, seller_org = seller(factory)
    listing_id = listing(app, seller_org.id, seller_user.id)
    buyer_user, buyer_org = receiver(factory)
    token = bearer(factory.token(buyer_user, buyer_org))
    response = client.post(f"/api/v1/listings/{listing_id}/offers", headers=token,
                           json={"quantity": -1, "price": 100, "transport_by": "nobody", "valid_until": "1999-01-01"})
    assert response.status_code == 422
    assert {"quantity", "currency", "transport_by", "valid_until"} <= set(response.json["error"]["fields"])
    # the rules between fields are the service's, once each value is well-formed
    response = client.post(f"/api/v1/listings/{listing_id}/offers", headers=token, json={
        **_offer_body(), "delivery_from": "2099-02-01", "delivery_until": "2099-01-01"})
    assert response.status_code == 422 and "delivery_until" in response.json["error"]["fields"]
    response = client.post(f"/api/v1/listings/{listing_id}/offers", headers=token,
                           json={**_offer_body(), "valid_until": "not a date", "price": "100"})
    assert response.status_code == 400 and {"valid_until", "price"} <= set(response.json["error"]["fields"])
    assert client.post(f"/api/v1/listings/{listing_id}/offers", headers=token, data="[]",
                       content_type="application/json").status_code == 400
    assert client.get("/api/v1/offers?box=elsewhere", headers=token).status_code == 422
    assert client.get("/api/v1/offers?status=maybe", headers=token).status_code == 422
    assert client.get("/api/v1/offers?listing_id=abc", headers=token).status_code == 400
    assert client.post("/api/v1/listings/999999/offers", headers=token, json=_offer_body()).status_code == 404


def test_unverified_organisations_cannot_offer(app, factory, client):
    seller_user, seller_org = seller(factory)
    listing_id = listing(app, seller_org.id, seller_user.id)
    buyer_user, buyer_org = receiver(factory, status="pending")
    response = client.post(f"/api/v1/listings/{listing_id}/offers", json=_offer_body(),
                           headers=bearer(factory.token(buyer_user, buyer_org)))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "unverified"


def test_accepting_a_hazardous_deal_opens_a_manifest_draft_both_parties_can_open(app, factory, client):
    seller_user, seller_org = seller(factory)
    listing_id = listing(app, seller_org.id, seller_user.id, hazardous=True)
    near_user, near_org = receiver(factory, lat=34.78, lon=111.21)
    licence(app, near_org.id)
    buyer_user, buyer_org = receiver(factory, lat=34.60, lon=110.90)
    licence(app, buyer_org.id)
    offer_id = offer(app, listing_id, buyer_org.id, buyer_user.id, quantity="2")
    with app.app_context():
        made = db.session.get(Offer, offer_id)
        # the nearest-facility principle: a licensed receiver closer to the waste exists
        assert made.nearest_org_id == near_org.id and made.distance_m > made.nearest_distance_m
    seller_token, buyer_token = factory.token(seller_user, seller_org), factory.token(buyer_user, buyer_org)
    accepted = client.post(f"/api/v1/offers/{offer_id}/accept", headers=bearer(seller_token))
    assert accepted.status_code == 200, accepted.json
    manifest_id = accepted.json["deal"]["manifest_id"]
    assert manifest_id is not None
    for token in (seller_token, buyer_token):
        shown = client.get(f"/api/v1/manifests/{manifest_id}", headers=bearer(token))
        assert shown.status_code == 200
        assert shown.json["state"] == "draft"
        assert shown.json["generator"]["id"] == seller_org.id and shown.json["receiver"]["id"] == buyer_org.id
    outsider_user, outsider_org = receiver(factory)
    assert client.get(f"/api/v1/manifests/{manifest_id}",
                      headers=bearer(factory.token(outsider_user, outsider_org))).status_code == 404
    for user, status in ((seller_user, 200), (buyer_user, 200), (outsider_user, 404)):
        login(client, user)
        assert client.get(f"/manifests/{manifest_id}").status_code == status
    deal_id = accepted.json["deal"]["id"]
    login(client, outsider_user)
    assert client.get(f"/market/deals/{deal_id}").status_code == 404
    assert client.get(f"/api/v1/deals/{deal_id}",
                      headers=bearer(factory.token(outsider_user, outsider_org))).status_code == 404
    login(client, buyer_user)
    page = client.get(f"/market/deals/{deal_id}")
    assert page.status_code == 200
    assert f"/manifests/{manifest_id}" in page.text
    assert "三门峡市测试路1号" in page.text  # the seller's site is revealed to the buyer once accepted
    with app.app_context():
        assert db.session.get(Deal, deal_id).status == "accepted"
