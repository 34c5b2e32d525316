"""The supply map and the list's cards: the map's JSON is filtered like the list, never shows a site's
position, carries demand too; the list puts results first and shows what a buyer compares."""
import pytest

from portal.accounts.models import Organisation
from portal.extensions import db
from tests.factories import login

from .search_data import LISTINGS

EN = {"Accept-Language": "en"}


@pytest.fixture
def sql_search(search_config, search_data):
    search_config["SEARCH_BACKEND"] = "sql"


def _listing_titles(data) -> set[str]:
    return {item["title"] for f in data["features"] if f["properties"]["kind"] == "listing"
            for item in f["properties"]["items"]}


def test_map_json_is_filtered_like_the_list(client, sql_search):
    everything = client.get("/market/map.json").json
    published = {row[0] for row in LISTINGS.values() if row[-1] == "published"}
    assert _listing_titles(everything) == published and everything["listings"] == len(published)

    yima = client.get("/market/map.json", query_string={"district": "411281"}).json
    assert _listing_titles(yima) == {"废铅蓄电池 回收料", "钢厂冶炼废渣", "煤矸石 大量", "酸洗废酸液"}
    # hazardous and general supply never share a marker, so the legend can tell them apart
    for feature in yima["features"]:
        hazardous = {item["hazardous"] for item in feature["properties"]["items"]}
        assert hazardous == {feature["properties"]["hazardous"]}

    cheap = client.get("/market/map.json", query_string={"q": "粉煤灰", "price_max_yuan": "50"}).json
    assert _listing_titles(cheap) == {"电厂粉煤灰 二级灰"}  # the draft with the same words stays off the map
    listed = client.get("/market/", query_string={"q": "粉煤灰", "price_max_yuan": "50"}).get_data(as_text=True)
    assert "电厂粉煤灰 二级灰" in listed and "草稿 粉煤灰" not in listed


def test_map_json_never_gives_a_sites_position(client, sql_search):
    data = client.get("/market/map.json").json
    points = [tuple(f["geometry"]["coordinates"]) for f in data["features"]]
    assert points and (111.2, 34.772) not in points  # 废矿物油's site is in the fixed data
    assert (111.21, 34.77) in points  # its cell's centre
    for feature in data["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        # the centre of a 0.02° cell: an odd number of hundredths
        assert round(lat * 100) % 2 == 1 and round(lon * 100) % 2 == 1
        assert set(feature["properties"]) == {"kind", "hazardous", "count", "items"}


def test_map_json_names_a_bad_filter(client, sql_search):
    for args, field in (({"district": "湖滨"}, "district"), ({"price_min_yuan": "abc"}, "price_min_yuan"),
                        ({"radius_km": "5"}, "near")):
        response = client.get("/market/map.json", query_string=args, headers=EN)
        assert response.status_code == 400, args
        assert field in response.json["error"]["fields"], args
    page = client.get("/market/map", query_string={"district": "湖滨"}, headers=EN)
    assert page.status_code == 400 and "A district is a six-digit division code" in page.get_data(as_text=True)


def test_demand_is_on_the_map_and_filtered(client, factory, sql_search):
    user = factory.user()
    receiver = factory.org(admin=user, is_receiver=True, district="411281")
    token = factory.token(user, receiver)
    body = {"title": "收购废矿物油", "waste_codes": ["900-214-08"], "categories": ["HW08"], "quantity": 50,
            "price_min": 100000, "price_max": 200000, "currency": "CNY", "radius_km": 100, "status": "published",
            "district": "411281"}
    created = client.post("/api/v1/demands", json=body, headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201, created.json

    def demand(**args):
        data = client.get("/market/map.json", query_string=args).json
        return [item["title"] for f in data["features"] if f["properties"]["kind"] == "demand"
                for item in f["properties"]["items"]]

    assert demand() == ["收购废矿物油"]
    assert demand(category="HW08") == ["收购废矿物油"] and demand(q="废矿物油") == ["收购废矿物油"]
    assert demand(category="SW02") == [] and demand(district="411202") == [] and demand(q="粉煤灰") == []


def test_map_page_has_the_legend_labels_and_keeps_the_filters(client, sql_search):
    page = client.get("/market/map", query_string={"district": "411281", "q": "渣"}, headers=EN)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-points-url="/market/map.json?' in html and "district=411281" in html
    assert 'data-legend-title="Legend"' in html and 'data-demand-label="Demand"' in html
    assert 'data-districts-url="/reports/districts.geojson"' in html
    assert "js/market-map.js" in html and "js/map-base.js" in html


def test_cards_show_supplier_price_per_tonne_and_picture_results_first(client, sql_search):
    html = client.get("/market/", query_string={"q": "加氢废催化剂"}, headers=EN).get_data(as_text=True)
    # the filters wait in a closed panel; the search box and the results come first
    assert '<details class="filter-panel">' in html
    assert html.index('id="q"') < html.index('id="results-heading"')
    card = html[html.index('class="card listing listing-card"'):]
    assert "三门峡测试再生资源有限公司" in card and "Verified" in card
    # 500 fen per kg is 5,000.00 yuan per tonne, shown as such
    assert "5,000.00 per t" in card or "5,000.00 per t" in card.replace("\xa0", " ")
    assert "/static/images/market/hazardous.svg" in card  # no photo: the stream's neutral picture


def test_distance_is_shown_from_the_viewers_site(client, factory, sql_search, app):
    user = factory.user()
    org = factory.org(admin=user)
    with app.app_context():
        row = db.session.get(Organisation, org.id)
        row.lat, row.lon = LISTINGS["gangue"][8], LISTINGS["gangue"][9]
        db.session.commit()
    login(client, user)
    html = client.get("/market/", query_string={"q": "煤矸石"}, headers=EN).get_data(as_text=True)
    assert "0.0 km away" in html
