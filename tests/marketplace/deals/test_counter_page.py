"""The counter-offer page: the form opens filled with the offer's terms and sends the counter-offer."""
from sqlalchemy import select

from marketplace.deals.models import Offer
from portal.extensions import db
from tests.factories import login

from .helpers import listing, offer, receiver, seller


def test_counter_offer_page_opens_with_the_offers_terms_and_sends(app, factory, client):
    seller_user, seller_org = seller(factory)
    buyer_user, buyer_org = receiver(factory)
    listing_id = listing(app, seller_org.id, seller_user.id)
    offer_id = offer(app, listing_id, buyer_org.id, buyer_user.id, quantity="3", price=15000)
    login(client, seller_user)
    page = client.get(f"/market/offers/{offer_id}/counter")
    assert page.status_code == 200
    assert 'name="price"' in page.text and 'value="150.00"' in page.text  # 元, not fen
    sent = client.post(f"/market/offers/{offer_id}/counter",
                       data={"quantity": "3", "unit": "t", "price": "180", "price_unit": "t", "currency": "CNY",
                             "transport_by": "buyer", "transport_paid_by": "buyer"})
    assert sent.status_code == 302
    with app.app_context():
        counter = db.session.scalar(select(Offer).where(Offer.parent_id == offer_id))
        assert counter is not None and counter.price_fen == 18000 and counter.from_org_id == seller_org.id
