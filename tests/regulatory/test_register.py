"""The monthly register (管理台账): figures derived from ledger events, the page, CSV and XLSX."""
import csv
import io
import re
from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from portal.errors import DomainError
from portal.extensions import db
from portal.regulatory.batches import services
from portal.regulatory.ledger.services import append_event
from portal.regulatory.register import month_bounds, monthly_register, parse_month
from tests.factories import login
from tests.regulatory.batches.helpers import make_batch, make_generator

MAY = date(2024, 5, 1)


def at(day: int, hour: int = 10, month: int = 5) -> datetime:
    return datetime(2024, month, day, hour, tzinfo=UTC)


def _history(factory):
    """900 kg generated in May (3 × 300 kg); two containers stored, one retrieved and picked up, 100 kg
    treated on site; one container stored back in April; a receiver takes 300 kg in."""
    gen = make_generator(factory)
    receiver = factory.org(is_receiver=True)
    carrier = factory.org(is_transporter=True)
    batch = make_batch(gen, containers=3, quantity="900", unit="kg")
    first, second, third = batch.containers
    services.store_container(third, gen.facility, actor=gen.user, occurred_at=at(20, month=4))
    services.store_container(first, gen.facility, actor=gen.user, occurred_at=at(2))
    services.store_container(second, gen.facility, actor=gen.user, occurred_at=at(3))
    services.retrieve_container(first, gen.facility, actor=gen.user, occurred_at=at(10))
    append_event(batch, "picked_up", actor=None, organisation=carrier, container=first, occurred_at=at(11))
    append_event(batch, "received", actor=None, organisation=receiver, container=first, quantity_g=299_000,
                 occurred_at=at(12))
    append_event(batch, "treated", actor=gen.user, organisation=gen.org, quantity_g=100_000, occurred_at=at(15),
                 data={"method": "R4"})
    # the generated event happened 'now'; move it into May with a correction, as a user would
    services.correct_event(batch, 1, "补录产生时间", actor=gen.user, occurred_at=at(1))
    db.session.commit()
    return gen, receiver, batch


def _figures(register) -> dict:
    return {row.waste_code: {name: grams for name, grams in row.grams.items()} for row in register.rows}


def test_figures_match_the_ledger_events(ctx, factory):
    gen, receiver, _batch = _history(factory)
    may = _figures(monthly_register(gen.org, MAY))
    assert may == {"900-249-08": {"generated": 900_000, "stored": 600_000, "retrieved": 300_000,
                                  "transferred_out": 300_000, "received": 0, "treated": 100_000,
                                  "stock": 600_000}}
    april = _figures(monthly_register(gen.org, date(2024, 4, 1)))
    assert april["900-249-08"]["stored"] == 300_000 and april["900-249-08"]["stock"] == 300_000
    assert april["900-249-08"]["generated"] == 0
    assert _figures(monthly_register(gen.org, date(2024, 3, 1))) == {}
    assert _figures(monthly_register(receiver, MAY))["900-249-08"]["received"] == 299_000
    register = monthly_register(gen.org, MAY)
    assert register.rows[0].category == "HW08" and "废矿物油" in register.rows[0].description
    assert register.totals.grams["stock"] == 600_000


def test_corrections_and_china_time_decide_the_month(ctx, factory):
    gen = make_generator(factory)
    batch = make_batch(gen, containers=1, quantity="50", unit="kg")
    container = batch.containers[0]
    # 16:30 UTC on 31 May is 00:30 on 1 June in Sanmenxia: the register counts it in June
    stored = services.store_container(container, gen.facility, actor=gen.user,
                                      occurred_at=datetime(2024, 5, 31, 16, 30, tzinfo=UTC))
    services.correct_event(batch, stored.seq, "磅单数字", actor=gen.user, quantity_g=49_500)
    db.session.commit()
    assert _figures(monthly_register(gen.org, MAY)).get("900-249-08", {}).get("stored", 0) == 0
    june = _figures(monthly_register(gen.org, date(2024, 6, 1)))["900-249-08"]
    assert june["stored"] == 49_500 and june["stock"] == 49_500
    start, end = month_bounds(date(2024, 12, 1))
    assert start == datetime(2024, 11, 30, 16, tzinfo=UTC) and end == datetime(2024, 12, 31, 16, tzinfo=UTC)


def test_bad_months_are_refused():
    assert parse_month("2024-05") == MAY
    for bad in ("2024-13", "May", "", "1999-12", "2024-5-1"):
        with pytest.raises(DomainError) as caught:
            parse_month(bad)
        assert "month" in caught.value.fields


@pytest.fixture
def history(app, factory):
    with app.app_context():
        gen, receiver, _batch = _history(factory)
        ids = SimpleNamespace(user=gen.user.id, org=gen.org.id, uscc=gen.org.uscc, name=gen.org.name,
                              district=gen.org.district_code, receiver=receiver.id)
        db.session.remove()
    return ids


def test_member_sees_the_page_and_downloads_csv_and_xlsx(client, history):
    login(client, SimpleNamespace(id=history.user))
    page = client.get("/register")  # defaults: own organisation, this month
    assert page.status_code == 200 and f'<option selected value="{history.org}">' in page.get_data(as_text=True)
    page = client.get(f"/register?organisation={history.org}&month=2024-05")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "900-249-08" in html and "900" in html and "600" in html
    assert 'href="/register.csv?' in html and "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)

    response = client.get(f"/register.csv?organisation={history.org}&month=2024-05")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert f"register-{history.uscc}-2024-05.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 3 and len(rows[0]) == 10
    assert rows[1][:3] == ["900-249-08", "HW08", rows[1][2]] and "废矿物油" in rows[1][2]
    assert rows[1][3:] == ["900.000", "600.000", "300.000", "300.000", "0.000", "100.000", "600.000"]
    assert rows[2][3] == "900.000"

    response = client.get(f"/register.xlsx?organisation={history.org}&month=2024-05")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == "2024-05" and history.name in sheet["A1"].value
    assert sheet["B2"].value == history.uscc
    values = [cell.value for cell in sheet[4]]
    assert values[0] == "900-249-08" and [float(v) for v in values[3:]] == [900, 600, 300, 300, 0, 100, 600]


def test_regulators_choose_an_organisation_in_their_jurisdiction(client, factory, history):
    login(client, factory.regulator(jurisdiction=history.district))
    page = client.get("/register")
    assert page.status_code == 200 and history.name in page.get_data(as_text=True)
    assert client.get(f"/register.csv?organisation={history.org}&month=2024-05").status_code == 200
    login(client, factory.regulator(jurisdiction="411202"))
    page = client.get(f"/register?organisation={history.org}&month=2024-05")
    assert page.status_code == 422 and "900-249-08" not in page.get_data(as_text=True)
    assert client.get(f"/register.xlsx?organisation={history.org}&month=2024-05").status_code == 400


def test_bad_input_is_a_form_error_not_a_crash(client, factory, history):
    login(client, SimpleNamespace(id=history.user))
    page = client.get(f"/register?organisation={history.org}&month=2024-13")
    assert page.status_code == 422 and 'aria-invalid="true"' in page.get_data(as_text=True)
    response = client.get(f"/register.csv?organisation={history.org}&month=soon",
                          headers={"Accept": "application/json"})
    assert response.status_code == 400 and "month" in response.get_json()["error"]["fields"]
    assert client.get("/register.csv?organisation=abc&month=2024-05").status_code == 400
    outsider = factory.user()
    factory.org(admin=outsider)
    login(client, outsider)
    assert client.get(f"/register.csv?organisation={history.org}&month=2024-05").status_code == 400
    assert client.get("/register").status_code == 200
