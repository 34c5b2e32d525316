"""The reference data shipped in portal/regulatory/data, as loaded by `wufei seed reference`."""
import pytest
from sqlalchemy import func, select

from portal.errors import DomainError
from portal.extensions import db
from portal.regulatory.catalogue import default_edition, lookup_waste_code, require_waste_code
from portal.regulatory.geo import district_at, haversine_m
from portal.regulatory.models import CatalogueEdition, Division, ExemptionItem, WasteCategory, WasteCode
from portal.regulatory.reference import load_reference_data


def _edition(slug):
    return db.session.scalar(select(CatalogueEdition).where(CatalogueEdition.slug == slug))


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_hazardous_catalogue_2021_is_complete(ctx):
    edition = _edition("hw-2021")
    assert edition.hazardous and default_edition().id == edition.id  # in force today: no later edition loaded
    assert _count(WasteCode, WasteCode.edition_id == edition.id) == 467
    assert _count(WasteCode, WasteCode.edition_id == edition.id, WasteCode.hazardous.is_(False)) == 0
    assert _count(WasteCategory, WasteCategory.edition_id == edition.id) == 46
    assert _count(WasteCategory, WasteCategory.edition_id == edition.id, WasteCategory.code == "HW41") == 0
    assert _count(ExemptionItem, ExemptionItem.edition_id == edition.id) == 57
    items = db.session.scalar(select(func.count(ExemptionItem.item_no.distinct())).where(
        ExemptionItem.edition_id == edition.id))
    assert items == 32


def test_catalogue_entry_keeps_its_hazards_and_both_spellings(ctx):
    entry = lookup_waste_code("900-041-49")
    assert entry.compact_code == "90004149"
    assert entry.category.code == "HW49"
    assert entry.hazards == ["T", "In"]
    assert entry.hazard_characteristics == "T/In"
    assert lookup_waste_code("90004149").id == entry.id
    assert lookup_waste_code(" 900 041 49 ").id == entry.id
    assert lookup_waste_code("900-041-48") is None
    assert lookup_waste_code("") is None


def test_general_solid_waste_edition(ctx):
    edition = _edition("sw-2021")
    assert not edition.hazardous
    assert _count(WasteCategory, WasteCategory.edition_id == edition.id) == 17
    assert _count(WasteCode, WasteCode.edition_id == edition.id, WasteCode.hazardous.is_(False)) == 17
    red_mud = lookup_waste_code("sw09")
    assert red_mud.edition.slug == "sw-2021" and red_mud.description == "赤泥" and red_mud.hazards == []
    assert lookup_waste_code("SW09", "hw-2021") is None


def test_require_waste_code_names_the_field(ctx):
    assert require_waste_code("90004149").code == "900-041-49"
    with pytest.raises(DomainError) as exc:
        require_waste_code("123-456-78", field="lines-0-code")
    assert "lines-0-code" in exc.value.fields


def test_divisions_of_sanmenxia(ctx):
    city = db.session.get(Division, "411200")
    assert (city.name, city.level, city.parent_code) == ("三门峡市", "city", "410000")
    counties = db.session.scalars(select(Division).where(Division.level == "county",
                                                         Division.parent_code == "411200")).all()
    assert sorted(d.code for d in counties) == ["411202", "411203", "411221", "411224", "411271", "411281",
                                                "411282"]
    assert _count(Division, Division.level == "township") == 81
    assert _count(Division, Division.level == "township", Division.parent_code == "411282") > 0
    dev_zone = db.session.get(Division, "411271")
    assert dev_zone.center_lat is None and dev_zone.center_lon is None


def test_division_centres_are_wgs84(ctx):
    """Stored centres are the published GCJ-02 ones moved by the datum shift, and lie in their district."""
    lingbao = db.session.get(Division, "411282")
    published_gcj = (34.521264, 110.88577)
    shift = haversine_m(*published_gcj, float(lingbao.center_lat), float(lingbao.center_lon))
    assert 300 < shift < 800
    for division in db.session.scalars(select(Division).where(Division.level == "county",
                                                              Division.center_lat.is_not(None))):
        assert district_at(division.center_lat, division.center_lon) == division.code


def test_reloading_changes_and_duplicates_nothing(ctx):
    before = load_reference_data()
    again = load_reference_data()
    assert again["changed"] == 0 and before["changed"] == 0
    assert {k: v for k, v in again.items() if k != "changed"} == {k: v for k, v in before.items() if k != "changed"}
    assert again["waste_codes"] == 467 + 17
    # 31 provinces, 342 prefectures of which 3 without counties are stored as county-level units, 2,978
    # county-level units, Sanmenxia's 81 townships
    assert again["divisions"] == 31 + 339 + 2978 + 81


def test_national_divisions_widen_the_shortened_codes(ctx):
    beijing_districts = db.session.get(Division, "110100")
    assert (beijing_districts.name, beijing_districts.level, beijing_districts.parent_code) == (
        "市辖区", "city", "110000")
    dongcheng = db.session.get(Division, "110101")
    assert (dongcheng.name, dongcheng.level, dongcheng.parent_code) == ("东城区", "county", "110100")
    assert db.session.get(Division, "110000").level == "province"
    dongguan = db.session.get(Division, "441900")
    assert (dongguan.level, dongguan.parent_code) == ("county", "440000")
    assert _count(Division, Division.parent_code == Division.code) == 0


def test_sanmenxia_rows_keep_their_centres_over_the_national_table(ctx):
    lingbao = db.session.get(Division, "411282")
    assert lingbao.parent_code == "411200" and lingbao.center_lat is not None
    assert _count(Division, Division.parent_code == "411200", Division.level == "county") == 7


def test_reloading_restores_a_deleted_national_row(ctx):
    db.session.delete(db.session.get(Division, "110101"))
    db.session.flush()
    counts = load_reference_data()
    assert counts["changed"] == 1 and db.session.get(Division, "110101").name == "东城区"


def test_reloading_repairs_an_edited_row(ctx):
    entry = lookup_waste_code("900-041-49")
    entry.description = "edited by hand"
    db.session.flush()
    counts = load_reference_data()
    assert counts["changed"] == 1
    assert lookup_waste_code("900-041-49").description.startswith("含有或沾染毒性")


def test_reloading_replaces_a_stale_exemption_row(ctx):
    row = db.session.scalars(select(ExemptionItem).where(ExemptionItem.item_no == 24)).one()
    row.exempt_content = "a superseded wording"
    db.session.flush()
    counts = load_reference_data()
    assert counts["changed"] == 2 and counts["exemption_items"] == 57
    row = db.session.scalars(select(ExemptionItem).where(ExemptionItem.item_no == 24)).one()
    assert row.exempt_content == "全过程不按危险废物管理。"
