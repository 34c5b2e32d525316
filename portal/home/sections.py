"""The shape of a home page and the registry its areas fill.

A section is a heading with figures; each figure is a count computed from the records by the area's own
services, and the URL of the filtered list that shows the same rows. Areas outside portal (marketplace,
participation) add their sections through register_provider, so that portal never imports them.
"""
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Figure:
    label: object  # a lazy string, translated when rendered
    count: int | None  # None for a state that is not a count (the health of a service)
    url: str | None = None  # the filtered list showing the rows counted
    tone: str = ""  # "bad" when the figure is a breach, "wait" when it asks for action, "" otherwise
    value: str | None = None  # shown instead of the count when the count is None
    detail: str | None = None  # one line under the figure (the earliest deadline …)


@dataclass
class Section:
    key: str  # stable, used for the element ids
    title: object
    order: int  # sections are shown by order: the user's own work first, oversight, then administration
    figures: list[Figure] = field(default_factory=list)
    note: str | None = None
    # an organisation the user belongs to but does not act for now: its lists show the acting one, so the
    # section offers to switch instead of linking its figures
    switch_to: object | None = None


# user → the sections of the user's work that the provider knows about (none when the role has no use for them)
PROVIDERS: list[Callable] = []


def register_provider(provider: Callable) -> Callable:
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)
    return provider


def sections_for(user) -> list[Section]:
    sections = [section for provider in PROVIDERS for section in provider(user)]
    return sorted(sections, key=lambda s: s.order)
