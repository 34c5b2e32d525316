"""The big screen's data: who may see which division, what the public variant leaves out, and figures that agree
with the statistics layer."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.accounts.models import Organisation
from portal.command.statistics.aggregate import refresh
from portal.demo import seed_demo
from portal.extensions import db
from portal.regulatory.batches.services import create_batch
from tests.factories import login

JSON = {"Accept": "application/json"}


@pytest.fixture(autouse=True)
def fresh_data(app):
    """Every answer computed anew: the screen's short cache would carry figures from one test into the next."""
    app.config["SCREEN_CACHE_SECONDS"] = 0
    yield
    app.config.pop("SCREEN_CACHE_SECONDS")


@pytest.fixture
def demo(app):
    with app.app_context():
        seed_demo()
        refresh()
        db.session.commit()


def data(client, path="/command/screen/data.json", **query):
    return client.get(path, query_string=query, headers=JSON)


def test_a_county_regulator_sees_only_its_county(client, factory):
    login(client, factory.regulator(jurisdiction="411282"))
    answer = data(client)
    assert answer.status_code == 200
    assert answer.json["division"]["code"] == "411282"
    assert [d["code"] for d in answer.json["districts"]] == ["411282"]
    assert data(client, division="411202").status_code == 403
    assert data(client, division="411200").status_code == 403
    page = client.get("/command/screen")
    assert page.status_code == 200 and "?division=411202" not in page.get_data(as_text=True)


def test_a_city_regulator_drills_down_to_a_district(client, factory):
    login(client, factory.regulator())
    answer = data(client, division="411202")
    assert answer.status_code == 200 and answer.json["division"] == {"code": "411202", "name": "湖滨区", "city": False}
    page = client.get("/command/screen?division=411202").get_data(as_text=True)
    assert 'href="/command/screen"' in page  # back to the whole city
    assert "?division=411282" in page  # and on to the other districts


@pytest.mark.parametrize("division", ["abc", "4112", "411202001", "110101"])
def test_anything_but_the_city_or_one_of_its_districts_is_refused_with_the_field_named(client, factory, division):
    login(client, factory.regulator())
    answer = data(client, division=division)
    assert answer.status_code == 422
    assert "division" in answer.json["error"]["fields"]


def test_the_screen_is_for_regulators(client, factory):
    assert client.get("/command/screen").status_code == 302  # to the sign-in
    member = factory.user()
    factory.org(admin=member)
    login(client, member)
    assert client.get("/command/screen").status_code == 403
    assert data(client).status_code == 403


def test_the_public_screen_names_no_generator_and_no_alert(app, client, factory, demo):
    answer = data(client, "/command/screen/public/data.json")
    assert answer.status_code == 200
    public = answer.json
    assert public["alerts"]["open"] > 0 and "items" not in public["alerts"]
    with app.app_context():
        generators = db.session.scalars(select(Organisation.name).where(Organisation.is_generator,
                                                                        ~Organisation.is_receiver)).all()
    assert generators and not [name for name in generators if name in answer.get_data(as_text=True)]
    assert client.get("/command/screen/public").status_code == 200

    login(client, factory.regulator())
    regulator = data(client).json
    assert [a["text"] for a in regulator["alerts"]["items"]]
    assert regulator["totals"] == public["totals"]  # the same figures, whoever looks


def test_the_wall_shows_the_statistics_figures(client, factory, demo):
    login(client, factory.regulator())
    answer = data(client).json
    hazardous = next(s for s in answer["streams"] if s["stream"] == "hazardous")
    codes = {c["code"]: c for c in answer["codes"]}
    assert hazardous["generated"] != "0.000" and "321-002-48" in codes
    assert answer["totals"]["utilisation_rate"] is not None
    assert any(flow["outside"] for flow in answer["flows"])  # the demo's transfer out of the province
    assert {r["code"] for r in answer["reports"]} <= {d["code"] for d in answer["districts"]}
    assert len(answer["trend"]["months"]) == 12


def test_walls_polling_together_share_one_computation(app, client, factory, demo):
    app.config["SCREEN_CACHE_SECONDS"] = 60
    login(client, factory.regulator())
    first = data(client).json
    with app.test_request_context():
        org = db.session.scalar(select(Organisation).where(Organisation.name == "三门峡崤函氧化铝有限公司"))
        create_batch(org, org.memberships[0].user, "900-249-08", "2", "t", "liquid", "钢桶")
        refresh()
        db.session.commit()
    assert data(client).json == first  # within the minute: the figures computed for the first poll
    app.config["SCREEN_CACHE_SECONDS"] = 0
    assert Decimal(data(client).json["totals"]["generated"]) == Decimal(first["totals"]["generated"]) + 2
