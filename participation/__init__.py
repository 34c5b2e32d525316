"""Public participation: trace pages, reports of illegal dumping, Open311."""
import click
from flask.cli import with_appcontext

CONFIG_DEFAULTS = {
    # per address and, separately, per device cookie: a citizen files a few reports, a script files many
    "REPORT_RATE_LIMIT": "10 per hour",
    "OPEN311_JURISDICTION_ID": "sanmenxia.gov.cn",
}


def init_app(app):
    """Register the participation blueprints on the portal (called by portal.create_app)."""
    for key, value in CONFIG_DEFAULTS.items():
        app.config.setdefault(key, value)
    from . import open311
    from .reports import api as _reports_api  # noqa: F401  (adds its routes to the api blueprint)
    from .reports import (
        models,  # noqa: F401  (the tables, before create_all)
        staff,
        views,
    )

    for blueprint in (views.bp, staff.bp, open311.bp):
        app.register_blueprint(blueprint)
    _register_escalation(app)
    app.cli.add_command(reports_cli)
    _register_trace(app)
    _register_demo()
    _register_home()
    _register_screen()
    _register_map()


def _register_screen() -> None:
    """The public reports per district on the big screen."""
    from portal.command.screen import register_report_counter

    from .reports.screen import reports_by_district

    register_report_counter(reports_by_district)


def _register_home() -> None:
    """The overdue public reports on the regulators' home pages and their dashboard; the public figures on the
    public home page."""
    from portal.command.sections import register_panel
    from portal.home.sections import register_provider
    from portal.views import register_home_panel

    from .figures import public_figures_panel
    from .reports.home import report_panels, report_sections

    register_provider(report_sections)
    register_panel(report_panels)
    register_home_panel(public_figures_panel)


def _register_map() -> None:
    """The public reports as a layer of the regulators' one map (/command/map)."""
    from .reports import map_layer

    map_layer.register()


def _register_demo() -> None:
    """The demo reports, seeded by `wufei seed demo` after the portal's own demo data."""
    from portal.demo import DEMO_SEEDERS

    from .demo import seed_demo_reports

    if seed_demo_reports not in DEMO_SEEDERS:
        DEMO_SEEDERS.append(seed_demo_reports)


def _register_trace(app) -> None:
    """The public trace page /t/<code>, its API and the staff scanner."""
    from .trace import api as _trace_api  # noqa: F401  (adds its route to the api blueprint)
    from .trace import services as trace_services
    from .trace import stored as trace_stored
    from .trace import views as trace_views

    for key, value in trace_services.CONFIG_DEFAULTS.items():
        app.config.setdefault(key, value)
    app.register_blueprint(trace_views.bp)
    trace_stored.register()  # the snapshots keep this page's HTML


def _register_escalation(app) -> None:
    """Overdue reports escalate from the alert scan (`wufei alerts scan`); `wufei reports escalate` runs it alone."""
    from portal.regulatory.alerts.services import register_scanner

    from .reports.services import escalate_overdue

    def report_escalation(now):
        return escalate_overdue(now)

    register_scanner(report_escalation)


@click.group("reports")
def reports_cli():
    """Public reports of illegal dumping."""


@reports_cli.command("escalate")
@with_appcontext
def escalate_command():
    """Escalate overdue reports to the heads of their departments."""
    from portal.extensions import db

    from .reports.services import escalate_overdue

    count = escalate_overdue()
    db.session.commit()
    click.echo(f"{count} reports escalated")


@reports_cli.command("seed")
@with_appcontext
def seed_command():
    """Insert the default routing table and stage deadlines where none exist."""
    from portal.extensions import db

    from .reports.services import seed_defaults

    added = seed_defaults()
    db.session.commit()
    click.echo(f"{added} default rows added")
