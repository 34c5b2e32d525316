"""`wufei cases …`: the deadline scan, the 12345 file import, the bundled time limits."""
import json

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from ..accounts.models import User
from ..errors import DomainError
from ..extensions import db
from . import services


@click.group("cases")
def cases_cli():
    """Coordination cases."""


@cases_cli.command("scan")
@with_appcontext
def scan():
    """Remind handlers before the limit and escalate overdue cases (also part of `wufei alerts scan`)."""
    counts = services.scan_deadlines()
    db.session.commit()
    click.echo(json.dumps(counts))


@cases_cli.command("limits")
@with_appcontext
def limits():
    """Load the bundled time limits where the city has not set its own."""
    added = services.load_default_time_limits()
    db.session.commit()
    click.echo(json.dumps({"added": added}))


@cases_cli.command("import-hotline")
@click.option("--as", "admin_email", required=True, help="The e-mail of the administrator who imports.")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@with_appcontext
def import_hotline(admin_email, file):
    """Import a CSV export of 12345 orders; an order already known by its number is not opened twice.
    The last line is JSON counts."""
    admin = db.session.scalars(select(User).where(User.email == admin_email)).first()
    try:
        counts = services.import_hotline_file(admin, file)
    except DomainError as exc:
        db.session.rollback()
        click.echo(str(exc.message), err=True)
        raise SystemExit(2) from None
    db.session.commit()
    for error in counts["errors"]:
        click.echo(f"line {error['line']}: {error['message']}", err=True)
    click.echo(json.dumps({**counts, "errors": len(counts["errors"])}))
