"""City statistics: figures from the demo's ledger through the API, the page and the downloads; jurisdiction;
the incremental refresh agrees with a full rebuild; bad parameters are 422, never 500."""
import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.accounts import services as accounts
from portal.command.statistics import aggregate, figures
from portal.command.statistics.models import StatisticFigure, StatisticsState
from portal.demo import seed_demo
from portal.extensions import db
from portal.regulatory.batches.models import Batch
from portal.regulatory.ledger.models import LedgerEvent
from portal.regulatory.ledger.services import append_event
from tests.factories import login

CITY, LINGBAO, SHANZHOU = "411200", "411282", "411203"
YEAR = {"from": "2026-01-01", "to": "2026-12-31"}


@pytest.fixture
def demo(app, factory):
    """The demo, and tokens of the city's regulator and of 灵宝市's."""
    with app.app_context():
        seed_demo()
        db.session.commit()
        city = accounts.find_user("regulator@demo.wufei.cn")
        lingbao = accounts.find_user("regulator.lingbao@demo.wufei.cn")
        db.session.expunge_all()
    return {"city": factory.token(city), "lingbao": factory.token(lingbao), "city_user": city}


def get(client, token, **params):
    return client.get("/api/v1/statistics", query_string=params, headers={"Authorization": f"Bearer {token}"})


def tonnes(answer, **keys) -> str | None:
    return next((row["tonnes"] for row in answer.get_json()["rows"]
                 if all(row[k] == v for k, v in keys.items())), None)


def test_the_api_reports_the_demo_dust(client, demo):
    received = get(client, demo["city"], measure="received", code="321-002-48", group_by="year", **YEAR)
    assert received.status_code == 200
    assert tonnes(received, year="2026") == "4.600"
    body = received.get_json()
    assert body["definition"]["event_type"] == "received" and body["definition"]["unit"] == "t"
    generated = get(client, demo["city"], measure="generated", code="321-002-48", group_by="year", **YEAR)
    assert tonnes(generated, year="2026") == "5.000"
    # the transfers demo's residue for Shaanxi, entered after the fact, counts on the day it arose
    residue = get(client, demo["city"], measure="generated", code="321-032-48", group_by="month", **YEAR)
    assert tonnes(residue, month="2026-09") == "2.000"
    by_stream = get(client, demo["city"], measure="utilised", group_by="stream,code", **YEAR)
    assert tonnes(by_stream, stream="hazardous", code="321-002-48") == "4.600"


def test_a_county_regulator_sees_its_county_only(client, demo):
    own = get(client, demo["lingbao"], measure="generated", group_by="district", **YEAR).get_json()
    assert {row["district"] for row in own["rows"]} == {LINGBAO} and own["division"] == LINGBAO
    # the dust was received in 陕州区: not in 灵宝市's figures
    assert get(client, demo["lingbao"], measure="received", code="321-002-48").get_json()["rows"] == [
        {"tonnes": "0.000"}]
    other = get(client, demo["lingbao"], measure="generated", division=SHANZHOU)
    assert other.status_code == 403
    city = get(client, demo["city"], measure="received", group_by="district", **YEAR).get_json()
    assert SHANZHOU in {row["district"] for row in city["rows"]}


def test_enterprises_have_no_city_statistics(client, demo, app, factory):
    with app.app_context():
        smelter = accounts.find_user("smelter@demo.wufei.cn")
        org = smelter.memberships[0].organisation
        db.session.expunge_all()
    token = factory.token(smelter, org)
    assert get(client, token, measure="generated").status_code == 403


@pytest.mark.parametrize("params, field", [
    ({"measure": "weight"}, "measure"), ({"measure": "generated", "group_by": "colour"}, "group_by"),
    ({"measure": "generated", "group_by": "year,year"}, "group_by"),
    ({"measure": "generated", "from": "2026-13-01"}, "from"),
    ({"measure": "generated", "from": "2026-05-01", "to": "2026-04-01"}, "to"),
    ({"measure": "generated", "division": "4112"}, "division"),
    ({"measure": "generated", "division": "110101"}, "division"),
    ({"measure": "generated", "compare": "true"}, "from"),
    ({"measure": "generated", "format": "pdf"}, "format"),
])
def test_bad_parameters_name_their_field(client, demo, params, field):
    answer = get(client, demo["city"], **params)
    assert answer.status_code in (400, 422)
    assert field in answer.get_json()["error"]["fields"]


