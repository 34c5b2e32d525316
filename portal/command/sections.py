"""The dashboards' panels and the registry the areas fill.

A panel is a home section (portal/home/sections.py): a heading with figures, each the count of a list and the
URL of that list filtered to the same rows. The regulators' dashboard asks every registered provider for its
panels within a scope (the city, or one district); the enterprise dashboard asks for the acting organisation's.
Areas outside portal (participation's public reports, the marketplace's deals) and later ones (coordination
cases) add theirs with register_panel, so that the command centre imports none of them.
"""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from ..home.sections import Section
from ..jurisdiction import is_whole_jurisdiction


@dataclass(frozen=True)
class Scope:
    """What a regulators' dashboard covers: the user's jurisdiction, narrowed to one district when chosen."""
    user: object
    division: str  # the city's code or a district's
    today: date

    @property
    def district(self) -> str | None:
        """The district every list is filtered by, None for the whole city."""
        return None if is_whole_jurisdiction(self.division) else self.division

    def filters(self, **values) -> dict:
        """A list's URL arguments: the given filters and the district of the scope."""
        return {**values, **({"district": self.district} if self.district else {})}


# scope → the regulators' panels of one area
REGULATOR_PANELS: list[Callable[[Scope], list[Section]]] = []
# (user, organisation) → the enterprise panels of one area
ENTERPRISE_PANELS: list[Callable[[object, object], list[Section]]] = []


def register_panel(provider: Callable | None = None, *, audience: str = "regulator"):
    """Add an area's panels to the regulators' dashboard, or to the enterprise's (audience="enterprise");
    a decorator with or without its argument."""
    registry = ENTERPRISE_PANELS if audience == "enterprise" else REGULATOR_PANELS

    def add(function: Callable) -> Callable:
        if function not in registry:
            registry.append(function)
        return function
    return add(provider) if provider is not None else add


def regulator_panels(scope: Scope) -> list[Section]:
    return sorted((s for provider in REGULATOR_PANELS for s in provider(scope)), key=lambda s: s.order)


def enterprise_panels(user, org) -> list[Section]:
    return sorted((s for provider in ENTERPRISE_PANELS for s in provider(user, org)), key=lambda s: s.order)
