"""Catalogue editions by date: `wufei catalogue import` validates, previews and loads an edition; the edition in
force on a day is the default for that day; old records keep the edition they were made under."""
import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from portal.clock import china_today
from portal.errors import DomainError
from portal.extensions import db
from portal.regulatory.batches import services as batches
from portal.regulatory.catalogue import default_edition, edition_in_force, in_force_until, lookup_waste_code
from portal.regulatory.models import CatalogueEdition, ExemptionItem, WasteCategory, WasteCode
from portal.regulatory.reference import EDITIONS
from tests.conftest import REFERENCE_TABLES
from tests.factories import login
from tests.regulatory.batches.helpers import make_generator

HEADER = "category_code,category_name,industry_source,waste_code,description,hazard_characteristics,T,C,I,R,In\n"
THREE_ROWS = HEADER + (
    'HW08,废矿物油与含矿物油废物,非特定行业,900-249-08,其他废矿物油,"T,I",1,0,1,0,0\n'
    "HW49,其他废物,非特定行业,900-041-49,废弃的包装物、容器,T/In,1,0,0,0,1\n"
    "HW50,废催化剂,环境治理业,772-007-50,废钒钛系催化剂,T,1,0,0,0,0\n")


@pytest.fixture
def imported(app):
    """Editions are reference data the suite keeps between tests: remove the ones a test imported."""
    yield
    with app.app_context():
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):  # records made under an imported edition first
            if table.name not in REFERENCE_TABLES:
                db.session.execute(table.delete())
        ids = select(CatalogueEdition.id).where(CatalogueEdition.slug.notin_(list(EDITIONS)))
        for model in (ExemptionItem, WasteCode, WasteCategory):
            db.session.execute(delete(model).where(model.edition_id.in_(ids)))
        db.session.execute(delete(CatalogueEdition).where(CatalogueEdition.slug.notin_(list(EDITIONS))))
        db.session.commit()


def _import(app, tmp_path, text, *args):
    path = tmp_path / "edition.csv"
    path.write_text(text, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["catalogue", "import", *args, str(path)])
    return result, json.loads(result.output.strip().splitlines()[-1])


def _editions(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(CatalogueEdition))


def test_three_rows_imported_as_hw_2099_are_listed_by_the_api(app, client, tmp_path, imported):
    result, counts = _import(app, tmp_path, THREE_ROWS, "--slug", "hw-2099", "--in-force-from", "2099-01-01",
                             "--name", "测试名录（2099年版）")
    assert result.exit_code == 0, result.output
    assert counts == {"slug": "hw-2099", "hazardous": True, "in_force_from": "2099-01-01", "rows": 3,
                      "categories": 3, "errors": 0, "written": 3}
    assert "900-041-49  HW49  T/In" in result.output  # the preview
    listed = client.get("/api/v1/waste-codes?edition=hw-2099").get_json()
    assert [item["code"] for item in listed["items"]] == ["900-249-08", "900-041-49", "772-007-50"]
    assert listed["items"][1]["hazards"] == ["T", "In"] and listed["items"][0]["edition"] == "hw-2099"
    assert client.get("/api/v1/waste-codes").get_json()["items"][0]["edition"] == "hw-2021"  # today's
    editions = {e["slug"]: e for e in client.get("/api/v1/catalogue-editions").get_json()["items"]}
    assert editions["hw-2021"]["in_force_until"] == "2098-12-31" and editions["hw-2021"]["in_force_today"]
    assert editions["hw-2099"]["in_force_until"] is None and not editions["hw-2099"]["in_force_today"]
    with app.app_context():
        assert edition_in_force(china_today()).slug == "hw-2021"
        assert edition_in_force(china_today().replace(year=2099, month=1, day=1)).slug == "hw-2099"
        assert lookup_waste_code("900-041-49", on=china_today().replace(year=2099)).edition.slug == "hw-2099"


def test_errors_are_listed_by_line_and_nothing_is_written(app, tmp_path, imported):
    before = _editions(app)
    bad = HEADER + (
        "HW08,废矿物油,非特定行业,900-249-09,错类别,T,1,0,0,0,0\n"
        "HW08,废矿物油,非特定行业,900249-08,少横线,T,1,0,0,0,0\n"
        'HW08,废矿物油,非特定行业,900-214-08,未知特性,"T,X",1,0,0,0,0\n'
        "HW08,废矿物油,非特定行业,900-215-08,标志不符,T,0,1,0,0,0\n"
        "HW08,废矿物油,非特定行业,900-249-08,好行,T,1,0,0,0,0\n"
        "HW08,废矿物油,非特定行业,900-249-08,重复,T,1,0,0,0,0\n"
        "HW99,,非特定行业,900-001-99,无名类别,T,1,0,0,0,0\n")
    result, counts = _import(app, tmp_path, bad, "--slug", "hw-bad", "--in-force-from", "2099-01-01")
    assert result.exit_code == 2
    assert counts["errors"] == 6 and counts["written"] == 0
    for line, column in ((2, "waste_code"), (3, "waste_code"), (4, "hazard_characteristics"),
                         (5, "hazard_characteristics"), (7, "waste_code"), (8, "category_name")):
        assert f"line {line}: {column}:" in result.output
    assert _editions(app) == before


