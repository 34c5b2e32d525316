"""Every user-facing string is translated in zh_CN and en: extracted fresh from the sources, so a string
added without a translation fails here."""
import tomllib
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("zh_Hans_CN", "en")  # Babel parses zh_CN as zh_Hans_CN, the folder name it looks for
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2),
            "lazy_ngettext": (1, 2)}


def source_messages() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["babel"]
    method_map = []
    for mapping in config["mappings"]:
        patterns = mapping["pattern"] if isinstance(mapping["pattern"], list) else [mapping["pattern"]]
        method_map += [(p, mapping["method"]) for p in patterns]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, keywords=KEYWORDS, options_map={}):
        found.update(m for m in (message if isinstance(message, tuple) else (message,)) if m)
    return found


@pytest.fixture(scope="module")
def messages():
    return source_messages()


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_complete(locale, messages):
    path = ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po"
    assert path.exists(), f"missing catalogue {path}"
    with path.open("rb") as f:
        catalogue = read_po(f)
    missing, empty, fuzzy = [], [], []
    for msgid in sorted(messages):
        entry = catalogue.get(msgid)
        if entry is None:
            missing.append(msgid)
        elif entry.fuzzy:
            fuzzy.append(msgid)
        elif not (entry.string if isinstance(entry.string, str) else all(entry.string)):
            empty.append(msgid)
    assert not (missing or empty or fuzzy), (
        f"{locale}: {len(missing)} missing {missing[:10]}, {len(empty)} empty {empty[:10]}, "
        f"{len(fuzzy)} fuzzy {fuzzy[:10]} — run `make translations` and translate")
