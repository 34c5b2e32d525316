"""wufei: the application factory."""
import importlib
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as config_module
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .inputs import BoundedIntConverter, refuse_nul_characters

ROOT = Path(__file__).resolve().parent.parent
# The feature areas register their own blueprints; portal never imports them otherwise.
FEATURE_AREAS = ("marketplace", "participation")


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(ROOT / "instance"), template_folder=str(ROOT / "templates"),
                static_folder=str(ROOT / "static"))
    app.config.update(config_module.DEFAULTS)
    app.config.update(config_module.from_environment(Path(app.instance_path)))
    app.config.update(config or {})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _trust_proxies(app)
    # every <int:…> in a URL is an id: bounded to the database's int32 before any route is added
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(refuse_nul_characters)

    _init_extensions(app)
    _register_blueprints(app)
    from .cli import register_cli

    register_cli(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXY_HOPS reverse proxies, take the client's address (and scheme) from the entry the
    nearest of them appended to X-Forwarded-For, so that rate limits and the audit trail see the client and not
    the proxy. Without proxies the header is ignored: any client could write it."""
    hops = app.config.get("TRUSTED_PROXY_HOPS", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def _init_extensions(app: Flask) -> None:
    from .errors import register_error_handlers
    from .i18n import init_i18n, select_locale
    from .labels import init_labels
    from .layout import init_layout
    from .nav import init_nav
    from .security import init_security_headers

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    init_i18n(app)
    init_nav(app)
    init_layout(app)
    init_labels(app)
    init_security_headers(app)
    register_error_handlers(app)
    _import_models()

    @login_manager.user_loader
    def load_user(user_id: str):
        from .auth import load_session_user

        return load_session_user(user_id)


def _import_models() -> None:
    """Import every model module so that metadata (and Alembic) sees all tables."""
    from . import after_commit, audit, outbox  # noqa: F401  (after_commit: the session's deferred work)
    from .accounts import models  # noqa: F401
    from .api import core  # noqa: F401
    from .calendar import models as calendar_models  # noqa: F401
    from .command.statistics import models as statistics_models  # noqa: F401
    from .coordination import models as coordination_models  # noqa: F401
    from .emergency import models as emergency_models  # noqa: F401
    from .hall import models as hall_models  # noqa: F401
    from .regulatory import models as regulatory_models  # noqa: F401
    from .regulatory import trace_snapshots  # noqa: F401
    from .regulatory.alerts import models as alerts_models  # noqa: F401
    from .regulatory.batches import models as batches_models  # noqa: F401
    from .regulatory.declarations import models as declarations_models  # noqa: F401
    from .regulatory.general import models as general_models  # noqa: F401
    from .regulatory.ledger import models as ledger_models  # noqa: F401
    from .regulatory.licences import models as licences_models  # noqa: F401
    from .regulatory.manifests import alerts as manifest_alerts  # noqa: F401  (its scanners)
    from .regulatory.manifests import models as manifests_models  # noqa: F401
    from .regulatory.plans import models as plans_models  # noqa: F401
    from .regulatory.signing import models as signing_models  # noqa: F401
    from .regulatory.transfers import models as transfers_models  # noqa: F401
    from .regulatory.transport import models as transport_models  # noqa: F401
    from .regulatory.weighing import models as weighing_models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from . import coordination
    from .accounts import api as _accounts_api  # noqa: F401  (adds its routes to the api blueprint)
    from .accounts.views import bp as accounts
    from .admin.views import bp as admin
    from .api import api
    from .calendar import api as _calendar_api  # noqa: F401
    from .calendar.views import bp as calendar
    from .command.dashboard import bp as command_dashboard
    from .command.map import bp as command_map
    from .command.screen import bp as command_screen
    from .command.statistics import api as _statistics_api  # noqa: F401
    from .command.statistics.views import bp as statistics
    from .emergency import api as _emergency_api  # noqa: F401
    from .emergency.views import bp as emergency
    from .hall import init_app as init_hall
    from .held_uploads import bp as held
    from .home.views import bp as home
    from .regulatory import api as _regulatory_api  # noqa: F401
    from .regulatory import epcis as _epcis_api  # noqa: F401
    from .regulatory.alerts.settings import bp as alert_settings
    from .regulatory.alerts.views import bp as alerts
    from .regulatory.batches import api as _batches_api  # noqa: F401
    from .regulatory.batches.views import bp as batches
    from .regulatory.declarations import api as _declarations_api  # noqa: F401
    from .regulatory.declarations.views import bp as declarations
    from .regulatory.general import api as _general_api  # noqa: F401
    from .regulatory.general.views import bp as general
    from .regulatory.labels.views import bp as labels
    from .regulatory.licences import api as _licences_api  # noqa: F401
    from .regulatory.licences.views import bp as licences
    from .regulatory.manifests import api as _manifests_api  # noqa: F401
    from .regulatory.manifests.views import bp as manifests
    from .regulatory.plans import api as _plans_api  # noqa: F401
    from .regulatory.plans.views import bp as plans
    from .regulatory.register import bp as register
    from .regulatory.signing import api as _signing_api  # noqa: F401
    from .regulatory.signing.views import bp as signing
    from .regulatory.transfers import api as _transfers_api  # noqa: F401
    from .regulatory.transfers.views import bp as transfers
    from .regulatory.transport import api as _transport_api  # noqa: F401
    from .regulatory.transport.views import bp as transport
    from .regulatory.views import bp as regulatory
    from .regulatory.weighing import api as _weighing_api  # noqa: F401
    from .regulatory.weighing.views import bp as weighing
    from .views import bp as core

    for blueprint in (core, accounts, admin, regulatory, licences, weighing, labels, register, batches, alerts,
                      calendar, alert_settings, declarations, general, transfers, plans, home, held, statistics):
        app.register_blueprint(blueprint)
    app.register_blueprint(manifests)
    app.register_blueprint(signing)
    app.register_blueprint(transport)
    app.register_blueprint(command_screen)
    app.register_blueprint(command_dashboard)
    app.register_blueprint(command_map)
    init_hall(app)
    app.register_blueprint(emergency)
    coordination.init_app(app)
    for area in FEATURE_AREAS:
        importlib.import_module(area).init_app(app)
    app.register_blueprint(api)