def test_downloads(client, demo):
    answer = get(client, demo["city"], measure="received", group_by="district,code", format="csv", **YEAR)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(answer.get_data().decode("utf-8-sig"))))
    assert [SHANZHOU, "陕州区", "321-002-48", "4.600"] in lines
    answer = get(client, demo["city"], measure="received", group_by="code", format="xlsx", compare="1", **YEAR)
    sheet = load_workbook(io.BytesIO(answer.get_data())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)]
    assert any(row[0] == "321-002-48" and float(row[1]) == 4.6 for row in values)


def test_the_page_shows_the_table_and_the_definitions(client, demo, app):
    login(client, demo["city_user"])
    page = client.get("/command/statistics", query_string={"measure": "received", "group_by": "code",
                                                           "start": "2026-01-01", "end": "2026-12-31"},
                      headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "321-002-48" in text and "4.600" in text and "Definitions" in text
    csv_file = client.get("/command/statistics.csv", query_string={"measure": "received", "group_by": "code",
                                                                   "start": "2026-01-01", "end": "2026-12-31"})
    assert "4.600" in csv_file.get_data().decode("utf-8-sig")
    bad = client.get("/command/statistics", query_string={"start": "2026-05-01", "end": "2026-04-01"})
    assert bad.status_code == 422


def _snapshot() -> list[tuple]:
    return sorted(db.session.execute(select(
        StatisticFigure.day, StatisticFigure.measure, StatisticFigure.stream, StatisticFigure.waste_code,
        StatisticFigure.category, StatisticFigure.district_code, StatisticFigure.township_code,
        StatisticFigure.organisation_id, StatisticFigure.grams, StatisticFigure.events)).all(), key=repr)


def test_the_incremental_refresh_agrees_with_a_rebuild(app, demo):
    with app.app_context():
        batch = db.session.scalar(select(Batch).where(Batch.waste_code == "321-002-48").order_by(Batch.id))
        actor = accounts.find_user("smelter@demo.wufei.cn")
        first = db.session.scalar(select(LedgerEvent.seq).where(LedgerEvent.batch_id == batch.id,
                                                                LedgerEvent.event_type == "generated"))
        # a correction of the September generation, and a new generation today
        append_event(batch, "corrected", actor=actor, organisation=batch.organisation,
                     data={"corrects_seq": first, "corrections": {"quantity_g": 5_100_000}, "reason": "re-weighed"})
        append_event(batch, "generated", actor=actor, organisation=batch.organisation, quantity_g=250_000)
        db.session.commit()
        assert aggregate.refresh() >= 2
        db.session.commit()
        refreshed = _snapshot()
        assert figures("generated", ("month",), code="321-002-48", start=date(2026, 9, 1),
                       end=date(2026, 9, 30))[0]["tonnes"] == Decimal("5.100")
        aggregate.rebuild()
        db.session.commit()
        assert _snapshot() == refreshed


def test_a_reader_of_stale_figures_refreshes_them(app, client, demo):
    """Without a timer, the API brings figures older than STALE_AFTER up to date; fresher ones are left alone."""
    with app.app_context():
        batch = db.session.scalar(select(Batch).where(Batch.waste_code == "321-002-48").order_by(Batch.id))
        actor = accounts.find_user("smelter@demo.wufei.cn")
        append_event(batch, "generated", actor=actor, organisation=batch.organisation, quantity_g=250_000)
        db.session.commit()
    assert tonnes(get(client, demo["city"], measure="generated", code="321-002-48", group_by="year", **YEAR),
                  year="2026") == "5.000"  # refreshed at seeding: still fresh
    with app.app_context():
        state = db.session.get(StatisticsState, 1)
        state.refreshed_at -= aggregate.STALE_AFTER
        db.session.commit()
    assert tonnes(get(client, demo["city"], measure="generated", code="321-002-48", group_by="year", **YEAR),
                  year="2026") == "5.250"
