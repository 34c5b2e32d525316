"""The waste-code picker's JSON: entries of the editions in force, by code in either spelling, by category, by
name or category name; every input where a waste code is typed carries the picker and the page loads it."""
import pytest


def _codes(client, q):
    response = client.get("/catalogue/pick", query_string={"q": q})
    assert response.status_code == 200
    return [entry["code"] for entry in response.get_json()["results"]], response.get_json()


@pytest.mark.parametrize("q", ["900-214-08", "90021408", " 900 214 08 "])
def test_a_code_is_found_with_or_without_dashes(client, q):
    codes, _body = _codes(client, q)
    assert codes == ["900-214-08"]


def test_a_category_code_lists_its_entries(client):
    codes, body = _codes(client, "HW01")
    assert codes == ["841-001-01", "841-002-01", "841-003-01", "841-004-01", "841-005-01"]
    assert {e["category"] for e in body["results"]} == {"HW01"} and body["more"] is False
    assert all(e["hazardous"] and e["category_name"] for e in body["results"])


def test_words_of_the_name_or_category_find_entries_and_long_answers_are_cut(client):
    codes, body = _codes(client, "废矿物油")  # the name of HW08 and words of its entries
    assert len(codes) == 20 and body["more"] is True and all(code.endswith("-08") for code in codes)
    codes, _body = _codes(client, "废矿物油 发动机")  # every word must match
    assert "900-214-08" in codes and len(codes) < 20


def test_nothing_typed_or_too_much_typed(client):
    assert _codes(client, "")[0] == []
    assert _codes(client, "不存在的废物名称")[0] == []
    response = client.get("/catalogue/pick", query_string={"q": "9" * 101})
    assert response.status_code == 400 and "q" in response.get_json()["error"]["fields"]


def test_the_forms_where_codes_are_typed_carry_the_picker(app, client):
    page = client.get("/catalogue").get_data(as_text=True)
    assert 'src="/static/js/waste-code-picker.js"' in page and 'data-endpoint="/catalogue/pick"' in page
    from portal.regulatory.batches.forms import BatchFilterForm

    with app.test_request_context():
        assert 'data-waste-code-picker="one"' in BatchFilterForm(meta={"csrf": False}).waste_code()
