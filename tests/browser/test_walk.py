"""Every page of the walk in Chromium, for each demo role and in both languages: nothing scrolls sideways on a
phone (390×844) or a laptop (1366×768), and axe-core finds no serious or critical WCAG 2.2 AA violation.

The pages are those of tests/test_crawl.py (breadth-first from / for each role, following links and GET forms),
with one URL per route endpoint: the variants of a list (pages, filters) share their template, and the budget
is a few minutes per database. An endpoint an earlier role reached is not visited again, except each role's
home page. axe-core runs on the wide layout (where the whole navigation shows) in both languages; its slowest
rule, color-contrast, in Chinese only, as colours do not depend on the language. The browser shares the test
client's signed-in session, so staff need no second factor here."""
import functools
import time
from collections import deque
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from tests.factories import login
from tests.test_crawl import ROLES, PageChecker, _same_site, _seed_world

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "static" / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
VIEWPORTS = (("390×844", {"width": 390, "height": 844}), ("1366×768", {"width": 1366, "height": 768}))
LOCALES = ("zh_CN", "en")
HOME = "/"

# the widest elements that stick out on the right, to name the culprit of an overflow
OVERFLOW = """() => {
  const width = window.innerWidth;
  if (document.documentElement.scrollWidth <= width) return null;
  const out = [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > width + 1)
    .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right > width + 1));
  return {scrollWidth: document.documentElement.scrollWidth, width,
          culprits: out.slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "")
                                        + " «" + (e.textContent || "").trim().slice(0, 40) + "»")};
}"""
AXE_RUN = """async ([tags, contrast]) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
                                          rules: {"color-contrast": {enabled: contrast}}});
  return result.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.impact} ${v.id} (${v.help}): ` + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
}"""


def _endpoint(adapter, path: str) -> str:
    """The route endpoint a path is served by, or the path itself if none matches."""
    try:
        return adapter.match(path, method="GET")[0]
    except RequestRedirect as redirect:
        return _endpoint(adapter, urlsplit(redirect.new_url).path)
    except HTTPException:
        return path


def representative_pages(app, client, locale: str = "zh_CN") -> list[tuple[str, str]]:
    """(endpoint, url) of the HTML pages answered 200 that a crawl from / reaches, the first URL of each endpoint."""
    client.set_cookie("lang", locale)
    adapter = app.url_map.bind("localhost")
    queue, queued, pages = deque([HOME]), {_endpoint(adapter, HOME)}, []
    while queue:
        url = queue.popleft()
        response = client.get(url)
        if 300 <= response.status_code < 400:
            targets = [response.location] if response.location else []
        elif response.status_code == 200 and response.mimetype == "text/html":
            pages.append((_endpoint(adapter, urlsplit(url).path), url))
            checker = PageChecker()
            checker.feed(response.get_data(as_text=True))
            targets = checker.links + [f"{action or url.split('?')[0]}?{urlencode(values)}"
                                       for action, values in checker.get_forms]
        else:
            continue
        for href in targets:
            target = _same_site("http://localhost" + url, href)
            endpoint = target and _endpoint(adapter, urlsplit(target).path)
            if target is None or endpoint in queued:
                continue
            queued.add(endpoint)
            queue.append(target)
    return pages


def _session_cookie(app, user) -> str:
    client = app.test_client()
    login(client, user)
    return client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session")).value


def _overflows(page) -> list[str]:
    """The page, as loaded, resized to each viewport: where it is wider than the window."""
    problems = []
    for name, size in VIEWPORTS:
        page.set_viewport_size(size)
        overflow = page.evaluate(OVERFLOW)
        if overflow:
            problems.append(f"scrolls sideways at {name}: {overflow['scrollWidth']} px wide, "
                            f"{'; '.join(overflow['culprits'])}")
    return problems


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def _axe_violations(page, contrast: bool = True) -> list[str]:
    """The serious and critical WCAG 2.2 AA violations axe-core finds in the page as it is laid out now.
    contrast=False leaves out color-contrast, the slowest rule, where the colours were checked already."""
    page.evaluate(_axe_source())  # evaluated, not a <script>: the CSP forbids inline scripts
    return page.evaluate(AXE_RUN, [AXE_TAGS, contrast])


def _check_page(page, url: str, contrast: bool = True) -> list[str]:
    """Loaded on a phone, then widened; axe-core runs on the wide layout, where the whole navigation shows."""
    page.set_viewport_size(VIEWPORTS[0][1])
    page.goto(url)
    return _overflows(page) + _axe_violations(page, contrast)


def test_the_checks_find_a_wide_element_and_an_image_without_a_name(page):
    """The walk below passes only if these checks can fail: a page made wider than a phone, an unnamed image."""
    page.set_viewport_size(VIEWPORTS[0][1])
    page.goto(HOME)
    assert _overflows(page) == [] and _axe_violations(page) == []
    page.evaluate("""() => {
      const wide = document.createElement("div");
      wide.style.width = "600px";  // CSSOM, which the CSP allows (it forbids style attributes in the markup)
      wide.textContent = "wide";
      const image = document.createElement("img");
      image.src = "/static/favicon.ico";
      document.querySelector("main").append(wide, image);
    }""")
    overflows = _overflows(page)
    assert len(overflows) == 1 and "at 390×844" in overflows[0] and "div «wide»" in overflows[0]
    assert any("image-alt" in violation for violation in _axe_violations(page))


def test_no_page_scrolls_sideways_or_fails_axe(app, browser, live_server):
    users = _seed_world(app)
    visited, failures, count, seconds = set(), [], 0, {"collect": 0.0, "browser": 0.0}
    for role in ROLES:
        started = time.perf_counter()
        client = app.test_client()
        if role != "anonymous":
            login(client, users[role])
        pages = [(endpoint, url) for endpoint, url in representative_pages(app, client)
                 if url == HOME or endpoint not in visited]
        seconds["collect"] += time.perf_counter() - started
        started = time.perf_counter()
        visited.update(endpoint for endpoint, _url in pages)
        cookies = [] if role == "anonymous" else [{"name": "session", "value": _session_cookie(app, users[role]),
                                                   "url": live_server}]
        for locale in LOCALES:
            context = browser.new_context(base_url=live_server, locale=locale.replace("_", "-"))
            context.add_cookies(cookies + [{"name": "lang", "value": locale, "url": live_server}])
            page = context.new_page()
            for _endpoint_name, url in pages:
                # colours do not depend on the language: contrast is checked on the pages of the first one
                problems = _check_page(page, url, contrast=locale == LOCALES[0])
                failures += [f"{role} {locale} {url}: {problem}" for problem in problems]
                count += 1
            context.close()
        seconds["browser"] += time.perf_counter() - started
    print(f"\n{count} pages checked at {len(VIEWPORTS)} sizes, {len(visited)} endpoints; "
          + ", ".join(f"{phase} {value:.0f} s" for phase, value in seconds.items()))
    assert count > 2 * len(ROLES), "the walk reached too few pages"
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
