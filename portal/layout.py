"""The header and footer around every page, and what is rendered once and kept.

An anonymous reader's header is the same on every page of an endpoint but for the language link, and the footer
is the same everywhere: both are rendered once per language (and endpoint) and kept, which spares the public
pages (the QR trace page above all) most of their template work. Signed-in users get a header made for them.
"""
from flask import current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup, escape

LANGUAGE_MARK = "__wufei_language_link__"  # stands in for the language link in what is kept


def kept(key: tuple, render):
    """render() once per key for this app, and on every call in debug mode (where templates change)."""
    store = current_app.extensions.setdefault("layout", {})
    if key not in store or current_app.debug:
        store[key] = render()
    return store[key]


def language_link(locale: str) -> str:
    """The link to this page in the other language."""
    return url_for("core.switch_language", code="zh_CN" if locale == "en" else "en", next=request.full_path)


@pass_context
def site_header(context) -> Markup:
    locale = str(get_locale())
    if current_user.is_authenticated:
        return Markup(render_template("_header.html", lang_link=language_link(locale)))
    header = kept(("header", locale, request.endpoint), lambda: render_template("_header.html", lang_link=LANGUAGE_MARK))
    if context.get("keep_language_mark"):  # rendered for kept_page, which puts the link in for each request
        return Markup(header)
    return Markup(header.replace(LANGUAGE_MARK, escape(language_link(locale))))


def site_footer() -> Markup:
    return Markup(kept(("footer", str(get_locale())), lambda: render_template("_footer.html")))


def kept_page(template: str, locale: str, **values: str) -> str:
    """The template as every anonymous reader gets it, rendered once per language with a mark where each value
    goes; the values are HTML already."""
    marks = {name: f"__wufei_{name}__" for name in values}
    page = kept(("page", template, locale), lambda: render_template(
        template, keep_language_mark=True, **{name: Markup(mark) for name, mark in marks.items()}))
    for name, mark in marks.items():
        page = page.replace(mark, values[name])
    return page.replace(LANGUAGE_MARK, escape(language_link(locale)))


def init_layout(app) -> None:
    app.add_template_global(site_header)
    app.add_template_global(site_footer)
