"""Open311 GeoReport v2: responses validate against the official JSON schemas; errors in the spec's format."""
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from participation.reports.models import Moderation, Report
from portal.extensions import db
from tests.participation.helpers import BEIJING, HUBIN

SCHEMA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "open311"


@pytest.fixture(scope="module")
def validate():
    """validate(instance, name): checks against schema_<name>.json, whose $refs name the others
    without the schema_ prefix (e.g. "request.json"), resolved through a registry."""
    if not SCHEMA_DIR.is_dir():
        pytest.skip(f"the Open311 schemas are not here: {SCHEMA_DIR} (../shared is absent)")
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    schemas = {p.name[len("schema_"):]: json.loads(p.read_text()) for p in SCHEMA_DIR.glob("schema_*.json")}
    swagger = schemas.pop("swagger.json")
    for name in ("RequestResponse", "TokenResponse"):
        schemas[name] = {"type": "array", "items": swagger["definitions"][name]}
    registry = Registry().with_resources((name, Resource(schema, DRAFT4)) for name, schema in schemas.items())

    def check(instance, name):
        Draft4Validator(schemas[name], registry=registry,
                        format_checker=Draft4Validator.FORMAT_CHECKER).validate(instance)
    return check


@pytest.fixture
def api_key(factory):
    user = factory.user()
    return factory.token(user, factory.org(admin=user))


def _post(client, fmt="json", **data):
    return client.post(f"/open311/v2/requests.{fmt}", data=data)


def _public(app, code):
    with app.app_context():
        db.session.scalar(select(Report).where(Report.tracking_code == code)).moderation = Moderation.PUBLIC
        db.session.commit()


def test_services_and_definitions_validate(client, validate):
    services = client.get("/open311/v2/services.json")
    assert services.headers["Content-Type"].startswith("application/json")
    validate(services.json, "services.json")
    codes = [s["service_code"] for s in services.json]
    assert codes == ["construction", "household", "industrial", "hazardous", "burning", "other"]
    validate(client.get("/open311/v2/services/burning.json").json, "service-definition.json")
    missing = client.get("/open311/v2/services/potholes.json")
    assert missing.status_code == 404 and missing.json[0]["code"] == 404


def test_discovery_lists_the_endpoint(client):
    discovery = client.get("/open311/v2/discovery.json").json
    endpoint = discovery["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://wufei.test/open311/v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    xml = ElementTree.fromstring(client.get("/open311/v2/discovery.xml").data)
    assert xml.tag == "discovery" and xml.find("endpoints/endpoint/formats/format") is not None


def test_post_request_then_read_it_back(client, app, api_key, validate):
    created = _post(client, api_key=api_key, service_code="construction", lat=str(HUBIN[0]), long=str(HUBIN[1]),
                    description="工地渣土倾倒在河边", email="reporter@example.cn")
    assert created.status_code == 200
    validate(created.json, "RequestResponse")
    code = created.json[0]["service_request_id"]
    assert "token" not in created.json[0]
    one = client.get(f"/open311/v2/requests/{code}.json")
    validate(one.json, "requests.json")
    assert one.json[0]["status"] == "open" and one.json[0]["description"] is None  # not moderated yet
    assert one.json[0]["agency_responsible"]
    _public(app, code)
    listed = client.get("/open311/v2/requests.json")
    validate(listed.json, "requests.json")
    request = listed.json[0]
    validate(request, "request.json")
    assert request["description"] == "工地渣土倾倒在河边" and request["lat"] == float(HUBIN[0])
    assert "reporter@example.cn" not in json.dumps(listed.json)
    with app.app_context():
        token = db.session.scalar(select(Report.token).where(Report.tracking_code == code))
    from_token = client.get(f"/open311/v2/tokens/{token}.json")
    validate(from_token.json, "TokenResponse")
    assert from_token.json == [{"service_request_id": code, "token": token}]


def test_post_without_service_code_gets_the_spec_error_list(client, app, api_key):
    response = _post(client, api_key=api_key, lat=str(HUBIN[0]), long=str(HUBIN[1]), description="x")
    assert response.status_code == 400
    assert response.json == [{"code": 400, "description": "service_code was not provided."}]
    xml = _post(client, fmt="xml", api_key=api_key, lat=str(HUBIN[0]), long=str(HUBIN[1]), description="x")
    root = ElementTree.fromstring(xml.data)
    assert xml.status_code == 400 and root.tag == "errors" and root.find("error/code").text == "400"
    with app.app_context():
        assert db.session.scalar(select(Report.id)) is None


@pytest.mark.parametrize("data, status, words", [
    ({"service_code": "household", "description": "x"}, 400, "location"),
    ({"service_code": "household", "description": "x", "lat": "34.7"}, 400, "together"),
    ({"service_code": "household", "description": "x", "lat": str(BEIJING[0]), "long": str(BEIJING[1])}, 400,
     "outside Sanmenxia"),
    ({"service_code": "household", "lat": str(HUBIN[0]), "long": str(HUBIN[1])}, 400, "description"),
    ({"service_code": "household", "description": "x", "lat": "north", "long": "1"}, 400, "number"),
    ({"service_code": "spaceship", "description": "x", "lat": str(HUBIN[0]), "long": str(HUBIN[1])}, 404,
     "service_code"),
    ({"service_code": "household", "description": "x", "address_string": "Main Street 1"}, 400, "district"),
])
def test_bad_posts_are_refused_with_the_spec_errors(client, app, api_key, data, status, words):
    response = client.post("/open311/v2/requests.json", data={"api_key": api_key, **data},
                           headers={"Accept-Language": "en"})
    assert response.status_code == status
    assert words in response.json[0]["description"]
    with app.app_context():
        assert db.session.scalar(select(Report.id)) is None


def test_post_with_an_address_naming_the_district(client, app, api_key):
    response = _post(client, api_key=api_key, service_code="household", description="垃圾",
                     address_string="灵宝市函谷关镇")
    assert response.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Report.district_code)) == "411282"


