"""Open311 against hostile input: impossible coordinates and dates, control characters in XML, unknown paths and
methods — every refusal a 400/404/405 in the spec's error list, in the format the path asks for."""
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from sqlalchemy import select

from participation.reports.models import Moderation, Report
from portal.extensions import db
from portal.types import utcnow
from tests.participation.helpers import HUBIN


@pytest.fixture
def api_key(factory):
    user = factory.user()
    return factory.token(user, factory.org(admin=user))


def _spec_error(response, status: int) -> None:
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    assert [e["code"] for e in response.json] == [status] and response.json[0]["description"]


@pytest.mark.parametrize("lat, long", [
    ("1e999", str(HUBIN[1])), (str(HUBIN[0]), "-1e999"), ("nan", str(HUBIN[1])), (str(HUBIN[0]), "Infinity"),
    ("90.000001", str(HUBIN[1])), ("-91", str(HUBIN[1])), (str(HUBIN[0]), "180.5"), (str(HUBIN[0]), "-1e5"),
])
def test_impossible_coordinates_are_refused(client, app, api_key, lat, long):
    response = client.post("/open311/v2/requests.json", headers={"Accept-Language": "en"},
                           data={"api_key": api_key, "service_code": "household", "description": "x",
                                 "lat": lat, "long": long})
    _spec_error(response, 400)
    with app.app_context():
        assert db.session.scalar(select(Report.id)) is None


@pytest.mark.parametrize("query", [
    "start_date=0000-01-01T00:00:00Z", "end_date=99999-01-01T00:00:00Z", "start_date=0001-01-01T00:00:00Z",
    "end_date=0001-01-01T00:00:00Z", "start_date=9999-12-31T00:00:00Z", "end_date=9999-12-31T23:59:59-12:00",
    "start_date=1999-12-31T23:59:59Z", "start_date=2024-02-30T00:00:00Z", "end_date=2024-13-01T00:00:00Z",
    "start_date=2024-01-01T25:00:00Z", "start_date=2024-01-01T00:00:00%2B99:00",
])
def test_impossible_dates_are_refused(client, query):
    _spec_error(client.get("/open311/v2/requests.json?" + query), 400)
    xml = client.get("/open311/v2/requests.xml?" + query)
    assert xml.status_code == 400 and ElementTree.fromstring(xml.data).find("error/code").text == "400"


def test_dates_inside_the_window_are_accepted(client):
    start = (utcnow() - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (utcnow() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.get(f"/open311/v2/requests.json?start_date={start}&end_date={end}").status_code == 200
    assert client.get("/open311/v2/requests.json?start_date=2000-01-01T00:00:00Z").status_code == 200


def test_control_characters_are_removed_from_xml(client, app, api_key):
    text = "渣土\x01倾倒\x0b在\x1f河边\x7f\ufffe\t第二行\n"
    code = client.post("/open311/v2/requests.json",
                       data={"api_key": api_key, "service_code": "household", "description": text,
                             "lat": str(HUBIN[0]), "long": str(HUBIN[1])}).json[0]["service_request_id"]
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.tracking_code == code))
        report.moderation, report.status_note = Moderation.PUBLIC, "已受理\x02"
        db.session.commit()
    for path in (f"/open311/v2/requests/{code}.xml", "/open311/v2/requests.xml"):
        root = ElementTree.fromstring(client.get(path).data)  # a stray control character fails the parse
        assert root.find("request/description").text.strip() == "渣土倾倒在河边\t第二行"
        assert root.find("request/status_notes").text == "已受理"
    echoed = client.get("/open311/v2/services.xml?jurisdiction_id=x%01y%1b")
    assert echoed.status_code == 404
    assert "xy" in ElementTree.fromstring(echoed.data).find("error/description").text
    assert client.get(f"/open311/v2/requests/{code}.json").json[0]["description"] == text.strip()  # JSON escapes them


def test_nul_characters_are_refused_before_they_reach_the_database(client, app, api_key):
    posted = client.post("/open311/v2/requests.json",
                         data={"api_key": api_key, "service_code": "household", "description": "a\x00b",
                               "lat": str(HUBIN[0]), "long": str(HUBIN[1])})
    _spec_error(posted, 400)
    for path in ("/open311/v2/requests.json?service_request_id=A%00B", "/open311/v2/tokens/a%00b.json",
                 "/open311/v2/requests/A%00B.json", "/open311/v2/services.json?jurisdiction_id=%00",
                 "/open311/v2/requests.json?status=open&status=%00"):
        _spec_error(client.get(path), 400)
    with app.app_context():
        assert db.session.scalar(select(Report.id)) is None


@pytest.mark.parametrize("path, fmt", [
    ("/open311/v2/nothing.json", "json"), ("/open311/v2/services.csv", "json"), ("/open311/v2/nothing.xml", "xml"),
    ("/open311/v3/services.xml", "xml"), ("/open311/", "json"),
])
def test_unknown_paths_answer_404_in_the_spec_format(client, path, fmt):
    response = client.get(path)
    assert response.status_code == 404
    if fmt == "xml":
        assert response.headers["Content-Type"].startswith("text/xml")
        root = ElementTree.fromstring(response.data)
        assert root.tag == "errors" and root.find("error/code").text == "404"
    else:
        _spec_error(response, 404)


def test_wrong_methods_answer_405_in_the_spec_format(client):
    response = client.delete("/open311/v2/requests.json")
    _spec_error(response, 405)
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    xml = client.post("/open311/v2/services.xml")
    assert xml.status_code == 405 and "GET" in xml.headers["Allow"]
    assert ElementTree.fromstring(xml.data).find("error/code").text == "405"


def test_other_paths_keep_the_portals_own_errors(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and "error" in response.json
