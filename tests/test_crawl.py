"""Every page a demo user can reach by following links works and is accessible: no 5xx, one <h1>, a <main>,
<html lang> in the chosen language, no inline style or script (the CSP forbids them), every field labelled,
no duplicate id. Starts at / for each demo role in both languages and follows same-site links, and submits
GET forms (filters, searches) as they stand, breadth-first."""
from collections import Counter, deque
from datetime import date
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import pytest
from sqlalchemy import select

from portal.accounts.models import Organisation, User
from portal.demo import seed_demo
from portal.extensions import db
from portal.regulatory.batches import services as batches
from portal.regulatory.licences import services as licences
from portal.regulatory.weighing import services as weighing
from tests.factories import login

MAX_PAGES = 300
# the same path with other query strings (pages, filters, next=…) adds little after a few variants
MAX_VARIANTS_PER_PATH = 4
SAME_SITE_HOSTS = {"", "localhost", "wufei.test"}
# GETs with a side effect on the session or the user: signing out, and the language switcher
SKIP_PREFIXES = ("/accounts/logout", "/lang/")
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
ROLES = ("admin", "regulator", "regulator.lingbao", "generator", "receiver", "transporter", "driver", "anonymous")
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


def _seed_world(app) -> dict:
    """The demo data plus what the demo leaves empty: a batch with containers, one stored, a licence, a device."""
    with app.test_request_context():
        seed_demo()
        db.session.flush()
        users = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
        orgs = {o.name: o for o in db.session.scalars(select(Organisation))}
        generator, mine = users["generator"], orgs["灵宝秦岭金矿有限公司"]
        site = batches.create_site(mine, generator, name="氰化车间", address="灵宝市阳平镇秦岭矿区1号",
                                   lat="34.405100", lon="110.650100", district_code="411282")
        db.session.flush()
        facility = batches.create_facility(mine, generator, name="危废暂存间一号", site_id=site.id,
                                           capacity_g=20_000_000, streams="hazardous", hazardous_allowed=True)
        db.session.flush()
        batch = batches.create_batch(mine, generator, "900-249-08", "900", "kg", "liquid", "铁桶",
                                     main_components="矿物油", harmful_components="石油烃", site=site,
                                     containers=3)
        db.session.flush()
        batches.store_container(batch.containers[0], facility, actor=generator)
        receiver_org = orgs["三门峡豫西环保科技有限公司"]
        licences.record_licence(users["regulator"], receiver_org,
                                scopes=licences.parse_scope_text("HW08 R9 D10\n900-041-49 D10"),
                                number="豫环许可危废字41120301号", kind="comprehensive",
                                issuing_authority="河南省生态环境厅", issued_on=date(2024, 12, 20),
                                valid_from=date(2025, 1, 1), valid_until=date(2029, 12, 31),
                                annual_capacity_g=10_000_000_000, notes=None)
        weighing.register_device(users["receiver"], receiver_org, kind="weighbridge", name="一号地磅",
                                 serial="WB-0001")
        db.session.commit()
        return {name: SimpleNamespace(id=user.id) for name, user in users.items()}


