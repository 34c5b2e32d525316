"""The typed input layer: bounded ids in URLs, bounded pages, the API's 400/422 contract for hostile bodies, the
event-date rule shared by forms and schemas, and the response check against the documented models."""
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from portal.api.schemas import Error, Operation, Output, check_response
from portal.clock import china_today
from portal.inputs import INT32_MAX, EventDateRange, page_arg
from tests.factories import login

HUGE_IDS = [str(INT32_MAX + 1), "99999999999", str(2**63), "9" * 30]


@pytest.mark.parametrize("number", HUGE_IDS)
def test_an_id_beyond_int32_is_not_found_in_the_api_and_the_pages(client, factory, number):
    token = factory.token(factory.user())
    assert client.get(f"/api/v1/listings/{number}").status_code == 404
    assert client.get(f"/api/v1/offers/{number}", headers={"Authorization": f"Bearer {token}"}).status_code == 404
    assert client.get(f"/market/listings/{number}").status_code == 404
    assert client.get(f"/api/v1/listings/{INT32_MAX}").status_code == 404  # the largest id is looked up


@pytest.mark.parametrize("page", ["9e26", "1e400", "99999999999", "9" * 30, "-1", "0", "abc", ""])
def test_a_wild_page_number_never_fails_a_list_page(client, page):
    for url in (f"/reports/?page={page}", f"/market/demand?page={page}", f"/market/?page={page}",
                f"/reports/?page=1&per_page={page}"):
        assert client.get(url).status_code in (200, 400), url


@pytest.mark.parametrize("page", ["9e26", "1e400", "99999999999", "9" * 30])
def test_a_wild_page_number_is_refused_by_the_api(client, page):
    response = client.get(f"/api/v1/waste-codes?page={page}")
    assert response.status_code in (400, 422) and "page" in response.json["error"]["fields"]


def test_page_arg_clamps():
    assert [page_arg({"page": raw}) for raw in ("3", "0", "9" * 30, "9e26", "x", "")] == [3, 1, 1, 1, 1, 1]
    assert page_arg({"page": "50000"}) == 10_000


def test_a_wrong_method_answers_405_with_allow(client):
    response = client.delete("/api/v1/waste-codes")
    assert response.status_code == 405 and response.headers["Allow"]
    assert "GET" in response.headers["Allow"] and response.json["error"]["code"] == "method_not_allowed"


def _bearer(factory):
    user = factory.user()
    org = factory.org(admin=user)
    return {"Authorization": f"Bearer {factory.token(user, org)}"}


@pytest.mark.parametrize(("body", "status"), [
    ("[]", 400), ('"text"', 400), ("{", 400), ("[" * 100_000 + "]" * 100_000, 400),
    ('{"title": "x", "quantity": 1e400, "unit": "t", "district": "411282"}', 422),
    ('{"title": "x", "quantity": 9e26, "unit": "t", "district": "411282"}', 422),
    ('{"title": "x", "quantity": 1, "unit": "t", "district": "411282", "price": 9e26}', 400),
    ('{"title": "x", "quantity": 1, "unit": "t", "district": "411282", "price": 99999999999999999999999}', 422),
    ('{"title": ["x"], "quantity": "many", "unit": 5, "district": {}}', 400),
    ('{"title": "x", "quantity": 1, "unit": "t", "district": "411282", "quality": ' + '{"a":' * 50 + "1"
     + "}" * 50 + "}", 422),
])
def test_hostile_bodies_are_refused_not_crashed(client, factory, body, status):
    response = client.post("/api/v1/listings", data=body, content_type="application/json", headers=_bearer(factory))
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] in ("bad_request", "invalid")


def test_every_bad_field_is_named(client, factory):
    response = client.post("/api/v1/listings", json={"title": "x" * 201, "quantity": -1, "unit": "lb",
                                                     "district": "411282", "lat": 200},
                           headers=_bearer(factory))
    assert response.status_code == 422
    assert {"title", "quantity", "unit", "lat"} <= set(response.json["error"]["fields"])


