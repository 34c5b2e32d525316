"""Listings, demand and saved searches through the API and the pages, with the search outbox."""
import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from marketplace.listings.models import Listing, SearchAlert
from marketplace.search.outbox import SearchOutbox, drain
from portal.extensions import db
from portal.outbox import OutboxMessage
from tests.documents import small_pdf
from tests.factories import login

OIL = {"title": "废矿物油 10吨", "description": "机修厂废机油", "waste_code": "90021408", "quantity": 10, "unit": "t",
       "price": 120000, "currency": "CNY", "district": "411202", "lat": 34.772, "lon": 111.2, "status": "published"}


@pytest.fixture
def seller(factory):
    user = factory.user()
    org = factory.org(admin=user, is_generator=True, district="411202")
    return user, org, factory.token(user, org)


def auth_header(token):
    return {"Authorization": f"Bearer {token}"}


def post(client, token, **changes):
    return client.post("/api/v1/listings", json={**OIL, **changes}, headers=auth_header(token))


def drain_outbox(app):
    """What `wufei search drain` from a timer does: a request never drains the outbox itself."""
    with app.app_context():
        return drain()


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_api_creates_a_listing_and_search_finds_it(app, client, seller, meili):
    _user, _org, token = seller
    response = post(client, token)
    assert response.status_code == 201
    listing_id = response.json["id"]
    assert drain_outbox(app) == 1
    assert response.json["hazardous"] is True and response.json["waste_code"] == "900-214-08"
    found = client.get("/api/v1/listings?q=废机油").json
    assert found["backend"] == "meilisearch"
    assert [i["id"] for i in found["items"]] == [listing_id] and found["total"] == 1
    assert "lat" not in found["items"][0] and "site_id" not in found["items"][0]  # no exact site for the public
    assert found["facets"]["hazardous"] == {"true": 1}


def test_api_listing_negative_price_and_negotiable(client, seller):
    _user, _org, token = seller
    fee = post(client, token, price=-50000, title="飞灰处置")
    assert fee.status_code == 201 and fee.json["price"] == -50000
    free = post(client, token, price=None, currency=None, title="可议价")
    assert free.status_code == 201 and free.json["negotiable"] is True


@pytest.mark.parametrize(("changes", "field"), [
    ({"quantity": -5}, "quantity"), ({"quantity": 0}, "quantity"), ({"quantity": "lots"}, "quantity"),
    ({"currency": None}, "currency"), ({"currency": "USD"}, "currency"), ({"waste_code": "999-999-99"}, "waste_code"),
    ({"waste_code": None}, "waste_code"), ({"unit": "lb"}, "unit"), ({"district": "110101"}, "district"),
    ({"lat": 95}, "lat"), ({"status": "sold_out"}, "status"), ({"price": 1.5}, "price"), ({"title": ""}, "title"),
])
def test_api_bad_input_names_the_field_and_changes_nothing(client, app, seller, changes, field):
    _user, _org, token = seller
    response = post(client, token, **changes)
    # 400 for a value of the wrong JSON type ("lots", 1.5 for whole fen), 422 for a well-formed one breaking a rule
    assert response.status_code == (400 if changes in ({"quantity": "lots"}, {"price": 1.5}) else 422)
    assert field in response.json["error"]["fields"]
    with app.app_context():
        assert count(Listing) == 0 and count(SearchOutbox) == 0


def test_hazardous_listing_needs_generator_or_collector(client, factory):
    user = factory.user()
    org = factory.org(admin=user, is_receiver=True)
    response = post(client, factory.token(user, org))
    assert response.status_code == 422 and "waste_code" in response.json["error"]["fields"]
    general = post(client, factory.token(user, org), waste_code="SW02", title="粉煤灰")
    assert general.status_code == 201 and general.json["hazardous"] is False


def test_uncoded_streams_and_unverified_organisations(client, factory):
    user = factory.user()
    org = factory.org(admin=user)
    response = post(client, factory.token(user, org), waste_code=None, stream="construction", title="建筑垃圾")
    assert response.status_code == 201 and response.json["stream"] == "construction"
    pending_user = factory.user()
    pending = factory.org(admin=pending_user, status="pending", is_generator=True)
    refused = post(client, factory.token(pending_user, pending))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "unverified"


def test_api_writes_need_a_token(client):
    assert client.post("/api/v1/listings", json=OIL).status_code == 401


