"""The reviewed synonyms against the catalogue: never a hazardous and a general term in one group."""
from sqlalchemy import select

from marketplace.search.synonyms import all_groups, meilisearch_synonyms, normalise, query_terms, synonym_map
from portal.regulatory.models import WasteCategory


def test_every_group_names_a_catalogue_category_with_the_same_hazard(ctx):
    categories = {c.code: c for c in __import__("portal.extensions", fromlist=["db"]).db.session.scalars(
        select(WasteCategory))}
    for group in all_groups():
        if group.category.startswith(("HW", "SW")):
            assert group.category in categories, group
            assert group.hazardous == group.category.startswith("HW"), group
        else:
            assert not group.hazardous, group


def test_no_term_is_both_hazardous_and_general():
    hazard_of: dict[str, set[bool]] = {}
    for group in all_groups():
        for term in (*group.targets, *group.aliases):
            hazard_of.setdefault(normalise(term), set()).add(group.hazardous)
    mixed = {term for term, flags in hazard_of.items() if len(flags) > 1}
    assert mixed == set()


def test_fly_ash_terms_stay_apart():
    synonyms = synonym_map()
    assert "粉煤灰" not in synonyms["飞灰"] if "飞灰" in synonyms else True
    assert synonyms["fly ash"] == ("粉煤灰",)
    assert synonyms["incineration fly ash"] == ("飞灰",)
    assert "飞灰" not in meilisearch_synonyms()["煤灰"]


def test_query_terms_keep_codes_and_phrases_whole():
    assert query_terms("900-214-08") == [("90021408",)]
    assert query_terms("废机油") == [("废机油", "废矿物油")]
    assert ("lead-acid battery", "废铅蓄电池") in query_terms("Lead-Acid Battery")
    assert query_terms("💩 \" - AND") == [("and",)]