class PageChecker(HTMLParser):
    """Collects what the checks need from one HTML page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.ids, self.label_for, self.problems = [], [], set(), []
        self.h1 = self.main = 0
        self.html_lang = None
        self.fields = []  # (tag, id, labelled without <label for>)
        self._label_depth = 0
        self._script = None  # (src, text) while inside a <script>
        self.get_forms = []  # [action, [(name, value)]] of each method="get" form, submitted as it stands
        self._form = self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.problems.append(f'style="" on <{tag}>')
        if attrs.get("id"):
            self.ids.append(attrs["id"])
        if tag == "html":
            self.html_lang = attrs.get("lang")
        elif tag == "h1":
            self.h1 += 1
        elif tag == "main":
            self.main += 1
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "label":
            self._label_depth += 1
            if attrs.get("for"):
                self.label_for.add(attrs["for"])
        elif tag == "script":
            self._script = [attrs.get("src"), ""]
        elif tag == "form":
            self._form = None if (attrs.get("method") or "get").lower() != "get" else [attrs.get("action") or "", []]
            if self._form is not None:
                self.get_forms.append(self._form)
        elif tag == "option" and self._select is not None and (not self._select[1] or "selected" in attrs):
            self._select[1:] = [True, attrs.get("value", "")]
        if tag in ("input", "select", "textarea"):
            self._form_value(tag, attrs)
            if tag == "input" and (attrs.get("type") or "text").lower() in UNLABELLED_TYPES:
                return
            described = bool(attrs.get("aria-label") or attrs.get("aria-labelledby") or self._label_depth)
            self.fields.append((tag, attrs.get("name"), attrs.get("id"), described))

    def _form_value(self, tag, attrs):
        kind = (attrs.get("type") or "text").lower()
        if self._form is None or not attrs.get("name") or kind in ("submit", "button", "reset", "image", "file"):
            return
        if kind in ("checkbox", "radio") and "checked" not in attrs:
            return
        if tag == "select":  # [name, an option was chosen, its value]; the first option unless one is selected
            self._select = [attrs["name"], False, ""]
        else:
            self._form[1].append((attrs["name"], attrs.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            if self._form is not None:
                self._form[1].append((self._select[0], self._select[2]))
            self._select = None
        elif tag == "form":
            self._form = None
        if tag == "label" and self._label_depth:
            self._label_depth -= 1
        elif tag == "script" and self._script is not None:
            if not self._script[0]:
                self.problems.append("inline <script>" if self._script[1].strip() else "<script> without src")
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self._script[1] += data

    def check(self, locale: str) -> list[str]:
        problems = list(self.problems)
        if self.h1 != 1:
            problems.append(f"{self.h1} <h1> elements")
        if self.main != 1:
            problems.append(f"{self.main} <main> elements")
        if self.html_lang != HTML_LANG[locale]:
            problems.append(f"<html lang={self.html_lang!r}>")
        for tag, name, id_, described in self.fields:
            if not described and (not id_ or id_ not in self.label_for):
                problems.append(f"unlabelled <{tag} name={name!r} id={id_!r}>")
        problems += [f"duplicate id {id_!r}" for id_, n in Counter(self.ids).items() if n > 1]
        return problems


def _same_site(base: str, href: str) -> str | None:
    """The path and query of a same-site link, or None for other sites, mailto:, fragments and skipped paths."""
    parts = urlsplit(urljoin(base, href))
    if parts.scheme not in ("http", "https") or (parts.hostname or "") not in SAME_SITE_HOSTS:
        return None
    if parts.path.startswith(SKIP_PREFIXES):
        return None
    return urlunsplit(("", "", parts.path or "/", parts.query, ""))


def crawl(client, locale: str) -> tuple[list[str], int]:
    """Breadth-first from /; returns the failures (url: problem) and the number of pages fetched."""
    client.set_cookie("lang", locale)
    queue, seen, variants, failures = deque(["/"]), {"/"}, Counter(), []
    fetched = 0
    while queue and fetched < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        fetched += 1
        if response.status_code >= 500:
            failures.append(f"{url}: HTTP {response.status_code}")
            continue
        if 300 <= response.status_code < 400:
            targets = [response.location] if response.location else []
        elif response.mimetype == "text/html":
            checker = PageChecker()
            checker.feed(response.get_data(as_text=True))
            failures += [f"{url} [{response.status_code}]: {problem}" for problem in checker.check(locale)]
            targets = checker.links + [f"{action or url.split('?')[0]}?{urlencode(values)}"
                                       for action, values in checker.get_forms]
        else:
            targets = []
        for href in targets:
            target = _same_site("http://localhost" + url, href)
            if target is None or target in seen:
                continue
            path = urlsplit(target).path
            if variants[path] >= MAX_VARIANTS_PER_PATH:
                continue
            seen.add(target)
            variants[path] += 1
            queue.append(target)
    return failures, fetched


@pytest.mark.parametrize("role", ROLES)
def test_every_reachable_page_works_and_is_accessible(app, role):
    users = _seed_world(app)
    failures = []
    for locale in ("zh_CN", "en"):
        client = app.test_client()
        if role != "anonymous":
            login(client, users[role])
        found, fetched = crawl(client, locale)
        assert fetched > 1, f"{role}/{locale}: the crawl found no link from /"
        failures += [f"{locale}: {failure}" for failure in found]
    assert not failures, f"{len(failures)} problems for {role}:\n" + "\n".join(failures)
