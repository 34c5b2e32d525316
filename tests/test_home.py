"""The home page presents the platform with figures computed from the database."""
import io
import re

import pytest
from PIL import Image

from portal.accounts.models import Organisation, OrgStatus
from portal.extensions import db
from tests.factories import login


def figure(page: str, label: str) -> int:
    """The number shown in the figure whose text starts with label."""
    match = re.search(r"<strong>([\d,]+)</strong>\s*(?:<a [^>]*>)?" + re.escape(label), page)
    assert match, label
    return int(match.group(1).replace(",", ""))


def english_home(client) -> str:
    response = client.get("/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_figures_follow_the_database(app, client, factory):
    page = english_home(client)
    assert figure(page, "verified enterprises") == 0
    assert figure(page, "hazardous waste codes") == 467

    factory.org(district="411282", is_generator=True)
    factory.org(district="411203", is_receiver=True, is_collector=True)
    factory.org(district="411202", is_transporter=True)
    pending = factory.org(district="411224", is_generator=True, status=OrgStatus.PENDING)
    page = english_home(client)
    assert figure(page, "verified enterprises") == 3
    assert figure(page, "waste generators") == 1
    assert figure(page, "licensed receivers") == 1
    assert figure(page, "transport companies") == 1
    assert figure(page, "of 7 districts") == 3

    # a regulator verifies the pending hospital: the figures move with it
    with app.app_context():
        db.session.get(Organisation, pending.id).status = OrgStatus.VERIFIED
        db.session.commit()
    page = english_home(client)
    assert figure(page, "verified enterprises") == 4
    assert figure(page, "waste generators") == 2
    assert figure(page, "of 7 districts") == 4


def test_pending_and_returned_organisations_are_not_counted(client, factory):
    factory.org(status=OrgStatus.PENDING, is_receiver=True)
    factory.org(status=OrgStatus.REJECTED, is_receiver=True)
    page = english_home(client)
    assert figure(page, "verified enterprises") == 0
    assert figure(page, "licensed receivers") == 0


@pytest.mark.parametrize("lang, marker", [("zh_CN", '<html lang="zh'), ("en", '<html lang="en')])
def test_home_renders_in_both_languages_with_links(client, lang, marker):
    client.set_cookie("lang", lang)
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert marker in page
    assert 'href="/catalogue"' in page and 'href="/accounts/signup"' in page
    assert page.count("<h1") == 1


def test_home_for_a_signed_in_member_links_to_the_organisation(client, factory):
    user = factory.user()
    factory.org(admin=user)
    login(client, user)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/accounts/organisation"' in page
    assert 'href="/accounts/signup"' not in page


def test_home_without_an_organisation_offers_registration(client, factory):
    login(client, factory.user())
    page = client.get("/").get_data(as_text=True)
    assert 'href="/accounts/organisations/register"' in page


def test_home_offers_trace_and_report_first(client):
    page = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    trace, report = page.index('id="action-trace"'), page.index('id="action-report"')
    assert trace < report < page.index('id="about"')  # the two citizen actions come before everything else
    assert 'action="/t/"' in page and 'name="code"' in page and 'href="/reports/new"' in page


def test_web_app_manifest_and_icons_are_served(client):
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert 'rel="apple-touch-icon"' in page and 'rel="icon"' in page
    response = client.get("/manifest.webmanifest", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["name"] == "三门峡无废城市"
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#084d2a"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512", "any"} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        served = client.get(icon["src"])
        assert served.status_code == 200, icon["src"]
        if icon["type"] == "image/png":
            width, height = Image.open(io.BytesIO(served.data)).size
            assert f"{width}x{height}" == icon["sizes"]
    favicon = client.get("/static/icons/favicon.ico")
    assert favicon.status_code == 200 and favicon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
