"""`wufei emergency load` (templates and event-level thresholds shipped with their sources) and
`wufei emergency remind` (revision reminders of enterprise plans, through the outbox; for cron)."""
import click
from flask.cli import with_appcontext

from ..extensions import db
from . import services


@click.group("emergency")
def emergency():
    """Emergency plans and incidents."""


@emergency.command("load")
@with_appcontext
def load():
    """Create the plan templates and event-level thresholds where none exist (idempotent)."""
    templates, rules = services.load_templates(), services.load_event_rules()
    db.session.commit()
    click.echo(f"templates: {templates}\nevent level rules: {rules}")


@emergency.command("remind")
@with_appcontext
def remind():
    """Tell each enterprise whose filed plan runs out within the reminder period (once per filing)."""
    sent = services.send_revision_reminders()
    db.session.commit()
    click.echo(f"reminders: {sent}")
