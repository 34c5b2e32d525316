"""Public participation: trace pages, reports of illegal dumping, Open311."""


def init_app(app):
    """Register the participation blueprints on the portal (called by portal.create_app)."""
