"""Every user-facing string is translated in zh_CN and en: extracted fresh from the sources, so a string
added without a translation fails here; and a Chinese translation is Chinese, not English left in place."""
import re
import tomllib
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.test_language import TOKEN, latin_words

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("zh_Hans_CN", "en")  # Babel parses zh_CN as zh_Hans_CN, the folder name it looks for
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2),
            "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2),
            "npgettext": ((1, "c"), 2, 3), "N_": None}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
CJK = re.compile(r"[\u4e00-\u9fff]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}|<[^>]+>")  # not words: placeholders and markup


def source_messages() -> set[tuple[str, str | None]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["babel"]
    method_map = []
    for mapping in config["mappings"]:
        patterns = mapping["pattern"] if isinstance(mapping["pattern"], list) else [mapping["pattern"]]
        method_map += [(p, mapping["method"]) for p in patterns]
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
            str(ROOT), method_map, keywords=KEYWORDS, options_map={}):
        found.update((m, context) for m in (message if isinstance(message, tuple) else (message,)) if m)
    return found


def _catalogue(locale):
    with (ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


@pytest.fixture(scope="module")
def messages():
    return source_messages()


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_complete(locale, messages):
    path = ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"missing catalogue {path}"
    catalogue = _catalogue(locale)
    missing, empty, fuzzy = [], [], []
    for msgid, context in sorted(messages, key=lambda m: (m[0], m[1] or "")):
        entry = catalogue.get(msgid, context=context)
        if entry is None:
            missing.append(f"{context}|{msgid}" if context else msgid)
        elif entry.fuzzy:
            fuzzy.append(msgid)
        elif not (entry.string if isinstance(entry.string, str) else all(entry.string)):
            empty.append(msgid)
    assert not (missing or empty or fuzzy), (
        f"{locale}: {len(missing)} missing {missing[:10]}, {len(empty)} empty {empty[:10]}, "
        f"{len(fuzzy)} fuzzy {fuzzy[:10]} — run `make translations` and translate")


def _english_left(msgid: str, text: str) -> list[str]:
    """The English words of a Chinese translation. A Chinese sentence may quote a word of its msgid that is
    code (an API parameter such as service_code, a format such as YYYY-MM): an English copy quotes nothing."""
    words = latin_words(PLACEHOLDER.sub(" ", text))
    if CJK.search(text):
        quoted = set(TOKEN.findall(msgid)) | set(WORD.findall(msgid))  # near= in near=latitude
        words = [word for word in words if word not in quoted]
    return words


def test_chinese_translations_are_chinese():
    """A zh_CN translation is in Chinese: codes, units and names as on the pages' allow-list."""
    english = {}
    for entry in _catalogue("zh_Hans_CN"):
        msgid = entry.id if isinstance(entry.id, str) else entry.id[0]
        for text in (entry.string if isinstance(entry.string, tuple) else (entry.string,)):
            if msgid and text and (words := _english_left(msgid, text)):
                english[msgid] = words
    assert not english, f"{len(english)} Chinese translations with English words: {list(english.items())[:20]}"