def test_patch_lifecycle_and_other_organisations(client, factory, seller):
    _user, _org, token = seller
    listing_id = post(client, token, status="draft").json["id"]
    assert client.get(f"/api/v1/listings/{listing_id}").status_code == 404  # a draft is not public
    other = factory.user()
    other_token = factory.token(other, factory.org(admin=other))
    assert client.patch(f"/api/v1/listings/{listing_id}", json={"title": "x"},
                        headers=auth_header(other_token)).status_code == 404
    response = client.patch(f"/api/v1/listings/{listing_id}", json={"status": "published", "quantity": 12},
                            headers=auth_header(token))
    assert response.status_code == 200 and response.json["status"] == "published"
    assert response.json["quantity"] == "12"
    assert client.get(f"/api/v1/listings/{listing_id}").json["status"] == "published"
    paused = client.patch(f"/api/v1/listings/{listing_id}", json={"status": "paused"}, headers=auth_header(token))
    assert paused.json["status"] == "paused"
    bad = client.patch(f"/api/v1/listings/{listing_id}", json={"status": "sold_out"}, headers=auth_header(token))
    assert bad.status_code == 422 and "status" in bad.json["error"]["fields"]
    withdrawn = client.patch(f"/api/v1/listings/{listing_id}", json={"status": "withdrawn"}, headers=auth_header(token))
    assert withdrawn.json["status"] == "withdrawn"
    again = client.patch(f"/api/v1/listings/{listing_id}", json={"status": "published"}, headers=auth_header(token))
    assert again.status_code == 409


@pytest.mark.parametrize(("query", "field"), [
    ("sort=cheapest", "sort"), ("sort=distance", "sort"), ("hazardous=maybe", "hazardous"),
    ("price_min=abc", "price_min"), ("quantity_min=-1", "quantity_min"), ("stream=space", "stream"),
    ("waste_code=DROP", "waste_code"), ("category=XX01", "category"), ("district=1", "district"),
    ("near=abc", "near"), ("radius_km=5", "near"), ("near=91,200", "near"), ("page=0", "page"),
    ("page_size=1000", "page_size"), ("price_min=10&price_max=5", "price_max"), ("form=plasma", "form"),
])
def test_malformed_filter_or_sort_is_refused_naming_it(client, query, field):
    response = client.get(f"/api/v1/listings?{query}")
    assert response.status_code in (400, 422)  # 400: not a value of the type; 422: a value breaking a rule
    assert field in response.json["error"]["fields"]
    if not field.startswith("page"):  # the page itself clamps a page number instead
        page = client.get(f"/market/?{query}")
        assert page.status_code == 400 and "This search could not be run" in page.get_data(as_text=True)


def test_transactional_outbox_and_drain(client, app, seller, meili):
    _user, _org, token = seller
    app.config["MEILISEARCH_URL"], url = "http://127.0.0.1:9", app.config["MEILISEARCH_URL"]
    listing_id = post(client, token).json["id"]
    with app.app_context():
        assert db.session.scalar(select(func.count(SearchOutbox.id)).where(SearchOutbox.processed_at.is_(None))) >= 1
    app.config["MEILISEARCH_URL"] = url
    with app.app_context():
        assert drain() >= 1
        assert db.session.scalar(select(func.count(SearchOutbox.id)).where(SearchOutbox.processed_at.is_(None))) == 0
    assert [i["id"] for i in client.get("/api/v1/listings?q=900-214-08").json["items"]] == [listing_id]


def test_falls_back_to_sql_when_meilisearch_is_down(client, app, seller):
    _user, _org, token = seller
    post(client, token)
    app.config["MEILISEARCH_URL"] = "http://127.0.0.1:9"  # nothing listens on the discard port
    response = client.get("/api/v1/listings?q=废机油&sort=-price&hazardous=true")
    assert response.status_code == 200 and response.json["backend"] == "sql" and response.json["total"] == 1
    page = client.get("/market/?q=废机油")
    assert page.status_code == 200 and "废矿物油 10吨" in page.get_data(as_text=True)
    for query in ('"', "💩" * 10, "a" * 2000, "-x AND (y"):
        assert client.get("/api/v1/listings", query_string={"q": query}).status_code == 200
        assert client.get("/market/", query_string={"q": query}).status_code == 200


def test_pages_browse_detail_and_my_listings(app, client, factory, seller, meili):
    user, org, token = seller
    listing_id = post(client, token).json["id"]
    drain_outbox(app)
    page = client.get("/market/?q=废矿物油").get_data(as_text=True)
    assert "废矿物油 10吨" in page and "湖滨区" in page
    detail = client.get(f"/market/listings/{listing_id}").get_data(as_text=True)
    assert "0398-1234567" not in detail and "34.772" not in detail  # no contact, no exact site
    login(client, user)
    mine = client.get("/market/mine").get_data(as_text=True)
    assert "废矿物油 10吨" in mine
    assert client.post(f"/market/listings/{listing_id}/pause").status_code == 302
    drain_outbox(app)
    assert client.get("/api/v1/listings?q=废矿物油").json["total"] == 0


