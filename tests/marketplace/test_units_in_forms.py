"""Prices are typed and shown in 元 per tonne, weights in t: the listing, demand and search forms."""
from sqlalchemy import select

from marketplace.listings.models import Demand, Listing
from portal.extensions import db
from tests.factories import login

from .test_listings import OIL, auth_header


def _listing_form(**changes):
    return {"title": "废铁屑", "waste_code": "SW17", "form": "solid", "quantity": "500", "unit": "kg",
            "supply": "one_off", "price": "18", "currency": "CNY", "district": "411202", "site_id": "",
            "stream": "", **changes}


def test_listing_form_takes_yuan_per_tonne_whatever_the_quantity_unit(client, app, factory):
    user = factory.user()
    factory.org(admin=user, is_generator=True, district="411202")
    login(client, user)
    assert "元" in client.get("/market/listings/new").get_data(as_text=True)
    response = client.post("/market/listings/new", data=_listing_form(), content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        listing = db.session.scalars(select(Listing)).one()
        assert (listing.price_fen, listing.price_unit, listing.price_per_t_fen) == (1800, "t", 1800)
        assert listing.quantity_g == 500_000 and listing.unit == "kg"
        listing_id = listing.id
    assert "¥18.00" in client.get(f"/market/listings/{listing_id}").get_data(as_text=True)
    assert 'value="18.00"' in client.get(f"/market/listings/{listing_id}/edit").get_data(as_text=True)
    finer = client.post("/market/listings/new", data=_listing_form(price="18.001"),
                        content_type="multipart/form-data")
    assert finer.status_code == 422 and 'class="error"' in finer.get_data(as_text=True)


def test_demand_form_takes_a_price_range_in_yuan_per_tonne(client, app, factory):
    user = factory.user()
    factory.org(admin=user, is_receiver=True)
    login(client, user)
    response = client.post("/market/demand/new", data={
        "title": "收购废铁屑", "waste_codes": "", "categories": "SW17", "quantity": "20", "price_min": "18",
        "price_max": "25.5", "district": "", "radius_km": "50"})
    assert response.status_code == 302
    with app.app_context():
        demand = db.session.scalars(select(Demand)).one()
        assert (demand.price_min_fen, demand.price_max_fen, demand.quantity_g) == (1800, 2550, 20_000_000)
        demand_id = demand.id
    edit = client.get(f"/market/demand/{demand_id}/edit").get_data(as_text=True)
    assert 'value="18.00"' in edit and 'value="25.50"' in edit


def test_search_page_filters_in_yuan_per_tonne_and_tonnes(client, factory):
    user = factory.user()
    org = factory.org(admin=user, is_generator=True, district="411202")
    token = factory.token(user, org)
    assert client.post("/api/v1/listings", json=OIL, headers=auth_header(token)).status_code == 201  # ¥1200/t, 10 t
    for query, found in (("price_min_yuan=1000", True), ("price_min_yuan=1300", False),
                         ("price_max_yuan=1200", True), ("tonnes_min=10", True), ("tonnes_min=10.5", False),
                         ("tonnes_max=9", False)):
        page = client.get(f"/market/?{query}")
        assert page.status_code == 200, query
        assert ("废矿物油 10吨" in page.get_data(as_text=True)) is found, query
    refused = client.get("/market/?price_min_yuan=1.001")
    assert refused.status_code == 400 and "price_min_yuan" in refused.get_data(as_text=True)
    # the API keeps its documented integer unit: fen per tonne
    assert client.get("/api/v1/listings?price_min=120000").json["total"] == 1
    assert client.get("/api/v1/listings?price_min=120001").json["total"] == 0
