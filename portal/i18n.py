"""Locale selection and per-locale formatting of dates, numbers, money and quantities."""
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_decimal as babel_decimal
from flask import current_app, has_request_context, request
from flask_babel import format_currency, format_datetime, format_decimal, get_locale
from flask_login import current_user
from markupsafe import Markup

LANG_COOKIE = "lang"


def select_locale() -> str:
    """The user's preference, else the language switcher's cookie, else Accept-Language, else zh_CN."""
    supported = current_app.config["LOCALES"]
    if not has_request_context():  # commands and scans: messages in the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    if (cookie := request.cookies.get(LANG_COOKIE)) in supported:
        return cookie
    return request.accept_languages.best_match(supported, default=current_app.config["BABEL_DEFAULT_LOCALE"])


def money(fen: int | None, currency: str = "CNY") -> str:
    """Integer fen (1/100 of the unit) formatted in the current locale, e.g. ¥1,234.50."""
    if fen is None:
        return ""
    return format_currency(Decimal(fen) / 100, currency)


def quantity(grams: int | None) -> str:
    """A mass held as integer grams, shown in tonnes, kilograms or grams as fits."""
    return "" if grams is None else quantity_in(grams, str(get_locale()))


@lru_cache(maxsize=4096)
def quantity_in(grams: int, locale) -> str:  # Babel takes 10 µs a number; pages repeat the same few masses
    for unit, size in (("t", 1_000_000), ("kg", 1000)):
        if abs(grams) >= size:
            return f"{babel_decimal(Decimal(grams) / size, format='#,##0.###', locale=locale)} {unit}"
    return f"{babel_decimal(grams, locale=locale)} g"


# the segments of a 37-character container code (HJ 1276-2022): credit code, waste code, day, sequence
CONTAINER_CODE_SEGMENTS = (18, 8, 8, 3)


def container_code_groups(code: str | None) -> Markup:
    """A container code in its four segments, so that it wraps on a phone instead of widening the page.
    The gaps are CSS margins and <wbr> break points, not spaces: copying the code still gives the 37 characters."""
    if not code or len(code) != sum(CONTAINER_CODE_SEGMENTS):
        return Markup('<span class="mono">%s</span>') % (code or "")
    parts, start = [], 0
    for size in CONTAINER_CODE_SEGMENTS:
        parts.append(Markup("<span>%s</span>") % code[start:start + size])
        start += size
    return Markup('<span class="mono code-groups" translate="no">%s</span>') % Markup("<wbr>").join(parts)


def html_lang() -> str:
    """The BCP 47 tag for <html lang>: zh-CN or en (Babel would add the script, zh-Hans-CN)."""
    locale = get_locale()
    return f"{locale.language}-{locale.territory}" if locale.territory else locale.language


def init_i18n(app):
    app.jinja_env.filters.update(
        datetime=lambda value, fmt="medium": format_datetime(value, fmt) if value else "",
        number=lambda value: format_decimal(value) if value is not None else "",
        money=money,
        quantity=quantity,
        container_code=container_code_groups,
    )
    app.jinja_env.globals.update(html_lang=html_lang, get_locale=get_locale)
