"""The trace page's "report a problem" button opens the public report form with the code filled in."""
import re

EN = {"Accept-Language": "en"}


def field_value(html: str, name: str) -> str | None:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return value.group(1) if value else None


def report_button(client, code: str) -> str:
    html = client.get(f"/t/{code}", headers=EN).get_data(as_text=True)
    return re.search(r'<a class="button" href="([^"]+)">Report a problem', html).group(1).replace("&amp;", "&")


def test_report_button_fills_in_the_container_code(client, chain):
    response = client.get(report_button(client, chain.code), headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_value(html, "container_code") == chain.code
    assert not field_value(html, "manifest_number")


def test_report_button_of_a_manifest_fills_in_the_manifest_number(client, chain):
    html = client.get(report_button(client, chain.manifest_number), headers=EN).get_data(as_text=True)
    assert field_value(html, "manifest_number") == chain.manifest_number
    assert not field_value(html, "container_code")


def test_typed_code_is_tidied_and_the_plain_form_stays_empty(client):
    html = client.get("/reports/new", query_string={"code": " 9141 1200ab "}, headers=EN).get_data(as_text=True)
    assert field_value(html, "container_code") == "91411200AB"
    html = client.get("/reports/new", headers=EN).get_data(as_text=True)
    assert not field_value(html, "container_code") and not field_value(html, "manifest_number")
