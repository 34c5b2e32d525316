"""Marketplace: listings and demand of waste resources, search, matching, offers, deals and payments."""
import click
from flask.cli import with_appcontext

CONFIG_DEFAULTS = {
    "MEILISEARCH_INDEX_PREFIX": "wufei_",
    # seconds a search waits for Meilisearch (a search takes milliseconds); beyond it the page is served from SQL
    "MEILISEARCH_TIMEOUT": 0.3,
    "MEILISEARCH_WRITE_TIMEOUT": 5.0,  # seconds an index write of the outbox drain waits for an answer
    "MEILISEARCH_TASK_TIMEOUT": 30.0,  # seconds to wait for index tasks (drain with waiting, reindex)
    "MEILISEARCH_BREAKER_SECONDS": 30.0,  # after a failure to answer, search with SQL for this long
    "SEARCH_BACKEND": "auto",  # auto: Meilisearch when MEILISEARCH_URL is set, SQL otherwise; or "sql"
    "SEARCH_WAIT_FOR_INDEXING": False,  # drain waits until Meilisearch has applied the changes
    "MARKETPLACE_PAGE_SIZE": 20,
}


def init_app(app):
    """Register the marketplace's blueprints on the portal (called by portal.create_app)."""
    for key, value in CONFIG_DEFAULTS.items():
        app.config.setdefault(key, value)
    from .listings import api as _listings_api  # noqa: F401  (adds its routes to the api blueprint)
    from .listings import (
        models,  # noqa: F401  (the tables, before create_all)
        views,
    )
    from .search import index as _search_index  # noqa: F401  (builds the SQL search index with the table)
    from .search import outbox  # noqa: F401

    app.register_blueprint(views.bp)
    _init_deals(app)
    _init_payments(app)
    app.cli.add_command(search_cli)
    app.cli.add_command(listings_cli)
    _register_demo()
    _register_home_panel()


def _register_home_panel() -> None:
    """Supply and demand by category on the public home page."""
    from portal.views import register_home_panel

    from .figures import supply_and_demand_panel

    register_home_panel(supply_and_demand_panel)


def _register_demo() -> None:
    """The marketplace's demo listings, demand and deal, seeded by `wufei seed demo` after the portal's."""
    from portal.demo import DEMO_SEEDERS

    from .demo import seed_marketplace_demo

    if seed_marketplace_demo not in DEMO_SEEDERS:
        DEMO_SEEDERS.append(seed_marketplace_demo)


def _init_deals(app):
    """Offers, deals and matching: their tables, pages, API routes and the offer expiry command."""
    from portal.command.sections import register_panel
    from portal.home.sections import register_provider

    from .deals import api as _deals_api  # noqa: F401  (adds its routes to the api blueprint)
    from .deals import models as _deals_models  # noqa: F401
    from .deals import views as deals_views
    from .deals.home import deal_panels, offer_sections
    from .matching import models as _matching_models  # noqa: F401
    from .matching import services as _matching  # noqa: F401  (subscribes to listing/demand publication)

    app.register_blueprint(deals_views.bp)
    app.cli.add_command(deals_cli)
    register_provider(offer_sections)  # the open offers on the enterprises' home pages
    register_panel(deal_panels, audience="enterprise")  # the deals on the enterprise dashboard


@click.group("deals")
def deals_cli():
    """Offers and deals."""


@deals_cli.command("expire-offers")
@with_appcontext
def expire_offers_command():
    """Mark open offers past their validity as expired."""
    from portal.extensions import db

    from .deals.services import expire_offers

    count = expire_offers()
    db.session.commit()
    click.echo(f"{count} offers expired")


def _init_payments(app):
    import os

    from .payments import api as _payments_api  # noqa: F401  (adds its routes to the api blueprint)
    from .payments import models as _payments_models  # noqa: F401
    from .payments import views as payments_views
    from .payments import webhooks as payments_webhooks

    # None: Stripe's own API; tests point it at a local server
    app.config.setdefault("STRIPE_API_BASE", os.environ.get("STRIPE_API_BASE"))
    # the platform's fee on online (Stripe) payments, in basis points of the goods amount
    fee_bp = os.environ.get("PLATFORM_FEE_BP", "0")
    app.config.setdefault("PLATFORM_FEE_BP", int(fee_bp) if fee_bp.isdigit() else 0)
    app.register_blueprint(payments_views.bp)
    app.register_blueprint(payments_webhooks.bp)
    app.cli.add_command(payments_cli)


@click.group("payments")
def payments_cli():
    """Payments of deals."""


@payments_cli.command("follow")
@with_appcontext
def follow_payments_command():
    """Settle or refund the payments of closed deals that the payment service could not handle at the time."""
    from portal.extensions import db

    from .payments.providers.stripe_provider import ProviderError
    from .payments.services import follow_deal, unfollowed_payments

    done = failed = 0
    for payment in db.session.scalars(unfollowed_payments()).all():
        try:
            with db.session.begin_nested():
                follow_deal(payment.deal)
            done += 1
        except ProviderError:
            failed += 1
    db.session.commit()
    click.echo(f"{done} payments followed their deal, {failed} still waiting for the payment service")


@click.group("search")
def search_cli():
    """The listings search index."""


@search_cli.command("drain")
@with_appcontext
def drain_command():
    """Send pending listing changes (the search outbox) to Meilisearch."""
    from .search.outbox import drain, pending_count

    total = 0
    while handled := drain():
        total += handled
    click.echo(f"{total} changes sent, {pending_count()} pending")


@search_cli.command("reindex")
@click.option("--sql-only", is_flag=True, help="Rebuild only the SQL backend's index.")
@with_appcontext
def reindex_command(sql_only: bool):
    """Rebuild the SQL backend's index (the listings' search keys), then the Meilisearch index from the
    database into a new index, swapped in."""
    from flask import current_app

    from .search.index import rebuild
    from .search.meili import SearchUnavailable, reindex

    click.echo(f"{rebuild()} listings' SQL search keys rebuilt")
    if sql_only:
        return
    if not current_app.config.get("MEILISEARCH_URL"):
        click.echo("MEILISEARCH_URL is not set: only the SQL index was rebuilt")
        return
    try:
        count = reindex()
    except SearchUnavailable as exc:
        raise click.ClickException(f"Meilisearch did not answer: {exc}") from exc
    click.echo(f"{count} listings indexed and swapped in")


@click.group("listings")
def listings_cli():
    """Marketplace listings."""


@listings_cli.command("expire")
@with_appcontext
def expire_command():
    """Expire listings past their validity."""
    from portal.extensions import db

    from .listings.services import expire_listings

    count = expire_listings()
    db.session.commit()
    click.echo(f"{count} listings expired")
