"""Each role lands on its own home after sign-in; every figure on it links to a list showing as many rows as
it counts; the storage-year list, the alert inbox's severity filter and the alert's link to its subject."""
import re
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.clock import china_today
from portal.demo import seed_demo
from portal.extensions import db
from portal.regulatory.alerts.models import Alert
from portal.regulatory.alerts.services import scan_all
from tests.factories import login
from tests.regulatory.batches.helpers import make_batch, make_generator
from tests.regulatory.transport.helpers import make_fleet

# the sections each demo role must see on its home (ids of their headings)
EXPECTED = {
    "admin": {"alerts", "overdue", "reports", "verification", "outbox", "health"},
    "regulator": {"alerts", "overdue", "reports", "verification"},
    "regulator.lingbao": {"alerts", "overdue", "reports", "verification"},
    "generator": {"outgoing", "alerts"},
    "receiver": {"incoming", "licences", "alerts"},
    "transporter": {"tasks", "alerts"},
    "driver": {"tasks"},
    "applicant": {"outgoing", "alerts"},
}
NOT_EXPECTED = {"driver": {"alerts", "outgoing", "incoming", "verification", "outbox"},
                "generator": {"verification", "outbox", "health", "tasks", "incoming"},
                "regulator": {"outbox", "health", "tasks"}}


