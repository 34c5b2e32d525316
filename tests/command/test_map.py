"""The one map (/command/map): every layer has something to draw for the demo data, a county's regulator sees
only its county in each layer, clusters stay few however many points there are, and bad input is a 422 that
names the field."""
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.accounts.models import Organisation, User
from portal.demo import seed_demo
from portal.extensions import db
from portal.regulatory import geo
from portal.regulatory.batches.models import Site, StorageFacility
from tests.factories import login

CITY = "-180,-90,180,90"
LAYERS = ("generators", "storage", "facilities", "reports")
LINGBAO = "411282"


@pytest.fixture
def demo(app):
    with app.test_request_context():
        seed_demo()
        db.session.commit()
        users = {u.email.split("@")[0]: SimpleNamespace(id=u.id) for u in db.session.scalars(select(User))}
    return users


def client_of(app, users, role):
    client = app.test_client()
    login(client, users[role])
    return client


def points(client, layer, zoom=18, **args):
    response = client.get(f"/command/map/layers/{layer}.json", query_string={"bbox": CITY, "zoom": zoom, **args})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_the_city_regulator_sees_every_layer_and_each_points_card(app, demo):
    client = client_of(app, demo, "regulator")
    page = client.get("/command/map")
    assert page.status_code == 200 and 'id="command-map"' in page.text
    for layer in LAYERS:
        data = points(client, layer)
        assert data["features"], layer
        feature = data["features"][0]["properties"]
        card = client.get(f"/command/map/cards/{layer}/{feature['id']}").get_json()
        assert card["title"] and card["rows"] and card["links"], layer
        for _label, url in card["links"]:
            assert client.get(url).status_code == 200, (layer, url)
    flows = client.get("/command/map/flows.json").get_json()["features"]
    assert flows and all(float(f["properties"]["tonnes"]) > 0 for f in flows)
    assert len(client.get("/command/map/districts.geojson").get_json()["features"]) >= 6


def test_marker_figures_fill_level_and_capacity_used(app, demo):
    client = client_of(app, demo, "regulator")
    storage = {f["properties"]["name"]: f["properties"] for f in points(client, "storage")["features"]}
    assert all(p["level"] in ("ok", "high", "full") and p["percent"] is not None for p in storage.values())
    facilities = points(client, "facilities")["features"]
    assert {f["properties"]["name"] for f in facilities} >= {"三门峡豫西环保科技有限公司"}
    assert all("percent" in f["properties"] for f in facilities)
    generated = {f["properties"]["name"]: f["properties"].get("tonnes") for f in points(client, "generators")["features"]}
    assert float(generated["灵宝豫金冶炼有限公司"]) > 0, generated


def test_filters_narrow_the_layers(app, demo):
    client = client_of(app, demo, "regulator")
    every = {f["properties"]["name"] for f in points(client, "generators")["features"]}
    dust = {f["properties"]["name"] for f in points(client, "generators", code="321-002-48")["features"]}
    assert dust == {"灵宝豫金冶炼有限公司"} < every
    assert points(client, "facilities", stream="medical")["features"] == []
    assert points(client, "generators", **{"from": "1990-01-01", "to": "1990-12-31"})["features"] == []
    dust_flows = client.get("/command/map/flows.json?code=321-002-48").get_json()["features"]
    assert dust_flows and all(f["properties"]["card"]["rows"] for f in dust_flows)


def _inside(lon, lat, district):
    return geo.district_at(lat, lon) == district


