"""The header and footer around every page.

An anonymous reader's header is the same on every page of an endpoint but for the language link, and the footer
is the same everywhere: both are rendered once per language (and endpoint) and kept, which spares the public
pages (the QR trace page above all) most of their template work. Signed-in users get a header made for them.
"""
from flask import current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

LANG_LINK = "__wufei_language_link__"  # stands in for the language link in a kept header


def _kept(key: tuple, render) -> str:
    kept = current_app.extensions.setdefault("layout", {})
    if key not in kept or current_app.debug:
        kept[key] = render()
    return kept[key]


def language_link(locale: str) -> str:
    """The link to this page in the other language."""
    return url_for("core.switch_language", code="zh_CN" if locale == "en" else "en", next=request.full_path)


def site_header() -> Markup:
    locale = str(get_locale())
    link = language_link(locale)
    if current_user.is_authenticated:
        return Markup(render_template("_header.html", lang_link=link))
    header = _kept(("header", locale, request.endpoint), lambda: render_template("_header.html", lang_link=LANG_LINK))
    return Markup(header.replace(LANG_LINK, escape(link)))


def site_footer() -> Markup:
    return Markup(_kept(("footer", str(get_locale())), lambda: render_template("_footer.html")))


def init_layout(app) -> None:
    app.add_template_global(site_header)
    app.add_template_global(site_footer)
