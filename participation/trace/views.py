"""/t/<code>: the page inside every QR code; /t/ its landing page with public figures; /scan for staff."""
import hashlib
from pathlib import Path

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from portal import auth
from portal.extensions import limiter
from portal.layout import kept, kept_page
from portal.regulatory import trace_snapshots
from portal.regulatory.trace import normalise

from . import page, services

bp = Blueprint("trace", __name__)


def trace_limit() -> str:
    """One budget per address for the page and the API together, so guesses cannot switch between them."""
    return current_app.config["TRACE_RATE_LIMIT"]


@bp.get("/t/")
def landing():
    typed = normalise(request.args.get("code"))
    if typed:
        return redirect(url_for(".show", code=typed))
    return render_template("participation/trace/landing.html", figures=services.public_figures(), streams=page.STREAMS)


@bp.get("/t/<code>")
@limiter.shared_limit(trace_limit, scope="trace")
def show(code):
    services.read_outside_transaction()
    shared = not request.args.get("k") and _same_for_everyone()
    if shared:
        locale = str(get_locale())
        stored = trace_snapshots.stored_page(code, locale)
        if stored is not None:  # the page kept with the snapshot: one read, no assembly
            return _shared_response(normalise(code), Markup(stored), locale)
    try:
        found, full = services.resolve(code, request.args.get("k"))
    except services.LinkRefused as refused:
        message = (_("This inspector link has expired. Ask the regulator for a new one.") if refused.expired
                   else _("This inspector link is not valid for this code."))
        return render_template("participation/trace/refused.html", message=message, code=normalise(code)), 403
    if found is None:
        return render_template("participation/trace/not_found.html", code=code[:60]), 404
    locale = str(get_locale())
    shared = shared and not full
    inspector = None
    if full and services.may_share_inspector_link():
        inspector = page.Inspector(
            link=url_for(".show", code=found.code, k=services.inspector_token(found.code), _external=True),
            expires=format_datetime(services.inspector_link_expiry()))
    content = page.render(found, locale, full=full, inspector=inspector)
    if shared:
        return _shared_response(found.code, content, locale)
    response = current_app.make_response(
        render_template("participation/trace/trace.html", code=found.code, content=content))
    # personal details, or a page made for a signed-in reader: no shared cache may keep it
    response.headers["Cache-Control"] = "private, no-store" if full else "private, no-cache"
    return response


# --- the page's cost and its HTTP caching ---------------------------------------------------------

def _shared_page(code: str, content: str, locale: str) -> str:
    """The page as every anonymous reader gets it: its layout is rendered once per language."""
    return kept_page("participation/trace/trace.html", locale, code=escape(code), content=content)


def _same_for_everyone() -> bool:
    """An anonymous reader with no message waiting gets the page every anonymous reader of this code gets."""
    return not current_user.is_authenticated and not session.get("_flashes")


def _shared_response(code: str, content: Markup, locale: str):
    """The anonymous reader's page with its validator, or 304 when the reader holds it already."""
    etag = _etag(code, content, locale)
    if etag in request.if_none_match:
        return _cache_headers(current_app.response_class(status=304), etag)
    return _cache_headers(current_app.make_response(_shared_page(code, content, locale)), etag)


def _etag(code: str, content: str, locale: str) -> str:
    """The page's version: its content (which holds the code, every step, the integrity verdict and the state),
    its language and the layout around it. A stored page and the same page built live share it."""
    parts = (code, locale, _page_version(), content)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _cache_headers(response, etag: str):
    response.set_etag(etag)
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['TRACE_PUBLIC_MAX_AGE']}"
    response.vary.update(("Accept-Language", "Cookie"))
    return response


def _page_version() -> str:
    """Changes when a deployment changes the page's templates or its assembly, so that no ETag outlives them."""
    return kept(("trace page version",), _sources_hash)


def _sources_hash() -> str:
    names = ("participation/trace/trace.html", "base.html", "_header.html", "_nav.html", "_footer.html")
    loader = current_app.jinja_env.loader
    stamps = [loader.get_source(current_app.jinja_env, name)[0] for name in names]
    stamps.append(Path(page.__file__).read_text(encoding="utf-8"))
    return hashlib.sha256("".join(stamps).encode()).hexdigest()[:12]


@bp.get("/scan")
@auth.login_required
def scanner():
    """The phone camera reads a label's QR code (BarcodeDetector), or the code is typed in."""
    typed = normalise(request.args.get("code"))
    if typed:
        return redirect(url_for(".show", code=normalise(_code_from(typed))))
    return render_template("participation/trace/scanner.html")


def _code_from(text: str) -> str:
    """A scanned QR holds the whole URL; the code is what follows /t/."""
    marker = text.upper().rfind("/T/")
    return text[marker + 3:].split("?")[0] if marker >= 0 else text