class HomeParser(HTMLParser):
    """The home's section ids and its figures: (count, href)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections, self.figures = set(), []
        self._href, self._in_count, self._count = None, False, ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h2" and (attrs.get("id") or "").startswith("home-"):
            self.sections.add(re.sub(r"-\d+$", "", attrs["id"][5:]))
        if tag == "a":
            self._href = attrs.get("href")
        if tag == "span" and attrs.get("class") == "home-count":
            self._in_count, self._count = True, ""

    def handle_endtag(self, tag):
        if tag == "span" and self._in_count:
            self._in_count = False
            self.figures.append((self._count.strip(), self._href))
        if tag == "a":
            self._href = None

    def handle_data(self, data):
        if self._in_count:
            self._count += data


def list_rows(page: str) -> int:
    """Rows of the first table body, not counting the row that says the list is empty; for a list of several
    pages, the total its pager names."""
    pager = re.search(r"(\d+) in all", page)
    if pager:
        return int(pager.group(1))
    body = page.split("<tbody", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr[\s>].*?</tr>", body, flags=re.S)
    return sum(1 for row in rows if "colspan" not in row)


@pytest.fixture
def demo_users(app):
    with app.test_request_context():
        seed_demo()
        db.session.commit()
        return {u.email.split("@")[0]: SimpleNamespace(id=u.id) for u in db.session.scalars(select(User))}


def test_every_role_lands_on_its_home_whose_counts_match_their_lists(app, demo_users):
    for role, expected in EXPECTED.items():
        client = app.test_client()
        login(client, demo_users[role])
        assert client.get("/accounts/login").location.endswith("/home"), role  # where signing in leads
        page = client.get("/home")
        assert page.status_code == 200, role
        home = HomeParser()
        home.feed(page.get_data(as_text=True))
        assert expected <= home.sections, f"{role}: {home.sections}"
        assert not home.sections & NOT_EXPECTED.get(role, set()), f"{role}: {home.sections}"
        linked = [(count, href) for count, href in home.figures if href and count.isdigit()]
        assert linked, role
        for count, href in linked:
            target = client.get(unescape(href))
            assert target.status_code == 200, f"{role}: {href}"
            if "<tbody" in target.text:
                assert list_rows(target.text) == int(count), f"{role}: {href} shows another number than {count}"


def test_the_demo_figures_are_those_of_the_records(app, demo_users):
    receiver = app.test_client()
    login(receiver, demo_users["receiver"])
    page = receiver.get("/home").text
    # the demo's delivered manifest waits for its receipt; its licence shows its capacity used this year
    assert "Licence " in page and "capacity used in" in page
    regulator = app.test_client()
    login(regulator, demo_users["regulator"])
    with app.app_context():
        critical = db.session.scalar(select(db.func.count()).select_from(Alert).where(
            Alert.severity == "critical", Alert.status == "open", Alert.department == "ecology"))
    home = HomeParser()
    home.feed(regulator.get("/home").text)
    assert (str(critical), "/alerts?status=open&severity=critical") in [
        (c, unescape(h or "")) for c, h in home.figures]


def client_of(app, user_id: int):
    client = app.test_client()
    login(client, SimpleNamespace(id=user_id))
    return client


def test_the_storage_year_list_shows_containers_near_and_past_the_limit(app, factory):
    with app.app_context():
        gen = make_generator(factory)
        make_batch(gen, containers=2, generated_on=china_today() - timedelta(days=350))  # 15 days left
        make_batch(gen, containers=1, generated_on=china_today() - timedelta(days=400))  # over
        make_batch(gen, containers=1, generated_on=china_today() - timedelta(days=100))  # not yet near
        ids = SimpleNamespace(user=gen.user.id, org=gen.org.id)
        stranger = factory.user()
        factory.org(admin=stranger, is_generator=True)
        stranger_id, regulator_id = stranger.id, factory.regulator().id
    client = client_of(app, ids.user)
    home = HomeParser()
    home.feed(client.get("/home").text)
    figures = {unescape(h): c for c, h in home.figures if h and "/home/storage" in h}
    near = f"/home/storage?org={ids.org}&limit=near"
    over = f"/home/storage?org={ids.org}&limit=over"
    assert figures == {near: "2", over: "1"}
    assert list_rows(client.get(near).text) == 2 and list_rows(client.get(over).text) == 1
    assert client.get("/home/storage?limit=soon").status_code == 400
    assert client_of(app, stranger_id).get(near).status_code == 404  # another organisation's stock is not shown
    assert list_rows(client_of(app, regulator_id).get(over).text) == 1  # the city's regulator sees it


def _over_year_alert(app, factory):
    with app.app_context():
        gen = make_generator(factory)
        batch = make_batch(gen, containers=1, generated_on=china_today() - timedelta(days=400))
        scan_all()
        db.session.commit()
        alert = db.session.scalar(select(Alert).where(Alert.kind == "storage_over_year"))
        return SimpleNamespace(user=gen.user.id, batch=batch.id, code=batch.containers[0].code, alert=alert.id,
                               regulator=factory.regulator().id)


def test_the_alert_inbox_filters_by_severity(app, factory):
    ids = _over_year_alert(app, factory)
    client = client_of(app, ids.regulator)
    assert list_rows(client.get("/alerts?severity=critical").text) == 1
    assert list_rows(client.get("/alerts?severity=info").text) == 0
    assert client.get("/alerts?severity=loud").status_code == 422
    # a kind without any alert yet is a valid filter: an empty list, not an error
    assert client.get("/alerts?kind=manifest_transit_overdue").status_code == 200


def test_an_alert_links_to_its_subject_for_those_who_may_open_it(app, factory):
    ids = _over_year_alert(app, factory)
    page = client_of(app, ids.user).get(f"/alerts/{ids.alert}").text
    assert f'href="/batches/{ids.batch}"' in page and ids.code in page
    assert f'href="/batches/{ids.batch}"' in client_of(app, ids.regulator).get(f"/alerts/{ids.alert}").text


def test_a_carrier_record_is_linked_for_its_office_not_for_its_drivers(app, factory):
    with app.app_context():
        office = factory.user()
        carrier = factory.org(admin=office, is_transporter=True)
        driver = factory.member(carrier, role=Role.DRIVER)
        fleet = make_fleet(factory, carrier, office=office, valid_until=china_today() + timedelta(days=10))
        scan_all()
        db.session.commit()
        alert = db.session.scalar(select(Alert).where(Alert.object_type == "vehicle"))
        ids = SimpleNamespace(office=office.id, driver=driver.id, vehicle=fleet.vehicle.id, alert=alert.id)
    link = f'href="/transport/vehicles/{ids.vehicle}"'
    assert link in client_of(app, ids.office).get(f"/alerts/{ids.alert}").text
    page = client_of(app, ids.driver).get(f"/alerts/{ids.alert}")
    assert page.status_code == 200 and "豫M12345" in page.text and link not in page.text