def test_post_needs_a_valid_api_key(client):
    for key in ({}, {"api_key": "wrong"}):
        response = _post(client, service_code="household", description="x", lat=str(HUBIN[0]),
                         long=str(HUBIN[1]), **key)
        assert response.status_code == 403 and response.json[0]["code"] == 403


def test_requests_filters(client, app, api_key, validate):
    codes = {}
    for service in ("household", "burning"):
        codes[service] = _post(client, api_key=api_key, service_code=service, lat=str(HUBIN[0]),
                               long=str(HUBIN[1]), description="d").json[0]["service_request_id"]
        _public(app, codes[service])
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.tracking_code == codes["burning"]))
        report.status = "resolved"
        db.session.commit()

    def ids(query):
        response = client.get("/open311/v2/requests.json?" + query)
        assert response.status_code == 200, response.json
        validate(response.json, "requests.json")
        return {r["service_request_id"] for r in response.json}

    assert ids("service_code=household") == {codes["household"]}
    assert ids("service_code=household,burning") == set(codes.values())
    assert ids("status=closed") == {codes["burning"]}
    assert ids("status=open,closed") == set(codes.values())
    assert ids("start_date=2001-01-01T00:00:00Z&end_date=2001-02-01T00:00:00Z") == set()
    assert ids(f"service_request_id={codes['burning']}&service_code=household") == {codes["burning"]}
    closed = client.get(f"/open311/v2/requests/{codes['burning']}.json").json[0]
    assert closed["lat"] == round(float(HUBIN[0]), 3)  # resolved: rounded
    too_long = client.get("/open311/v2/requests.json?start_date=2020-01-01T00:00:00Z&end_date=2020-12-01T00:00:00Z")
    assert too_long.status_code == 400 and too_long.json[0]["code"] == 400
    assert client.get("/open311/v2/requests.json?status=maybe").status_code == 400
    assert client.get("/open311/v2/requests.json?start_date=yesterday").status_code == 400


def test_xml_requests_and_unknown_ids(client, app, api_key):
    code = _post(client, api_key=api_key, service_code="household", lat=str(HUBIN[0]), long=str(HUBIN[1]),
                 description="d").json[0]["service_request_id"]
    root = ElementTree.fromstring(client.get(f"/open311/v2/requests/{code}.xml").data)
    assert root.tag == "service_requests" and root.find("request/service_request_id").text == code
    assert client.get("/open311/v2/requests/NOPE0000.json").status_code == 404
    assert client.get("/open311/v2/tokens/nope.xml").status_code == 404
    assert client.get("/open311/v2/services.json?jurisdiction_id=elsewhere.gov").status_code == 404


def test_open311_is_csrf_exempt(client, app, api_key):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = _post(client, api_key=api_key, service_code="household", lat=str(HUBIN[0]),
                         long=str(HUBIN[1]), description="d")
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 200
