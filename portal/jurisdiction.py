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


def in_jurisdiction(district_code: str | None) -> bool:
    """True for the city and the divisions within it (its districts, their townships)."""
    return bool(district_code) and district_code.startswith(manifest_region())


def province_of(district_code: str) -> str:
    """The 2-digit province prefix of any division code (41 for Henan)."""
    return district_code[:2]


def area_prefix(division_code: str) -> str:
    """The prefix every division inside this one starts with: 42 for a province (420000), 4201 for a
    prefecture (420100), the whole code for a county-level unit (420102, and 441900 which has no counties)."""
    if division_code.endswith("0000"):
        return division_code[:2]
    if division_code.endswith("00"):
        return division_code[:4]
    return division_code