def test_a_county_regulator_sees_only_its_county(app, demo):
    client = client_of(app, demo, "regulator.lingbao")
    with app.app_context():
        outside = db.session.scalar(select(Organisation.id).where(Organisation.name == "三门峡豫西环保科技有限公司"))
        outside_store = db.session.scalar(select(StorageFacility.id).join(Site).where(Site.district_code != LINGBAO))
    seen = 0
    for layer in LAYERS:
        for feature in points(client, layer)["features"]:
            lon, lat = feature["geometry"]["coordinates"]
            assert _inside(lon, lat, LINGBAO), (layer, feature)
            seen += 1
    assert seen >= 3  # the smelter, its store, the gold mine; the facility sits in 陕州区
    assert client.get(f"/command/map/cards/facilities/{outside}").status_code == 404
    assert client.get(f"/command/map/cards/storage/{outside_store}").status_code == 404
    flows = client.get("/command/map/flows.json").get_json()["features"]
    assert flows and all(any(_inside(lon, lat, LINGBAO) for lon, lat in f["geometry"]["coordinates"]) for f in flows)
    districts = client.get("/command/map/districts.geojson").get_json()["features"]
    assert [str(f["properties"]["adcode"]) for f in districts] == [LINGBAO]


def test_clusters_at_city_zoom_and_points_when_zoomed_in(app, demo):
    client = client_of(app, demo, "regulator")
    close = points(client, "generators", zoom=8)
    assert close["total"] == len(points(client, "generators")["features"])
    assert len(close["features"]) < close["total"]  # the three hospitals of 湖滨区 share a circle
    assert any(f["properties"]["count"] > 1 and "id" not in f["properties"] for f in close["features"])


@pytest.mark.parametrize("args, field", [
    ({"bbox": "1,2,3", "zoom": 5}, "bbox"), ({"bbox": "3,2,1,4", "zoom": 5}, "bbox"),
    ({"bbox": "nan,2,3,4", "zoom": 5}, "bbox"), ({"bbox": CITY, "zoom": 19}, "zoom"),
    ({"bbox": CITY, "zoom": "x"}, "zoom"), ({"bbox": CITY}, "zoom"),
    ({"bbox": CITY, "zoom": 5, "code": "999-999-99"}, "code"), ({"bbox": CITY, "zoom": 5, "stream": "x"}, "stream"),
    ({"bbox": CITY, "zoom": 5, "from": "2026-02-30"}, "from"),
    ({"bbox": CITY, "zoom": 5, "from": "2026-03-01", "to": "2026-02-01"}, "to"),
])
def test_bad_view_or_filters_are_422_naming_the_field(app, demo, args, field):
    client = client_of(app, demo, "regulator")
    response = client.get("/command/map/layers/generators.json", query_string=args)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_enterprises_and_visitors_do_not_reach_the_map(app, demo):
    assert app.test_client().get("/command/map/layers/generators.json?bbox=0,0,1,1&zoom=3").status_code in (302, 401)
    client = client_of(app, demo, "generator")
    assert client.get("/command/map").status_code == 403
    assert client.get("/command/map/flows.json").status_code == 403


def test_a_government_tile_service_in_gcj02_is_handed_to_the_page(app, demo):
    client = client_of(app, demo, "regulator")
    app.config.update(MAP_TILE_URL="https://tiles.example.gov.cn/{z}/{x}/{y}.png", MAP_TILE_GCJ02=True)
    try:
        page = client.get("/command/map").text
    finally:
        app.config.update(MAP_TILE_URL=None, MAP_TILE_GCJ02=False)
    assert 'data-tile-url="https://tiles.example.gov.cn/{z}/{x}/{y}.png"' in page and 'data-tile-gcj02="1"' in page
    assert "data-tile-url" not in client.get("/command/map").text


def test_a_regulator_from_outside_the_city_sees_only_the_transfers_into_its_area(app, demo):
    client = client_of(app, demo, "regulator.weinan")
    assert client.get("/command/map").status_code == 200
    assert len(client.get("/command/map/districts.geojson").get_json()["features"]) >= 6
    for layer in LAYERS:
        assert points(client, layer)["features"] == [], layer
    flows = client.get("/command/map/flows.json").get_json()["features"]
    assert flows and all(f["properties"]["card"]["rows"][1][1] == "渭南秦东环保科技有限公司" for f in flows)