def test_event_dates_are_bounded_in_forms_and_schemas(app):
    validator = EventDateRange()

    class Field:
        def __init__(self, value):
            self.data = value

    for bad in (date(999, 1, 1), date(1999, 12, 31), china_today() + timedelta(days=2)):
        with app.test_request_context(), pytest.raises(Exception, match="."):
            validator(None, Field(bad))
    with app.test_request_context():
        validator(None, Field(china_today()))
        validator(None, Field(date(2000, 1, 1)))


def test_a_batch_dated_before_2000_is_refused_by_the_web_form(client, factory):
    user = factory.user()
    factory.org(admin=user)
    login(client, user)
    response = client.post("/batches/new", data={"waste_code": "900-249-08", "quantity": "1", "unit": "t",
                                                 "form": "liquid", "packaging": "桶", "generated_on": "0999-01-01",
                                                 "containers": "1"})
    assert response.status_code in (200, 422) and "2000-01-01" in response.get_data(as_text=True)


class _Thing(Output):
    id: int


def test_the_response_check_refuses_an_undocumented_property(app):
    operation = Operation("a thing", [], responses={200: _Thing})
    with app.test_request_context("/api/v1/things/1"):
        check_response(operation, app.response_class('{"id": 1}', mimetype="application/json"))
        with pytest.raises(AssertionError, match="does not match"):
            check_response(operation, app.response_class('{"id": 1, "secret": 2}', mimetype="application/json"))
        with pytest.raises(AssertionError, match="does not match"):
            check_response(operation, app.response_class('{"id": "1"}', mimetype="application/json"))
        with pytest.raises(AssertionError, match="not documented"):
            check_response(operation, app.response_class('{"id": 1}', status=201, mimetype="application/json"))
    with pytest.raises(ValidationError):
        Error.model_validate({"error": {"code": "x", "message": "y"}, "extra": 1})


def test_the_openapi_document_publishes_the_constraints(client):
    document = client.get("/api/v1/openapi.json").json
    schemas = document["components"]["schemas"]
    listing = schemas["ListingInput"]["properties"]
    assert listing["title"]["maxLength"] == 200
    assert schemas["NewBatch"]["properties"]["unit"]["enum"] == ["t", "kg", "g"]
    assert schemas["DealOut"]["additionalProperties"] is False
    assert {"delivery_from", "delivery_until", "transport_by", "transport_paid_by", "created_at",
            "completed_at"} <= set(schemas["DealOut"]["properties"])
    page = next(p for p in document["paths"]["/waste-codes"]["get"]["parameters"] if p["name"] == "page")
    assert page["schema"]["minimum"] == 1 and page["schema"]["maximum"] == 10_000
    listing_id = document["paths"]["/listings/{listing_id}"]["get"]["parameters"][0]["schema"]
    assert listing_id == {"type": "integer", "minimum": 1, "maximum": INT32_MAX}
    manifest = schemas["ManifestOut"]["properties"]["number"]
    assert any(option.get("pattern") == r"^\d{14}$" for option in manifest.get("anyOf", [manifest]))


@pytest.mark.parametrize("url", ["/api/v1/divisions?parent=%00", "/api/v1/waste-codes/%00ab", "/market/?q=a%00b",
                                 "/reports/?district=%00"])
def test_a_nul_character_is_a_bad_request_everywhere(client, url):
    """PostgreSQL refuses NUL in text, even in a comparison: it never reaches the database."""
    assert client.get(url).status_code == 400


def test_a_nul_character_in_a_json_body_or_an_overlong_idempotency_key_is_refused(client, factory):
    headers = _bearer(factory)
    response = client.post("/api/v1/listings", json={"title": "a\x00b", "quantity": 1, "unit": "t",
                                                     "district": "411282"}, headers=headers)
    assert response.status_code == 400
    response = client.post("/api/v1/demands", json={"title": "x"}, headers={**headers, "Idempotency-Key": "k" * 256})
    assert response.status_code == 400 and "Idempotency-Key" in response.json["error"]["fields"]
