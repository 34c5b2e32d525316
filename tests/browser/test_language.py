"""The visible language switcher changes the page between 中文 and English, and the choice sticks."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Babel names the default locale zh_Hans_CN, hence zh-Hans-CN; any Chinese tag will do
CHINESE = re.compile(r"^zh(-|$)")
ZH_CATALOGUE = Path(__file__).resolve().parents[2] / "translations/zh_CN/LC_MESSAGES/messages.mo"


def test_switcher_changes_between_chinese_and_english(open_page):
    page = open_page(locale="zh-CN")
    page.goto("/")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", CHINESE)
    language = page.get_by_role("navigation", name=re.compile("Language|语言"))
    if ZH_CATALOGUE.exists():
        expect(page.get_by_role("banner")).to_contain_text("三门峡")

    language.get_by_role("link", name="English").click()
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("banner")).to_contain_text("Sanmenxia Zero-Waste City")
    english_nav = page.get_by_role("navigation", name="Language")
    expect(english_nav.get_by_role("link", name="中文")).to_be_visible()

    # the choice is remembered on the next page
    page.goto("/")
    expect(html).to_have_attribute("lang", "en")

    english_nav.get_by_role("link", name="中文").click()
    expect(html).to_have_attribute("lang", CHINESE)
    expect(page.get_by_role("navigation", name=re.compile("Language|语言")).get_by_role(
        "link", name="English")).to_be_visible()
