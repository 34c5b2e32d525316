"""GET /api/v1/waste-codes and /api/v1/divisions."""
import pytest


def test_waste_code_search_by_both_spellings(client):
    for q in ("900-041-49", "90004149"):
        body = client.get("/api/v1/waste-codes", query_string={"q": q}).get_json()
        assert body["total"] == 1
        item = body["items"][0]
        assert item["code"] == "900-041-49" and item["compact_code"] == "90004149"
        assert item["hazards"] == ["T", "In"] and item["category"]["code"] == "HW49"
        assert item["edition"] == "hw-2021" and item["hazardous"] is True


def test_default_edition_holds_467_hazardous_codes(client):
    body = client.get("/api/v1/waste-codes?page_size=100").get_json()
    assert body["total"] == 467 and body["pages"] == 5 and len(body["items"]) == 100


def test_filters(client):
    hw08 = client.get("/api/v1/waste-codes?category=hw08&page_size=100").get_json()
    assert hw08["total"] > 10 and {i["category"]["code"] for i in hw08["items"]} == {"HW08"}
    both = client.get("/api/v1/waste-codes?hazard=T,C&page_size=100").get_json()
    assert both["total"] > 0 and all({"T", "C"} <= set(i["hazards"]) for i in both["items"])
    infectious = client.get("/api/v1/waste-codes?hazard=In&page_size=100").get_json()
    assert all("In" in i["hazards"] for i in infectious["items"])
    general = client.get("/api/v1/waste-codes?edition=sw-2021").get_json()
    assert general["total"] == 17 and not any(i["hazardous"] for i in general["items"])


@pytest.mark.parametrize(("query", "field", "status"), [
    ("hazard=Q", "hazard", 422), ("hazard=T,X", "hazard", 422), ("category=HW99", "category", 422),
    ("category=DROP TABLE", "category", 422), ("edition=hw-1998", "edition", 422),
    ("page=abc", "page", 400), ("page=0", "page", 422), ("page_size=100000", "page_size", 422),
])
def test_malformed_filters_name_the_field(client, query, field, status):
    response = client.get(f"/api/v1/waste-codes?{query}")
    assert response.status_code == status
    assert field in response.get_json()["error"]["fields"]


def test_like_wildcards_in_q_are_literal(client):
    assert client.get("/api/v1/waste-codes?q=%25").get_json()["total"] == 0
    assert client.get("/api/v1/waste-codes?q=_").get_json()["total"] == 0


def test_one_entry_with_its_exemptions(client):
    for code in ("900-041-49", "90004149"):
        body = client.get(f"/api/v1/waste-codes/{code}").get_json()
        assert body["code"] == "900-041-49"
        assert [e["item_no"] for e in body["exemptions"]] == [24]
    hw01 = client.get("/api/v1/waste-codes/841-001-01").get_json()
    assert {e["item_no"] for e in hw01["exemptions"]} == {2, 3}
    assert client.get("/api/v1/waste-codes/SW05").get_json()["edition"] == "sw-2021"


def test_unknown_code_is_404_in_the_error_shape(client):
    response = client.get("/api/v1/waste-codes/000-000-00")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_county_level_divisions_with_wgs84_centres(client):
    items = client.get("/api/v1/divisions").get_json()["items"]
    assert len(items) == 7
    by_code = {d["code"]: d for d in items}
    assert by_code["411271"]["center"] is None
    assert by_code["411282"]["name"] == "灵宝市"
    assert by_code["411282"]["center"] == {"lat": 34.522696, "lon": 110.880366}


def test_townships_of_a_county(client):
    items = client.get("/api/v1/divisions?parent=411202").get_json()["items"]
    assert items and all(d["level"] == "township" and d["parent_code"] == "411202" for d in items)
    response = client.get("/api/v1/divisions?parent=999999")
    assert response.status_code == 422 and "parent" in response.get_json()["error"]["fields"]


def test_locate_a_point(client):
    body = client.get("/api/v1/divisions/locate?lat=34.43&lon=110.77").get_json()
    assert body["district"]["code"] == "411282"
    body = client.get("/api/v1/divisions/locate?lat=34.7791&lon=111.1889").get_json()
    assert body["district"]["code"] == "411202"


def test_locate_a_gcj02_point(client):
    # the published GCJ-02 seat of 灵宝市, given as a map SDK would
    body = client.get("/api/v1/divisions/locate?lat=34.521264&lon=110.88577&crs=gcj02").get_json()
    assert body["district"]["code"] == "411282"
    assert body["lat"] == pytest.approx(34.522696, abs=1e-6)


def test_locate_outside_sanmenxia(client):
    response = client.get("/api/v1/divisions/locate?lat=34.7466&lon=113.6253")
    assert response.status_code == 404
    assert response.get_json()["district"] is None


@pytest.mark.parametrize(("query", "fields", "status"), [
    ("", {"lat", "lon"}, 422), ("lat=abc&lon=110", {"lat"}, 400), ("lat=34&lon=", {"lon"}, 422),
    ("lat=91&lon=110", {"lat"}, 422), ("lat=nan&lon=inf", {"lat", "lon"}, 422),
    ("lat=34&lon=110&crs=bd09", {"crs"}, 422), ("lat=1e400&lon=110", {"lat"}, 422),
])
def test_locate_bad_input_names_the_fields(client, query, fields, status):
    response = client.get(f"/api/v1/divisions/locate?{query}")
    assert response.status_code == status
    assert set(response.get_json()["error"]["fields"]) == fields


def test_endpoints_are_public_and_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/waste-codes", "/waste-codes/{code}", "/divisions", "/divisions/locate"):
        assert "security" not in paths[path]["get"]


def test_districts_of_beijing_anywhere_in_china(client):
    body = client.get("/api/v1/divisions?parent=110100").get_json()
    by_code = {d["code"]: d for d in body["items"]}
    assert by_code["110101"]["name"] == "东城区" and by_code["110101"]["level"] == "county"
    assert body["total"] == 16 and all(d["parent_code"] == "110100" for d in body["items"])
    prefectures = client.get("/api/v1/divisions?parent=410000&page_size=100").get_json()
    assert {"411200", "410100"} <= {d["code"] for d in prefectures["items"]}
    assert all(d["level"] == "city" for d in prefectures["items"])


def test_divisions_are_paginated(client):
    first = client.get("/api/v1/divisions?parent=410000&page_size=5").get_json()
    second = client.get("/api/v1/divisions?parent=410000&page_size=5&page=2").get_json()
    assert first["total"] == second["total"] == 18 and first["pages"] == 4
    assert len(first["items"]) == 5 and not {d["code"] for d in first["items"]} & {d["code"] for d in second["items"]}


def test_provinces_are_listed_by_level(client):
    body = client.get("/api/v1/divisions?level=province&page_size=100").get_json()
    assert body["total"] == 31 and body["items"][0] == {
        "code": "110000", "name": "北京市", "level": "province", "parent_code": None, "center": None}


@pytest.mark.parametrize("parent", ["1101", "11010a", "1101000", "411202001"])
def test_parent_must_be_a_six_digit_code(client, parent):
    response = client.get(f"/api/v1/divisions?parent={parent}")
    assert response.status_code == 422 and "parent" in response.get_json()["error"]["fields"]
