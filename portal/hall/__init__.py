"""The public information hall (信息大厅): policy documents, notices and guidance published by the regulators."""
import click
from flask.cli import with_appcontext

CONFIG_DEFAULTS = {
    "HALL_ATTACHMENT_MAX_BYTES": 20_000_000,  # a scanned policy of a few dozen pages
}
LATEST_ON_HOME = 5


def init_app(app) -> None:
    """The hall's pages, commands, demo documents and its panel on the public home page."""
    for key, value in CONFIG_DEFAULTS.items():
        app.config.setdefault(key, value)
    from ..demo import DEMO_SEEDERS
    from ..views import register_home_panel
    from . import views
    from .demo import seed_demo_documents

    app.register_blueprint(views.bp)
    app.cli.add_command(hall_cli)
    register_home_panel(latest_documents_panel)
    if seed_demo_documents not in DEMO_SEEDERS:
        DEMO_SEEDERS.append(seed_demo_documents)


def latest_documents_panel():
    """The newest published documents, first on the public home page."""
    from .services import latest

    return "hall/_latest.html", {"documents": latest(LATEST_ON_HOME)}, 10


@click.group("hall")
def hall_cli():
    """The information hall."""


@hall_cli.command("drain")
@with_appcontext
def drain_command():
    """Send the documents changed since the last drain to Meilisearch (run from a timer without a queue)."""
    from .search import drain

    total = 0
    while handled := drain():
        total += handled
    click.echo(f"{total} documents sent")


@hall_cli.command("reindex")
@with_appcontext
def reindex_command():
    """Rebuild the SQL search text of every document, then the Meilisearch index."""
    from sqlalchemy import select

    from ..extensions import db
    from .models import HallDocument
    from .search import refresh_search_text, reindex

    for document in db.session.scalars(select(HallDocument)):
        refresh_search_text(document)
    db.session.commit()
    click.echo(f"{reindex()} documents indexed")
