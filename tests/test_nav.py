"""The main navigation per role: every link it shows opens (no 403, no 404), each role sees the groups of
its tasks and not the links it cannot use, and the markup the phone menu needs is there."""
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.demo import seed_demo
from portal.extensions import db
from tests.factories import login

ROLES = ("admin", "regulator", "regulator.lingbao", "generator", "smelter", "receiver", "transporter", "driver",
         "applicant", "returned", "anonymous")


class NavParser(HTMLParser):
    """The links, group labels and menu button of the page's main navigation (<nav id="main-nav">)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.current, self.groups, self.heading_ids = [], [], [], set()
        self.toggle, self.scripts = None, []
        self._depth = 0  # how deep inside the main <nav> we are; 0 outside it
        self._heading = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.scripts.append(attrs)
        if tag == "button" and "nav-toggle" in (attrs.get("class") or ""):
            self.toggle = attrs
        if tag == "nav" and attrs.get("id") == "main-nav":
            self._depth = 1
            return
        if not self._depth:
            return
        if tag == "nav":
            self._depth += 1
        elif tag == "section":
            self.groups.append([attrs.get("aria-labelledby"), None])
        elif tag == "h2":
            self.heading_ids.add(attrs.get("id"))
            self._heading = ""
        elif tag == "a":
            self.links.append(attrs["href"])
            if attrs.get("aria-current") == "page":
                self.current.append(attrs["href"])

    def handle_endtag(self, tag):
        if self._depth and tag == "nav":
            self._depth -= 1
        elif tag == "h2" and self._heading is not None:
            self.groups[-1][1] = self._heading.strip()
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading += data


def parse(page: str) -> NavParser:
    parser = NavParser()
    parser.feed(page)
    return parser


@pytest.fixture
def demo_users(app):
    with app.test_request_context():
        seed_demo()
        db.session.commit()
        return {u.email.split("@")[0]: SimpleNamespace(id=u.id) for u in db.session.scalars(select(User))}


def client_for(app, users, role, locale="en"):
    client = app.test_client()
    client.set_cookie("lang", locale)
    if role != "anonymous":
        login(client, users[role])
    return client


def nav_of(client, url="/") -> NavParser:
    response = client.get(url)
    assert response.status_code == 200, url
    return parse(response.get_data(as_text=True))


def paths(nav: NavParser) -> set[str]:
    return {urlsplit(href).path for href in nav.links}


@pytest.mark.parametrize("role", ROLES)
def test_every_navigation_link_opens_for_its_role(app, demo_users, role):
    client = client_for(app, demo_users, role)
    nav = nav_of(client)
    assert nav.links, f"{role} sees no navigation"
    failures = []
    for href in nav.links:
        response = client.get(href, follow_redirects=True)
        if response.status_code != 200:
            failures.append(f"{href}: HTTP {response.status_code}")
    assert not failures, f"{role}:\n" + "\n".join(failures)


def test_drivers_see_only_what_they_use(app, demo_users):
    nav = nav_of(client_for(app, demo_users, "driver"))
    assert "/manifests?role=carrier" in nav.links
    assert {"/scan", "/market/", "/accounts/profile"} <= paths(nav)
    assert not paths(nav) & {"/register", "/declarations", "/weighing/devices", "/batches", "/market/mine",
                             "/accounts/organisation", "/payments/payee-profile"}


def test_a_transport_company_office_sees_its_tasks_and_its_organisation(app, demo_users):
    nav = nav_of(client_for(app, demo_users, "transporter"))
    assert "/manifests?role=carrier" in nav.links
    assert {"/scan", "/accounts/organisation"} <= paths(nav)
    assert not paths(nav) & {"/register", "/declarations", "/weighing/devices", "/batches"}


def test_an_enterprise_sees_its_tasks_grouped(app, demo_users):
    nav = nav_of(client_for(app, demo_users, "generator"))
    assert [label for _id, label in nav.groups] == [
        "Waste", "Transfer manifests", "Marketplace", "Compliance", "Enterprise", "Account"]
    assert {"/batches", "/sites", "/stock", "/manifests", "/market/mine", "/market/offers", "/market/deals",
            "/register", "/declarations", "/alerts", "/accounts/organisation", "/weighing/devices",
            "/payments/payee-profile"} <= paths(nav)
    # regulators' and admins' pages answer 403 to an enterprise: they are not offered
    assert not paths(nav) & {"/accounts/review", "/staff/reports/", "/admin/", "/declarations/queue"}
    receiver = nav_of(client_for(app, demo_users, "receiver"))
    assert {"/licences/", "/market/matches"} <= paths(receiver)
    assert "/licences/" not in paths(nav)  # a generator holds no licence to list


def test_regulators_see_their_views_and_admins_administration(app, demo_users):
    nav = nav_of(client_for(app, demo_users, "regulator"))
    assert [label for _id, label in nav.groups] == ["Command centre", "Supervision", "Waste tracking", "Account"]
    assert {"/accounts/review", "/batches", "/manifests", "/licences/", "/declarations/queue", "/alerts",
            "/staff/reports/", "/register"} <= paths(nav)
    assert "/admin/" not in paths(nav)
    admin = nav_of(client_for(app, demo_users, "admin"))
    assert {"/admin/", "/admin/alert-settings", "/payments/admin", "/accounts/review"} <= paths(admin)


def test_citizens_see_the_public_services(app, demo_users, factory):
    nav = nav_of(client_for(app, demo_users, "anonymous"))
    assert {"/reports/new", "/reports/", "/t/", "/market/", "/catalogue", "/accounts/login"} <= paths(nav)
    assert not paths(nav) & {"/batches", "/manifests", "/register", "/scan"}
    citizen = app.test_client()
    login(citizen, factory.user())
    signed_in = nav_of(citizen)
    assert {"/reports/new", "/accounts/organisations/register", "/accounts/profile"} <= paths(signed_in)
    for href in signed_in.links:
        assert citizen.get(href, follow_redirects=True).status_code == 200, href


def test_the_current_page_is_marked(app, demo_users):
    client = client_for(app, demo_users, "driver")
    assert nav_of(client, "/manifests?role=carrier").current == ["/manifests?role=carrier"]
    assert nav_of(client, "/").current == []


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_menu_button_controls_the_navigation(app, demo_users, locale):
    nav = nav_of(client_for(app, demo_users, "generator", locale))
    assert nav.toggle is not None and nav.toggle.get("type") == "button"
    assert nav.toggle["aria-controls"] == "main-nav" and nav.toggle["aria-expanded"] == "false"
    # nav.js collapses the menu; without it the navigation stays open, so it must load without blocking
    script = next(s for s in nav.scripts if s["src"].endswith("/js/nav.js"))
    assert "defer" in script
    assert app.test_client().get(script["src"]).status_code == 200
    # every group is a section named by its heading
    assert all(label and labelled_by in nav.heading_ids for labelled_by, label in nav.groups)