def _jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (800, 600), "gray")
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_form_creates_listing_with_photo_stripped_of_metadata(client, app, seller):
    user, _org, _token = seller
    login(client, user)
    data = {"title": "脱硫石膏", "waste_code": "SW06", "form": "powder", "quantity": "300", "unit": "t",
            "supply": "one_off", "price": "1000", "currency": "CNY", "district": "411202", "site_id": "",
            "stream": "", "photos": (io.BytesIO(_jpeg_with_exif()), "p.jpg"),
            "lab_report": (io.BytesIO(small_pdf()), "report.pdf")}
    response = client.post("/market/listings/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        listing = db.session.scalars(select(Listing)).one()
        assert listing.status == "draft" and listing.lab_report.endswith(".pdf")
        photo = listing.photos[0]
    stored = client.get(f"/market/photos/{photo.filename}")
    assert stored.status_code == 200
    assert not Image.open(io.BytesIO(stored.data)).getexif()
    bad = client.post("/market/listings/new", data={**data, "quantity": "-3", "photos": (io.BytesIO(b"x"), "p.jpg"),
                                                    "lab_report": (io.BytesIO(b"x"), "r.pdf")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422
    with app.app_context():
        assert count(Listing) == 1


def test_demand_api_and_rules(client, factory):
    user = factory.user()
    receiver = factory.org(admin=user, is_receiver=True)
    token = factory.token(user, receiver)
    body = {"title": "收购废矿物油", "waste_codes": ["900-214-08"], "categories": ["HW08"], "quantity": 50,
            "price_min": 100000, "price_max": 200000, "currency": "CNY", "radius_km": 100, "status": "published"}
    response = client.post("/api/v1/demands", json=body, headers=auth_header(token))
    assert response.status_code == 201 and response.json["waste_codes"] == ["900-214-08"]
    assert client.get("/api/v1/demands?waste_code=90021408").json["total"] == 1
    bad = client.post("/api/v1/demands", json={**body, "price_min": 300000}, headers=auth_header(token))
    assert bad.status_code == 422 and "price_max" in bad.json["error"]["fields"]
    no_currency = client.post("/api/v1/demands", json={**body, "currency": None}, headers=auth_header(token))
    assert "currency" in no_currency.json["error"]["fields"]
    generator = factory.user()
    gen_org = factory.org(admin=generator, is_generator=True)
    refused = client.post("/api/v1/demands", json=body, headers=auth_header(factory.token(generator, gen_org)))
    assert refused.status_code == 403
    closed = client.patch(f"/api/v1/demands/{response.json['id']}", json={"status": "closed"},
                          headers=auth_header(token))
    assert closed.json["status"] == "closed"
    login(client, user)
    assert "收购废矿物油" in client.get("/market/demand/mine").get_data(as_text=True)


def test_saved_search_alerts_in_app_and_by_mail(client, app, factory, seller):
    buyer = factory.user(email="buyer@example.cn")
    factory.org(admin=buyer, is_receiver=True)
    login(client, buyer)
    response = client.post("/market/saved", data={"q": "废机油", "hazardous": "true", "name": "机油"})
    assert response.status_code == 302
    _user, _org, token = seller
    post(client, token, title="粉煤灰", waste_code="SW02")  # does not match
    post(client, token)  # matches
    with app.app_context():
        alerts = db.session.scalars(select(SearchAlert)).all()
        assert len(alerts) == 1 and alerts[0].listing.title == "废矿物油 10吨"
        mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "buyer@example.cn",
                                                              OutboxMessage.subject.contains("机油"))).all()
        assert len(mail) == 1 and "废矿物油 10吨" in mail[0].body
    assert "废矿物油 10吨" in client.get("/market/saved").get_data(as_text=True)


def test_reindex_command_swaps_in_a_fresh_index(app, seller, client, meili):
    _user, _org, token = seller
    post(client, token)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "1 listings indexed" in result.output
    assert client.get("/api/v1/listings?q=waste oil").json["backend"] == "meilisearch"
    assert client.get("/api/v1/listings?q=waste oil").json["total"] == 1


def test_openapi_documents_the_marketplace(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get", "post"} <= set(paths["/listings"]) and {"get", "patch"} <= set(paths["/listings/{listing_id}"])
    assert "/demands" in paths
