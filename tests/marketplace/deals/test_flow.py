"""Matching and its notifications, pages of both parties, settlement, ratings, and the deal following its manifest."""
from sqlalchemy import func, select

from marketplace.deals import services
from marketplace.deals.models import Deal, Offer
from marketplace.listings.models import Listing
from marketplace.matching.models import Match
from portal.accounts.models import Organisation, User
from portal.extensions import db
from portal.outbox import OutboxMessage
from portal.regulatory.manifests.models import Manifest
from portal.types import utcnow
from tests.factories import login

from .helpers import bearer, licence, listing, offer, receiver, seller


def test_publishing_a_hazardous_listing_matches_and_notifies_only_licensed_receivers(app, factory, client):
    seller_user, seller_org = seller(factory)
    far_user, far_org = receiver(factory, lat=34.50, lon=110.80)
    licence(app, far_org.id)
    near_user, near_org = receiver(factory, lat=34.78, lon=111.21)
    licence(app, near_org.id, capacity_t=4)  # takes part of the 10 t
    bare_user, bare_org = receiver(factory)
    listing_id = listing(app, seller_org.id, seller_user.id, hazardous=True)
    with app.app_context():
        matched = {m.organisation_id: m for m in db.session.scalars(select(Match))}
        assert set(matched) == {far_org.id, near_org.id}
        assert matched[near_org.id].takeable_g == 4_000_000
        mailed = set(db.session.scalars(select(OutboxMessage.recipient)))
        assert {far_user.email, near_user.email} <= mailed and bare_user.email not in mailed
    login(client, seller_user)
    page = client.get(f"/market/matches/listing/{listing_id}")
    assert page.status_code == 200
    assert page.text.index(near_org.name) < page.text.index(far_org.name)  # nearest first
    assert bare_org.name not in page.text
    login(client, near_user)
    mine = client.get("/market/matches")
    assert mine.status_code == 200 and "废矿物油" in mine.text
    login(client, bare_user)
    assert "废矿物油" not in client.get("/market/matches").text
    assert client.get(f"/market/matches/listing/{listing_id}").status_code in (403, 404)


def test_posting_demand_matches_published_listings(app, factory, client):
    from marketplace.listings.services import create_demand

    seller_user, seller_org = seller(factory)
    listing(app, seller_org.id, seller_user.id)
    buyer_user, buyer_org = receiver(factory)
    with app.app_context():
        demand = create_demand(db.session.get(Organisation, buyer_org.id),
                               {"title": "收购建筑垃圾", "streams": ["construction"], "status": "published"},
                               db.session.get(User, buyer_user.id))
        db.session.commit()
        demand_id = demand.id
        assert db.session.scalar(select(func.count(Match.id)).where(Match.organisation_id == buyer_org.id)) == 1
    login(client, buyer_user)
    page = client.get(f"/market/matches/demand/{demand_id}")
    assert page.status_code == 200 and "建筑垃圾再生骨料" in page.text


def test_general_waste_deal_settles_on_the_received_quantity_and_both_rate(app, factory, client):
    seller_user, seller_org = seller(factory)
    buyer_user, buyer_org = receiver(factory)
    listing_id = listing(app, seller_org.id, seller_user.id, price=20000)
    offer_id = offer(app, listing_id, buyer_org.id, buyer_user.id, quantity="3", price=20000)
    login(client, seller_user)
    accepted = client.post(f"/market/offers/{offer_id}/accept")
    assert accepted.status_code == 302
    with app.app_context():
        deal_id = db.session.scalar(select(Deal.id))
    assert client.post(f"/market/deals/{deal_id}/start").status_code == 302
    login(client, buyer_user)
    too_much = client.post(f"/market/deals/{deal_id}/receipt", data={"received": "4", "unit": "t"})
    assert too_much.status_code == 422
    assert client.post(f"/market/deals/{deal_id}/receipt", data={"received": "2.9", "unit": "t"}).status_code == 302
    with app.app_context():
        deal = db.session.get(Deal, deal_id)
        assert (deal.status, deal.final_quantity_g, deal.final_amount_fen) == ("completed", 2_900_000, 58_000)
    assert client.post(f"/market/deals/{deal_id}/rate", data={"score": "5", "comment": "准时"}).status_code == 302
    assert client.post(f"/market/deals/{deal_id}/rate", data={"score": "4"}).status_code == 409
    login(client, seller_user)
    assert client.post(f"/market/deals/{deal_id}/rate", data={"score": "9"}).status_code == 422
    assert client.post(f"/market/deals/{deal_id}/rate", data={"score": "4"}).status_code == 302
    shown = client.get(f"/api/v1/deals/{deal_id}", headers=bearer(factory.token(seller_user, seller_org)))
    assert shown.json["final_amount"] == 58_000 and len(shown.json["ratings"]) == 2


