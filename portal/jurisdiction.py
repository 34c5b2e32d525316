"""The platform's jurisdiction: the one prefecture-level city whose regulators run it (三门峡市 by default).

Organisations may sit anywhere in China, but regulators' jurisdictions, the district pickers of regulators
and the manifest numbers belong to this city. It is configuration (JURISDICTION_CODE, a 6-digit prefecture
code such as 411200), read only through these helpers, so that no code spells out Sanmenxia's code.
"""
import re

from flask import current_app, has_app_context

DEFAULT_JURISDICTION_CODE = "411200"
_PREFECTURE = re.compile(r"^\d{2}(?!00)\d{2}00$")


def valid_jurisdiction_code(code: str) -> bool:
    """A prefecture-level code: six digits ending in 00, not a province's (ending in 0000)."""
    return bool(_PREFECTURE.match(code))


def jurisdiction_code() -> str:
    """The configured city's 6-digit code (the default outside an application context)."""
    if has_app_context():
        return current_app.config.get("JURISDICTION_CODE", DEFAULT_JURISDICTION_CODE)
    return DEFAULT_JURISDICTION_CODE


def manifest_region() -> str:
    """The 2-digit province and 2-digit prefecture that follow the year in a manifest number (4112)."""
    return jurisdiction_code()[:4]


def is_whole_jurisdiction(code: str | None) -> bool:
    """True for the city itself, as opposed to one of its districts."""
    return code == jurisdiction_code()
