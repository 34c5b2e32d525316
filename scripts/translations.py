"""Maintain the catalogues after `make translations`.

    python scripts/translations.py fill-en              English msgids are their own English translation
    python scripts/translations.py missing zh_CN F.json  write the untranslated msgids of a locale to F.json
    python scripts/translations.py apply zh_CN F.json    take {msgid: translation} from F.json into the catalogue
                                                         (a pgettext message's key is "context\u0004msgid")
"""
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def _path(locale: str) -> Path:
    return ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po"


def _load(locale: str):
    with _path(locale).open("rb") as f:
        return read_po(f, locale=locale)


def _save(locale: str, catalogue) -> None:
    catalogue.fuzzy = False  # `pybabel init` marks a new catalogue fuzzy, and compile would skip it
    with _path(locale).open("wb") as f:
        write_po(f, catalogue, width=0, omit_header=False, sort_output=False, ignore_obsolete=True)


def _untranslated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return message.fuzzy or not all(strings)


def fill_en() -> int:
    catalogue = _load("en")
    changed = 0
    for message in catalogue:
        if message.id and _untranslated(message):
            message.string = tuple(message.id) if isinstance(message.id, tuple) else message.id
            message.flags.discard("fuzzy")
            changed += 1
    _save("en", catalogue)
    return changed


def _key(message):
    key = message.id if isinstance(message.id, str) else list(message.id)
    return f"{message.context}\x04{key}" if message.context and isinstance(key, str) else key


def missing(locale: str, out: str) -> int:
    catalogue = _load(locale)
    ids = [_key(m) for m in catalogue if m.id and _untranslated(m)]
    Path(out).write_text(json.dumps(ids, ensure_ascii=False, indent=1), encoding="utf-8")
    return len(ids)


def apply(locale: str, source: str) -> int:
    translations = json.loads(Path(source).read_text(encoding="utf-8"))
    catalogue = _load(locale)
    applied = 0
    for message in catalogue:
        key = message.id if isinstance(message.id, str) else message.id[0]
        if message.context:
            key = f"{message.context}\x04{key}"
        if key in translations and translations[key]:
            value = translations[key]
            message.string = tuple(value) if isinstance(message.id, tuple) else value
            message.flags.discard("fuzzy")
            applied += 1
    _save(locale, catalogue)
    return applied


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    result = {"fill-en": fill_en, "missing": missing, "apply": apply}[command](*args)
    print(f"{command}: {result}")
