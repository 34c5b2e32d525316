"""The dashboards at /command/: every figure links to a list showing as many rows as it counts, a county's
regulator sees its county only, an enterprise sees its own figures, and every link opens."""
import re
from datetime import timedelta
from decimal import Decimal
from html import unescape
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.clock import china_today
from portal.command.statistics import figures
from portal.command.statistics.aggregate import rebuild
from portal.demo import seed_demo
from portal.extensions import db
from portal.regulatory.alerts.services import scan_all
from portal.regulatory.declarations.services import ledger_figures, tonnes
from portal.regulatory.licences.models import Licence
from portal.regulatory.licences.services import licence_capacity
from tests.factories import login
from tests.regulatory.batches.helpers import make_batch, make_generator
from tests.test_role_homes import list_rows


class DashboardParser(HTMLParser):
    """The dashboard's panel ids, its figures (shown value, href) and every link of the page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.panels, self.figures, self.links = set(), [], []
        self._href, self._in_count, self._count = None, False, ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h2" and (attrs.get("id") or "").startswith("dash-"):
            self.panels.add(re.sub(r"-\d+$", "", attrs["id"][5:]))
        if tag == "a":
            self._href = attrs.get("href")
            if self._href:
                self.links.append(unescape(self._href))
        if tag == "span" and attrs.get("class") == "home-count":
            self._in_count, self._count = True, ""

    def handle_endtag(self, tag):
        if tag == "span" and self._in_count:
            self._in_count = False
            self.figures.append((self._count.strip(), unescape(self._href) if self._href else None))
        if tag == "a":
            self._href = None

    def handle_data(self, data):
        if self._in_count:
            self._count += data


def parse(page: str) -> DashboardParser:
    parser = DashboardParser()
    parser.feed(page)
    return parser


def client_of(app, user_id: int, language: str = "en"):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    login(client, SimpleNamespace(id=user_id))
    return client


@pytest.fixture
def demo_users(app):
    with app.test_request_context():
        seed_demo()
        scan_all()
        rebuild()
        db.session.commit()
        return {u.email.split("@")[0]: u.id for u in db.session.scalars(select(User))}


def assert_figures_match_their_lists(client, dashboard: DashboardParser, who: str) -> None:
    counted = [(count, href) for count, href in dashboard.figures if href and count.isdigit()]
    assert counted, who
    for count, href in counted:
        target = client.get(href)
        assert target.status_code == 200, f"{who}: {href}"
        if "<tbody" in target.text:
            assert list_rows(target.text) == int(count), f"{who}: {href} shows another number than {count}"


REGULATOR_PANELS = {"today", "overdue", "storage", "severity", "rules", "licences", "reports", "producers", "codes"}


@pytest.mark.parametrize("who", ["regulator", "regulator.lingbao", "admin"])
def test_the_regulators_dashboard_counts_what_its_lists_show(app, demo_users, who):
    client = client_of(app, demo_users[who])
    page = client.get("/command/")
    assert page.status_code == 200
    dashboard = parse(page.text)
    assert REGULATOR_PANELS <= dashboard.panels, dashboard.panels
    assert_figures_match_their_lists(client, dashboard, who)
    for link in dashboard.links:  # the navigation and every figure open
        if link.startswith("/") and not link.startswith(("/accounts/logout", "/static/")):
            assert client.get(link, follow_redirects=True).status_code == 200, link


def test_a_county_regulator_sees_its_county_and_no_other(app, factory):
    with app.app_context():
        lingbao, hubin = make_generator(factory), make_generator(factory, district="411202")
        for generator in (lingbao, hubin):
            make_batch(generator, containers=1, generated_on=china_today() - timedelta(days=400))
        scan_all()
        db.session.commit()
        county = factory.regulator(jurisdiction="411282").id
        city = factory.regulator().id
    over_year = "/alerts?status=open&kind=storage_over_year"
    counts = {href: count for count, href in parse(client_of(app, city).get("/command/").text).figures}
    assert counts[over_year] == "2"
    # the city's regulator narrows to one district: every link carries it
    narrowed = parse(client_of(app, city).get("/command/?district=411282").text)
    assert dict((h, c) for c, h in narrowed.figures)[over_year + "&district=411282"] == "1"
    county_client = client_of(app, county)
    counts = {href: count for count, href in parse(county_client.get("/command/").text).figures}
    assert counts[over_year + "&district=411282"] == "1"
    assert list_rows(county_client.get(over_year).text) == 1  # the inbox itself keeps to the county
    # another district is not the county regulator's to choose: the field is named
    refused = county_client.get("/command/?district=411202")
    assert refused.status_code == 422 and "district" in refused.text


def test_an_enterprise_sees_its_own_figures(app, demo_users):
    client = client_of(app, demo_users["smelter"])
    for url in ("/command/", "/command/enterprise"):
        page = client.get(url)
        assert page.status_code == 200, url
        dashboard = parse(page.text)
        assert {"month", "year", "outgoing", "deals"} <= dashboard.panels, dashboard.panels
        assert not dashboard.panels & {"severity", "rules", "today"}
    assert_figures_match_their_lists(client, dashboard, "smelter")
    # the year's figures are the annual declaration's: the register's sums from the ledger
    with app.app_context():
        org = db.session.get(User, demo_users["smelter"]).memberships[0].organisation
        today = china_today()
        year = ledger_figures(org, today.replace(month=1, day=1), today.replace(month=12, day=31))
        generated = sum(figures["generated"] for figures in year.values())
    year_panel = page.text.split('id="dash-year"', 1)[1].split("</section>", 1)[0]
    assert generated and f'<span class="home-count">{tonnes(generated)} t</span> <span class="home-label">Generated' in year_panel
    # another enterprise (the gold mine, which generated nothing this year) sees its own figures, not the smelter's
    other = client_of(app, demo_users["generator"]).get("/command/").text
    other_year = other.split('id="dash-year"', 1)[1].split("</section>", 1)[0]
    assert '<span class="home-count">0.0 t</span> <span class="home-label">Generated' in other_year


def test_the_dashboard_is_closed_to_those_with_no_use_for_it(app, factory):
    with app.app_context():
        citizen = factory.user().id
        outsider = factory.regulator(jurisdiction="110101").id  # a regulator of another city
    assert client_of(app, citizen).get("/command/").status_code == 403
    assert client_of(app, outsider).get("/command/").status_code == 403
    assert app.test_client().get("/command/").status_code in (302, 401)


def test_the_dashboard_reads_in_chinese(app, demo_users):
    page = client_of(app, demo_users["regulator"], "zh-CN").get("/command/")
    assert page.status_code == 200 and "仪表盘" in page.text


def test_the_demo_dust_shows_as_the_statistics_count_it(app, demo_users):
    """321-002-48 in the demo's year, as the statistics (figures()) count it: the dust received by 豫西环保 is
    4.6 t; generated is the smelter's 5.0 t plus what else the demo generates of that code in the city."""
    page = client_of(app, demo_users["regulator"]).get("/command/").text
    shown = {label: value for value, label in re.findall(
        r'<span class="home-count">([^<]+)</span> <span class="home-label">([^<]+)</span>', page)}
    with app.app_context():
        year = china_today().replace(month=1, day=1)
        counted = {measure: figures(measure, start=year, end=china_today(), code="321-002-48")[0]
                   for measure in ("generated", "received")}
    assert shown["321-002-48 generated"] == f"{tonnes(counted['generated']['grams'])} t"
    assert counted["generated"]["tonnes"] >= Decimal("5.0")  # the smelter's 5.0 t at least
    assert shown["321-002-48 received"] == "4.6 t" and counted["received"]["tonnes"] == Decimal("4.6")
    # each links to the statistics table whose row for the code holds the same tonnes
    client = client_of(app, demo_users["regulator"])
    links = dict(re.findall(r'<a href="([^"]+)"><span class="home-count">[^<]+</span> <span class="home-label">'
                            r'(321-002-48 \w+)</span>', page))
    for href, label in links.items():
        table = client.get(unescape(href)).text
        row = re.search(r'<td data-label="Waste code">321-002-48</td>\s*<td[^>]*>([\d.]+)</td>', table)
        assert row and Decimal(row.group(1)) == Decimal(shown[label][:-2]), label
    assert len(links) == 2
    assert 'data-trend="' in page and "Hazardous waste" in page


def test_a_county_sees_only_its_producers(app, demo_users):
    city = client_of(app, demo_users["regulator"]).get("/command/").text
    assert "灵宝豫金冶炼" in city
    hubin = client_of(app, demo_users["regulator"]).get("/command/?district=411202").text
    assert "321-002-48 generated" not in hubin and "灵宝豫金冶炼" not in hubin.split('id="dash-producers"')[1]


def test_a_licence_near_its_annual_capacity_is_counted_and_listed(app, demo_users):
    with app.app_context():
        licence = db.session.scalars(select(Licence).where(Licence.status == "active")).first()
        used = licence_capacity(licence).used_g
        assert used, "the demo's receiver has received waste this year"
        licence.annual_capacity_g = used + used // 20  # 95 % used
        number = licence.number
        db.session.commit()
    client = client_of(app, demo_users["regulator"])
    counts = {href: count for count, href in parse(client.get("/command/").text).figures}
    assert counts["/licences/?capacity=near"] == "1"
    listed = client.get("/licences/?capacity=near").text
    assert list_rows(listed) == 1 and number in listed
    assert client.get("/licences/?capacity=loud").status_code == 200  # an unknown choice filters nothing
