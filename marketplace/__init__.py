"""Marketplace: listings and demand of waste resources, search, matching, offers, deals and payments."""


def init_app(app):
    """Register the marketplace's blueprints on the portal (called by portal.create_app)."""
