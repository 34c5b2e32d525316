"""Coordination cases (统一指挥调度): one work order for everything a department must act on."""


def init_app(app) -> None:
    """Register the pages, the API routes, the CLI and the deadline scan (called by portal.create_app)."""
    from ..command.screen import register_case_counter
    from ..command.sections import register_panel
    from ..demo import DEMO_SEEDERS
    from ..home.sections import register_provider
    from ..regulatory.alerts.services import register_scanner
    from . import api  # noqa: F401  (adds its routes to the api blueprint)
    from .cli import cases_cli
    from .demo import seed_demo_cases
    from .home import case_panels, case_sections, overdue_cases
    from .listeners import connect
    from .services import scan_deadlines
    from .views import bp

    app.register_blueprint(bp)
    app.cli.add_command(cases_cli)
    connect()
    register_provider(case_sections)
    register_panel(case_panels)
    register_case_counter(overdue_cases)

    def case_deadlines(now):
        counts = scan_deadlines(now)
        return counts["escalated"]

    register_scanner(case_deadlines)
    if seed_demo_cases not in DEMO_SEEDERS:
        DEMO_SEEDERS.insert(0, seed_demo_cases)  # before the public reports, which open cases
