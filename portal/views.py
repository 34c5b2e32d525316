"""Site-wide pages: home with public figures, the language switcher, the health check."""
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select, text

from .accounts.models import Organisation, OrgStatus
from .errors import RETRY_AFTER_SECONDS
from .extensions import db
from .i18n import LANG_COOKIE, html_lang
from .regulatory.catalogue import current_editions
from .regulatory.models import Division, WasteCode, jurisdiction_districts

bp = Blueprint("core", __name__)


def public_figures() -> dict:
    """Figures shown to everyone on the home page, computed from the database."""
    count = lambda query: db.session.scalar(select(func.count()).select_from(query.subquery()))  # noqa: E731
    verified = select(Organisation.id).where(Organisation.status == OrgStatus.VERIFIED)
    current_codes = select(WasteCode.id).where(WasteCode.edition_id.in_([e.id for e in current_editions()]))
    return {
        "verified_organisations": count(verified),
        "generators": count(verified.where(Organisation.is_generator)),
        "transporters": count(verified.where(Organisation.is_transporter)),
        "receivers": count(verified.where(Organisation.is_receiver)),
        "districts": count(jurisdiction_districts().with_only_columns(Division.code).order_by(None)),
        "hazardous_codes": count(current_codes.where(WasteCode.hazardous)),
        "districts_with_enterprises": count(select(Organisation.district_code).where(
            Organisation.status == OrgStatus.VERIFIED).distinct()),
    }


# What the areas show the public on the home page beside the platform's figures (the hall's latest documents,
# the tonnes traced, supply and demand, reports handled on time): a provider answers (template, context, order)
# or None. Areas register here, so that the home page never imports them.
HOME_PANELS: list[Callable[[], tuple[str, dict, int] | None]] = []


def register_home_panel(provider: Callable) -> Callable:
    if provider not in HOME_PANELS:
        HOME_PANELS.append(provider)
    return provider


def home_panels() -> list[tuple[str, dict, int]]:
    return sorted((panel for provider in HOME_PANELS if (panel := provider()) is not None), key=lambda p: p[2])


@bp.get("/")
def home():
    return render_template("home.html", figures=public_figures(), panels=home_panels())


THEME_COLOUR = "#084d2a"  # the header's green, also in static/icons (scripts/make_icons.py)


@bp.get("/manifest.webmanifest")
def web_app_manifest():
    """The web app manifest: lets a phone add the portal to its home screen with its name and icon."""
    icon = lambda name, size, purpose="any": {  # noqa: E731
        "src": url_for("static", filename=f"icons/{name}"), "sizes": size,
        "type": "image/svg+xml" if name.endswith(".svg") else "image/png", "purpose": purpose}
    manifest = {
        "name": _("Sanmenxia Zero-Waste City"),
        "short_name": _("Zero-Waste City"),
        "lang": html_lang(),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": "#ffffff",
        "icons": [icon("icon.svg", "any"), icon("icon-192.png", "192x192"), icon("icon-512.png", "512x512"),
                  icon("icon-maskable-512.png", "512x512", "maskable")],
    }
    response = jsonify(manifest)
    response.mimetype = "application/manifest+json"
    response.cache_control.max_age = 86400
    response.cache_control.public = True
    response.vary.update(("Accept-Language", "Cookie"))  # the name is in the reader's language
    return response


def safe_next(target: str | None, fallback: str = "/") -> str:
    """Only same-site relative paths are followed after a redirect (no open redirects)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


@bp.get("/lang/<code>")
def switch_language(code: str):
    """The visible language switcher: a plain link that works without JavaScript."""
    supported = current_app.config["LOCALES"]
    target = safe_next(request.args.get("next") or request.referrer and urlsplit(request.referrer).path)
    response = make_response(redirect(target))
    if code in supported:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        if current_user.is_authenticated and current_user.locale != code:
            current_user.locale = code
            db.session.commit()
    return response


@bp.get("/healthz")
def healthz():
    """State of the database, search and queue; 503 when the database does not answer."""
    state = health_state()
    healthy = state["database"] == "ok"
    if healthy:
        return jsonify(status="ok", **state)
    return jsonify(status="degraded", **state), 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def health_state() -> dict[str, str]:
    """The state of the database, search and queue ("ok", "sql", "inline", "down" …), probed now."""
    from .jobs import queue_state

    return {"database": _probe(lambda: db.session.execute(text("SELECT 1")) and "ok"),
            "search": _probe(_search_state),
            "queue": _probe(queue_state)}


def _search_state() -> str:
    url = current_app.config.get("MEILISEARCH_URL")
    if not url:
        return "sql"
    import meilisearch

    client = meilisearch.Client(url, current_app.config.get("MEILISEARCH_API_KEY"), timeout=2)
    return "ok" if client.is_healthy() else "down"


def _probe(check) -> str:
    try:
        return check()
    except Exception as exc:  # a health check reports failures instead of raising them
        current_app.logger.warning("health check failed: %s", exc)
        db.session.rollback()
        return "down"