def test_missing_columns_a_reused_slug_and_a_dry_run_write_nothing(app, tmp_path, imported):
    result, counts = _import(app, tmp_path, "waste_code,description\n900-249-08,x\n", "--slug", "hw-x",
                             "--in-force-from", "2099-01-01")
    assert result.exit_code == 2 and "line 1:" in result.output and counts["errors"] == 1
    result, counts = _import(app, tmp_path, THREE_ROWS, "--slug", "hw-2021", "--in-force-from", "2099-01-01")
    # the command speaks the default language: Chinese once the catalogues are compiled, else the msgid
    assert result.exit_code == 2 and counts["written"] == 0
    assert "hw-2021 is already loaded" in result.output or "版本 hw-2021 已导入" in result.output
    result, counts = _import(app, tmp_path, THREE_ROWS, "--slug", "hw-dry", "--in-force-from", "2099-01-01",
                             "--dry-run")
    assert result.exit_code == 0 and counts["rows"] == 3 and counts["written"] == 0
    result, counts = _import(app, tmp_path, THREE_ROWS, "--slug", "hw-same-day", "--in-force-from", "2021-01-01")
    assert result.exit_code == 2 and counts["written"] == 0
    assert _editions(app) == len(EDITIONS)


def test_a_general_edition_takes_nnn_nnn_sxx_codes_and_no_hazards(app, client, tmp_path, imported):
    general = HEADER + "SW02,粉煤灰,电力、热力生产和供应业,441-001-S02,粉煤灰,,0,0,0,0,0\n"
    result, counts = _import(app, tmp_path, general + "SW02,粉煤灰,电力,441-002-S02,有毒?,T,1,0,0,0,0\n",
                             "--slug", "sw-test", "--in-force-from", "2099-01-01", "--general")
    assert result.exit_code == 2 and "line 3: hazard_characteristics:" in result.output
    result, counts = _import(app, tmp_path, general, "--slug", "sw-test", "--in-force-from", "2099-01-01",
                             "--general")
    assert result.exit_code == 0 and counts["hazardous"] is False
    item = client.get("/api/v1/waste-codes?edition=sw-test").get_json()["items"][0]
    assert item["code"] == "441-001-S02" and item["hazardous"] is False and item["category"]["code"] == "SW02"
    result, _counts = _import(app, tmp_path, THREE_ROWS, "--slug", "sw-test2", "--in-force-from", "2099-02-01",
                              "--general")
    assert result.exit_code == 2 and "NNN-NNN-Sxx" in result.output


def test_batches_take_the_edition_in_force_on_their_day_and_keep_it(app, factory, tmp_path, imported):
    today = china_today()
    result, _counts = _import(app, tmp_path, THREE_ROWS, "--slug", "hw-new", "--in-force-from", today.isoformat())
    assert result.exit_code == 0, result.output
    with app.app_context():
        gen = make_generator(factory)
        old = batches.create_batch(gen.org, gen.user, "900-249-08", "1", "t", "liquid", "铁桶", site=gen.site,
                                   generated_on=today - timedelta(days=1))
        new = batches.create_batch(gen.org, gen.user, "900-249-08", "1", "t", "liquid", "铁桶", site=gen.site)
        db.session.commit()
        assert old.catalogue_entry.edition.slug == "hw-2021" and new.catalogue_entry.edition.slug == "hw-new"
        assert default_edition().slug == "hw-new"
        assert in_force_until(default_edition(today - timedelta(days=1))) == today - timedelta(days=1)
        with pytest.raises(DomainError) as unknown:  # not in the three-row edition in force today
            batches.create_batch(gen.org, gen.user, "900-052-31", "1", "t", "solid", "托盘", site=gen.site)
        assert "waste_code" in unknown.value.fields


def test_the_catalogue_page_names_the_2025_edition_as_in_force_but_not_loaded(client):
    page = client.get("/catalogue").get_data(as_text=True)
    assert "国家危险废物名录（2025年版）" in page and "2025-01-01" in page
    assert "wufei catalogue import --slug hw-2025 --in-force-from 2025-01-01" in page


def test_an_admin_previews_then_loads_an_edition_on_the_page(app, client, factory, imported):
    admin = factory.user(admin=True)
    login(client, admin)
    fields = {"slug": "hw-page", "name": "页面导入测试", "in_force_from": "2099-03-01"}
    bad = client.post("/catalogue/import", data={**fields, "preview": "",
                                                 "file": (io.BytesIO(b"waste_code\n1\n"), "bad.csv")})
    assert bad.status_code == 422 and "Required columns are missing." in bad.get_data(as_text=True)
    preview = client.post("/catalogue/import", data={
        **fields, "preview": "", "file": (io.BytesIO(THREE_ROWS.encode()), "hw.csv")})
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "3 valid rows" in page and 'name="confirm"' in page
    assert _editions(app) == len(EDITIONS)  # a preview writes nothing
    loaded = client.post("/catalogue/import", data={**fields, "confirm": "", "content": THREE_ROWS})
    assert loaded.status_code == 302
    assert client.get("/api/v1/waste-codes?edition=hw-page").get_json()["total"] == 3
    login(client, factory.user())
    assert client.get("/catalogue/import").status_code in (403, 404)