def test_pages_of_both_parties_and_the_regulator_reads_only(app, factory, client):
    seller_user, seller_org = seller(factory)
    buyer_user, buyer_org = receiver(factory)
    listing_id = listing(app, seller_org.id, seller_user.id)
    offer_id = offer(app, listing_id, buyer_org.id, buyer_user.id, note="可否下周提货？")
    login(client, seller_user)
    inbox = client.get("/market/offers?box=received")
    assert inbox.status_code == 200 and "建筑垃圾再生骨料" in inbox.text
    assert "建筑垃圾再生骨料" not in client.get("/market/offers?box=sent").text
    assert client.get("/market/offers?box=received&status=declined").text.count("建筑垃圾再生骨料") == 0
    with app.app_context():
        thread_id = db.session.get(Offer, offer_id).thread_id
    thread = client.get(f"/market/threads/{thread_id}")
    assert thread.status_code == 200 and "可否下周提货？" in thread.text
    assert client.post(f"/market/threads/{thread_id}/messages", data={"body": "可以"}).status_code == 302
    assert client.post(f"/market/threads/{thread_id}/messages", data={"body": ""}).status_code == 422
    regulator = factory.regulator(jurisdiction="411202")
    login(client, regulator)
    page = client.get(f"/market/threads/{thread_id}")
    assert page.status_code == 200 and "可以" in page.text
    assert client.post(f"/market/offers/{offer_id}/accept").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(Deal.id))) == 0  # a regulator cannot accept
    other_regulator = factory.regulator(jurisdiction="411282")
    login(client, other_regulator)
    assert client.get(f"/market/threads/{thread_id}").status_code == 404
    outsider_user, _org = receiver(factory)
    login(client, outsider_user)
    assert client.get(f"/market/threads/{thread_id}").status_code == 404


def test_a_hazardous_deal_follows_its_manifest(app, factory, client):
    from portal.regulatory.manifests.signals import manifest_stepped
    from portal.regulatory.manifests.states import apply_action

    seller_user, seller_org = seller(factory)
    buyer_user, buyer_org = receiver(factory)
    licence(app, buyer_org.id)
    listing_id = listing(app, seller_org.id, seller_user.id, hazardous=True, quantity="2")
    first = offer(app, listing_id, buyer_org.id, buyer_user.id, quantity="2")
    with app.test_request_context():
        deal = services.accept_offer(db.session.get(Offer, first), db.session.get(User, seller_user.id))
        db.session.commit()
        deal_id, manifest_id = deal.id, deal.manifest_id
        assert db.session.get(Listing, listing_id).status == "sold_out"
        # the generator cancels the draft manifest: the deal follows and the quantity is released
        apply_action(db.session.get(Manifest, manifest_id), "cancel", db.session.get(User, seller_user.id),
                     db.session.get(Organisation, seller_org.id), reason="改期")
        db.session.commit()
        assert db.session.get(Deal, deal_id).status == "cancelled"
        assert db.session.get(Listing, listing_id).available_g == 2_000_000
    second = offer(app, listing_id, buyer_org.id, buyer_user.id, quantity="2", price=-30000)
    with app.test_request_context():
        deal = services.accept_offer(db.session.get(Offer, second), db.session.get(User, seller_user.id))
        db.session.commit()
        deal_id = deal.id
        manifest = db.session.get(Manifest, deal.manifest_id)
        # the steps as apply_action takes them: the state changes and the step is announced in its transaction
        manifest.state = "submitted"
        manifest_stepped.send(manifest, action="submit", from_state="draft", to_state="submitted")
        db.session.commit()
        assert db.session.get(Deal, deal_id).status == "in_progress"
        manifest.state, manifest.received_at = "received", utcnow()
        manifest_stepped.send(manifest, action="receive", from_state="delivered", to_state="received")
        db.session.commit()
        deal = db.session.get(Deal, deal_id)
        assert deal.status == "completed" and deal.final_quantity_g == 0 and deal.final_amount_fen == 0
        # settling again (a caller in the receipt step) changes nothing
        services.settle_deal_from_manifest(manifest)
        assert deal.status == "completed"


def test_the_listing_page_offers_a_receiver_to_make_an_offer(app, factory, client):
    seller_user, seller_org = seller(factory)
    buyer_user, buyer_org = receiver(factory)
    listing_id = listing(app, seller_org.id, seller_user.id)
    login(client, buyer_user)
    page = client.get(f"/market/listings/{listing_id}")
    assert f"/market/offers/new/{listing_id}" in page.text
    assert client.get(f"/market/offers/new/{listing_id}").status_code == 200
    inquiry = client.post(f"/market/listings/{listing_id}/inquire")
    assert inquiry.status_code == 302 and "/market/threads/" in inquiry.headers["Location"]
    login(client, seller_user)
    assert f"/market/matches/listing/{listing_id}" in client.get(f"/market/listings/{listing_id}").text
