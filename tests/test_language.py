"""A Chinese page shows no English: every GET page of the URL map (the walk of
tests/accounts/test_second_factor_walk.py, with real objects' ids), rendered in zh_CN for each demo role, has
no visible Latin word but codes, units, e-mail addresses, URLs and the names on the allow-list below. An
English page shows no snake_case code either (a state or an action printed raw instead of its label).

Visible means text outside <script>, <style>, <code> and <kbd>, plus the title, alt, placeholder and
aria-label attributes and the text of buttons given as <input value>."""
import re
from html.parser import HTMLParser

import pytest

from tests.accounts.test_second_factor_walk import _objects, _table, _urls
from tests.factories import login
from tests.test_crawl import ROLES, _seed_world

MACHINE_PREFIXES = ("/api/", "/open311/")
HIDDEN_ELEMENTS = {"script", "style", "code", "kbd"}
VISIBLE_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label")
BUTTON_INPUTS = {"submit", "button", "reset"}

# A run of Latin letters with what may join it into one token: HW08, 900-214-08, a@b.cn, https://…, JSON-LD
TOKEN = re.compile(r"/?[A-Za-z0-9][A-Za-z0-9._@:/+&?=#%~-]*[A-Za-z0-9/]|[A-Za-z]")
FORMULA_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉⁰¹²³⁴⁵⁶⁷⁸⁹", "01234567890123456789")  # SO₃, CaSO₄·2H₂O
SNAKE_CASE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
UNITS = {"MW", "kW", "t", "kg", "g", "mg", "km", "m", "cm", "mm", "m²", "m³", "l", "L", "h", "min", "s", "d", "ms", "MB", "KB",
         "GB", "px", "km/h", "t/a", "kg/d", "t/d", "kWh"}
# Standards, formats, protocols and brands: spelt the same in Chinese text
NAMES = {
    "HJ", "GB", "GB/T", "EPCIS", "GS1", "Open311", "GeoReport", "TOTP", "PDF", "API", "QR", "JSON", "JSON-LD", "CSV",
    "XLSX", "OpenAPI", "GeoJSON", "Leaflet", "OpenStreetMap", "Traccar", "Stripe", "WGS-84", "GCJ-02", "DataV",
    "URL", "ID", "IP", "GPS", "HTTP", "HTTPS", "SQL", "PostgreSQL", "SQLite", "Meilisearch", "Redis", "RQ", "SMTP", "Ed25519", "SHA-256",
    "RFC", "UTC", "CNY", "RMB", "Webhook", "webhook", "App", "APP", "Bearer", "Idempotency-Key", "Authorization",
    "Google", "Authenticator", "Microsoft", "FreeOTP", "Aegis", "wufei", "Wufei", "OK", "PNG", "JPEG", "JPG", "ZIP",
    "SMS", "VIN", "IMEI", "OSM", "CC", "BY", "CC-BY", "ODbL", "Alipay", "WeChat", "UnionPay", "ISO", "ECharts",
    "Excel", "HEIC", "WebP", "SVG", "JT", "In",  # In: the hazard characteristic infectivity, with T, C, I, R
    "English",  # the language switcher names English in English
}
# Demo data typed in Latin letters (names of devices, references), shown as entered
DEMO_WORDS = {"Cl"}
TRACKING_CODE = re.compile(r"^[A-HJ-NP-Z2-9]{8}$")  # a public report's code (participation.reports.services)


def allowed(token: str) -> bool:
    if any(c.isdigit() for c in token) or TRACKING_CODE.match(token):  # HW08, R4, 900-214-08, a label's code
        return True
    if len(token) == 1 and token.isupper():  # a letter as a code: hazard characteristics T, C, I, R; R/D methods
        return True
    if "@" in token or "://" in token or token.startswith(("www.", "/")):  # e-mail addresses, URLs, paths
        return True
    if token in UNITS or token in NAMES or token in DEMO_WORDS:
        return True
    return "/" in token and all(allowed(part) for part in token.split("/") if part)  # GB/T, R/D, T/In


def latin_words(text: str) -> list[str]:
    """The Latin words of a text that a Chinese reader should not meet."""
    return [token for token in TOKEN.findall(text.translate(FORMULA_DIGITS))
            if any("a" <= c.lower() <= "z" for c in token) and not allowed(token)]


class VisibleText(HTMLParser):
    """The text a reader sees or hears from a page, in pieces."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in HIDDEN_ELEMENTS:
            self._hidden += 1
            return
        if self._hidden:
            return
        self.pieces += [attrs[name] for name in VISIBLE_ATTRIBUTES if attrs.get(name)]
        if tag == "input" and (attrs.get("type") or "").lower() in BUTTON_INPUTS and attrs.get("value"):
            self.pieces.append(attrs["value"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in HIDDEN_ELEMENTS:
            self._hidden -= 1

    def handle_endtag(self, tag):
        if tag in HIDDEN_ELEMENTS and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.pieces.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return parser.pieces


def _findings(client, urls, locale: str, words) -> dict[str, tuple[set[str], str]]:
    """{word: (the pages it is on, a text it is in)} over the pages (and error pages) among urls in locale;
    a redirect's body is Werkzeug's, never shown."""
    client.set_cookie("lang", locale)
    found = {}
    for url in urls:
        response = client.get(url)
        if response.mimetype != "text/html" or 300 <= response.status_code < 400:
            continue
        for piece in visible_text(response.get_data(as_text=True)):
            for word in words(piece):
                found.setdefault(word, (set(), piece[:120]))[0].add(url)
    return found


def _report(found: dict[str, tuple[set[str], str]]) -> str:
    pages = {url for urls, _text in found.values() for url in urls}
    lines = [f"{word!r} on {len(urls)} pages, e.g. {sorted(urls)[:3]}, in {text!r}" for word, (urls, text) in
             sorted(found.items(), key=lambda item: -len(item[1][0]))]
    return f"{len(found)} words on {len(pages)} pages:\n" + "\n".join(lines)


@pytest.fixture
def walk_as(app):
    """The URLs of the walk, and a client signed in as a demo role (or anonymous)."""
    users = _seed_world(app)
    with app.test_request_context():
        # the JSON API and Open311 answer no HTML; their messages are checked by the catalogue test
        urls = [url for url in _urls(app, _table(_objects())) if not url.startswith(MACHINE_PREFIXES)]

    def client_for(role):
        client = app.test_client()
        if role != "anonymous":
            login(client, users[role])
        return client
    return urls, client_for


@pytest.mark.parametrize("role", ROLES)
def test_pages_speak_the_readers_language(walk_as, role):
    urls, client_for = walk_as
    client = client_for(role)
    chinese = _findings(client, urls, "zh_CN", latin_words)
    english = _findings(client, urls, "en", SNAKE_CASE.findall)
    problems = []
    if chinese:
        problems.append("Latin words on Chinese pages (translate or label them): " + _report(chinese))
    if english:
        problems.append("raw codes on English pages (print their labels): " + _report(english))
    if problems:
        pytest.fail(f"{role}: " + "\n".join(problems))
