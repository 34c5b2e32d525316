"""City statistics (统计口径 as data): figures computed from the ledger into aggregate tables, read by the
statistics page, the API, the dashboards and the big screen.

    from portal.command.statistics import MEASURES, GROUPS, figures, definition, scope_division
"""
from .services import GROUPS, MEASURES, definition, definitions, division_within, figures, scope_division

__all__ = ["GROUPS", "MEASURES", "definition", "definitions", "division_within", "figures", "scope_division"]
