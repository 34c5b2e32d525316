"""Flask extensions, created unbound and initialised by create_app()."""
from flask import has_request_context, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from . import dbpool  # noqa: F401  (discards pooled connections the server closed)
from .dbsession import Session
from .inputs import MAX_PAGE, page_arg

# Explicit constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def not_in_models(*names: str) -> None:
    """Objects an area builds in the database by hand, next to its models (the SQL search's FTS5 tables and GIN
    index): Alembic's comparison of models and database leaves them alone (include_object)."""
    Base.metadata.info.setdefault("not_in_models", set()).update(names)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For Alembic: compare everything but what not_in_models named."""
    return name not in Base.metadata.info.get("not_in_models", ())


class BoundedSQLAlchemy(SQLAlchemy):
    """db.paginate() with the page and page size bounded (portal/inputs.py): Flask-SQLAlchemy reads ?page= and
    ?per_page= as unbounded ints, and ?page=99999999999999999999 overflows OFFSET on both engines (a 500)."""

    def paginate(self, select, *, page=None, per_page=None, max_per_page=None, **kwargs):
        if has_request_context():
            page = page_arg(request.args) if page is None else page
            if per_page is None:
                per_page = min(page_arg(request.args, "per_page") if request.args.get("per_page") else 20,
                               max_per_page or 100)
        if page is not None:
            page = min(max(page, 1), MAX_PAGE)
        return super().paginate(select, page=page, per_page=per_page, max_per_page=max_per_page, **kwargs)


db = BoundedSQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
