"""wufei: the application factory."""
import importlib
from pathlib import Path

from flask import Flask

from . import config as config_module
from .extensions import babel, csrf, db, limiter, login_manager, migrate

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

    _init_extensions(app)
    _register_blueprints(app)
    from .cli import register_cli

    register_cli(app)
    return app


def _init_extensions(app: Flask) -> None:
    from .errors import register_error_handlers
    from .i18n import init_i18n, select_locale
    from .security import init_security_headers

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    init_i18n(app)
    init_security_headers(app)
    register_error_handlers(app)
    _import_models()

    @login_manager.user_loader
    def load_user(user_id: str):
        from .accounts.models import User

        return db.session.get(User, int(user_id))

    @app.after_request
    def run_jobs_waiting_for_commit(response):
        from .jobs import flush_after_commit

        if response.status_code < 400:
            flush_after_commit()
        return response


def _import_models() -> None:
    """Import every model module so that metadata (and Alembic) sees all tables."""
    from . import audit, outbox  # noqa: F401
    from .accounts import models  # noqa: F401
    from .api import core  # noqa: F401
    from .regulatory import models as regulatory_models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from .accounts import api as _accounts_api  # noqa: F401  (adds its routes to the api blueprint)
    from .accounts.views import bp as accounts
    from .admin.views import bp as admin
    from .api import api
    from .regulatory import api as _regulatory_api  # noqa: F401
    from .regulatory.views import bp as regulatory
    from .views import bp as core

    for blueprint in (core, accounts, admin, regulatory):
        app.register_blueprint(blueprint)
    for area in FEATURE_AREAS:
        importlib.import_module(area).init_app(app)
    app.register_blueprint(api)
