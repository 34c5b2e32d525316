"""The `wufei` command: a Flask CLI group over create_app (wufei run, wufei db upgrade, wufei seed demo …)."""
import click
from flask.cli import FlaskGroup, with_appcontext

from .extensions import db


def _create_app():
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main():
    """wufei — the platform of Sanmenxia's zero-waste city."""


@click.group("seed")
def seed():
    """Load reference data and demo data."""


@seed.command("reference")
@with_appcontext
def seed_reference():
    """Load the waste catalogue and Sanmenxia's divisions (idempotent)."""
    from .regulatory.reference import load_reference_data

    counts = load_reference_data()
    db.session.commit()
    for name, number in counts.items():
        click.echo(f"{name}: {number}")


@seed.command("demo")
@with_appcontext
def seed_demo():
    """Load reference data and the demo enterprises and users (idempotent)."""
    from .demo import seed_demo as load_demo
    from .regulatory.reference import load_reference_data

    load_reference_data()
    summary = load_demo()
    db.session.commit()
    for name, number in summary.items():
        click.echo(f"{name}: {number}")


@click.group("tokens")
def tokens():
    """API tokens for scripts."""


@tokens.command("create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", required=True, help="A name to recognise the token by.")
@click.option("--org", "org_uscc", help="USCC of the organisation to act for (default: the user's first).")
@with_appcontext
def tokens_create(email: str, name: str, org_uscc: str | None):
    """Create an API token and print it once."""
    from .accounts.services import create_api_token, find_user
    from .errors import DomainError

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    orgs = [m.organisation for m in user.memberships]
    org = next((o for o in orgs if o.uscc == org_uscc), None) if org_uscc else (orgs[0] if orgs else None)
    if org_uscc and org is None:
        raise click.ClickException(f"{email} is not a member of {org_uscc}")
    try:
        _token, secret = create_api_token(user, name, org)
    except DomainError as exc:
        raise click.ClickException(str(exc.message)) from exc
    db.session.commit()
    click.echo(secret)


main.add_command(seed)
main.add_command(tokens)


def register_cli(app):
    """Make the same commands available through `flask --app portal …`."""
    for command in (seed, tokens):
        if command.name not in app.cli.commands:
            app.cli.add_command(command)
