"""The public catalogue pages: search, filters, hazard badges, one entry, both languages."""
import re

import pytest


def _codes(html):
    return re.findall(r'<td class="mono[^"]*"><a href="[^"]*">([^<]+)</a>', html)


@pytest.mark.parametrize("q", ["900-041-49", "90004149", " 900 041 49 "])
def test_search_by_code_with_or_without_dashes(client, q):
    response = client.get("/catalogue", query_string={"q": q})
    assert response.status_code == 200
    assert _codes(response.get_data(as_text=True)) == ["900-041-49"]


def test_partial_code_finds_the_entry(client):
    html = client.get("/catalogue?q=900-041").get_data(as_text=True)
    assert "900-041-49" in _codes(html)


def test_search_by_words_of_the_name(client):
    html = client.get("/catalogue", query_string={"q": "废矿物油"}).get_data(as_text=True)
    codes = _codes(html)
    assert codes and all(code.endswith("-08") for code in codes)


def test_hazard_characteristics_are_labelled_badges(client):
    html = client.get("/catalogue?q=90004149", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r'<span class="hazard"[^>]*><span aria-hidden="true">T</span>'
                     r'<span class="visually-hidden">Toxicity</span></span>', html)
    assert '<span class="visually-hidden">Infectivity</span>' in html


def test_filter_by_category_and_hazard(client):
    codes = _codes(client.get("/catalogue?category=HW01").get_data(as_text=True))
    assert codes == ["841-001-01", "841-002-01", "841-003-01", "841-004-01", "841-005-01"]
    codes = _codes(client.get("/catalogue?category=HW01&hazard=In").get_data(as_text=True))
    assert codes == ["841-001-01", "841-002-01", "841-003-01"]


def test_general_edition_is_selectable(client):
    html = client.get("/catalogue?edition=sw-2021&q=赤泥").get_data(as_text=True)
    assert _codes(html) == ["SW09"]
    assert 'class="hazard"' not in html


def test_list_is_paginated(client):
    html = client.get("/catalogue").get_data(as_text=True)
    assert len(_codes(html)) == 25
    assert 'rel="next"' in html
    second = client.get("/catalogue?page=2").get_data(as_text=True)
    assert 'rel="prev"' in second and set(_codes(second)).isdisjoint(_codes(html))


@pytest.mark.parametrize(("query", "field"), [
    ("hazard=X", "hazard"), ("category=HW99", "category"), ("edition=nope", "edition"), ("page=abc", "page"),
    ("edition=sw-2021&category=HW08", "category"),
])
def test_bad_filters_are_form_errors_not_500(client, query, field):
    response = client.get(f"/catalogue?{query}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html and f'href="#{field}"' in html
    assert not _codes(html)


@pytest.mark.parametrize("code", ["900-041-49", "90004149"])
def test_entry_page_shows_category_hazards_and_exemptions(client, code):
    response = client.get(f"/catalogue/{code}", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "HW49 其他废物" in html
    assert '<span class="visually-hidden">Toxicity</span>' in html
    assert "废弃的含油抹布、劳保用品" in html  # exemption item 24 names 900-041-49


def test_entry_page_lists_exemptions_of_its_category(client):
    html = client.get("/catalogue/841-001-01").get_data(as_text=True)
    assert "床位总数在19张以下" in html  # item 2 exempts HW01 as a whole
    assert "841-001-01" in html


def test_unknown_code_is_404(client):
    assert client.get("/catalogue/999-999-99").status_code == 404


@pytest.mark.parametrize(("lang", "html_lang", "heading"), [("zh_CN", "zh", None), ("en", "en", "Waste catalogue")])
def test_pages_render_in_both_languages(client, lang, html_lang, heading):
    """The lang cookie picks the language (the headings' zh_CN text comes with the lead's catalogue)."""
    client.set_cookie("lang", lang)
    for url in ("/catalogue", "/catalogue?edition=sw-2021", "/catalogue/900-041-49", "/catalogue/SW05"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert re.search(f'<html lang="{html_lang}[-"]', html), url
        if heading:
            assert heading in html
