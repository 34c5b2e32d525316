"""Every accounts page renders in both languages; forms are protected against cross-site requests."""
import pytest

from portal.accounts.models import OrgStatus
from tests.factories import PASSWORD, login, make_uscc


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_every_accounts_page_renders(client, factory, locale):
    for url in ("/accounts/login", "/accounts/signup", "/accounts/forgot"):
        assert client.get(url, headers={"Accept-Language": locale}).status_code == 200, url
    user = factory.user(locale=locale)
    org = factory.org(admin=user, status=OrgStatus.REJECTED, rejection_reason="缺少营业执照")
    factory.org(admin=user)
    factory.token(user, org)
    login(client, user)
    for url in ("/accounts/profile", "/accounts/organisation", "/accounts/organisations/register",
                f"/accounts/organisations/{org.id}", f"/accounts/organisations/{org.id}/edit"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'<html lang="{locale[:2]}' in response.text
    regulator = factory.regulator(locale=locale)
    login(client, regulator)
    assert client.get("/accounts/review?status=all").status_code == 200
    assert client.get(f"/accounts/organisations/{org.id}").status_code == 200


def test_pages_carry_no_inline_script_or_style(client, factory):
    user = factory.user()
    factory.org(admin=user)
    login(client, user)
    for url in ("/accounts/profile", "/accounts/organisation", "/accounts/organisations/register"):
        html = client.get(url).text
        assert "<script>" not in html and "style=" not in html


def test_forms_need_the_csrf_token(app, client, factory):
    factory.user(email="li@example.cn")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post("/accounts/login", data={"login": "li@example.cn", "password": PASSWORD})
        assert refused.status_code == 400
        assert client.get("/accounts/profile").status_code == 302
        page = client.get("/accounts/login").text
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        accepted = client.post("/accounts/login", data={"login": "li@example.cn", "password": PASSWORD,
                                                        "csrf_token": token})
        assert accepted.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_a_verified_organisation_keeps_its_uscc(client, factory):
    user = factory.user(locale="en")
    org = factory.org(admin=user)
    login(client, user)
    form = {"uscc": make_uscc(), "name": org.name, "address": org.address, "district_code": "411282",
            "contact_name": "x", "contact_phone": "0398-1234567"}
    response = client.post(f"/accounts/organisations/{org.id}/edit", data=form)
    assert response.status_code == 422
    assert "cannot change its unified social credit code" in response.text
