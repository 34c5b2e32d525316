"""Searching and looking up the waste catalogue; shared by the catalogue pages, the API and other services."""
import re
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from ..clock import china_today
from ..errors import DomainError
from ..extensions import db
from .models import CatalogueEdition, ExemptionItem, WasteCategory, WasteCode

# letter → (model attribute, full name); the order is the catalogue's own (T, C, I, R, In)
HAZARDS = {
    "T": ("toxic", _l("Toxicity")),
    "C": ("corrosive", _l("Corrosivity")),
    "I": ("ignitable", _l("Ignitability")),
    "R": ("reactive", _l("Reactivity")),
    "In": ("infectious", _l("Infectivity")),
}
_HAZARD_BY_LOWER = {letter.lower(): letter for letter in HAZARDS}
_CODE_LIKE = re.compile(r"^[\d\s-]+$")
# Published hazardous editions the platform knows of by name and date, so that the catalogue page can say
# which one is in force but not loaded (the 2025 list exists only as a PDF: an admin imports it).
PUBLISHED_HAZARDOUS_EDITIONS = (("国家危险废物名录（2025年版）", date(2025, 1, 1)),)
_CATEGORY = re.compile(r"^(HW|SW)\d{2}$", re.IGNORECASE)


def normalise_code(code: str) -> str:
    """'900-041-49', ' 90004149 ' and 'sw05' → the compact form stored in WasteCode.compact_code."""
    return re.sub(r"[\s-]", "", code or "").upper()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def edition_in_force(on: date | None = None, *, hazardous: bool = True) -> CatalogueEdition | None:
    """The edition of the kind (hazardous or general) in force on a day (default: today in China):
    the latest one whose in-force date is not after that day."""
    on = on or china_today()
    return db.session.scalar(select(CatalogueEdition).where(
        CatalogueEdition.hazardous.is_(hazardous), CatalogueEdition.in_force_from <= on)
        .order_by(CatalogueEdition.in_force_from.desc()).limit(1))


def current_editions(on: date | None = None) -> list[CatalogueEdition]:
    """The editions in force on a day (default today), hazardous first."""
    return [e for e in (edition_in_force(on, hazardous=True), edition_in_force(on, hazardous=False)) if e]


def all_editions() -> list[CatalogueEdition]:
    return list(db.session.scalars(select(CatalogueEdition).order_by(
        CatalogueEdition.hazardous.desc(), CatalogueEdition.in_force_from.desc())))


def in_force_until(edition: CatalogueEdition) -> date | None:
    """The last day of the edition: the day before the next edition of its kind comes into force."""
    following = db.session.scalar(select(func.min(CatalogueEdition.in_force_from)).where(
        CatalogueEdition.hazardous.is_(edition.hazardous), CatalogueEdition.in_force_from > edition.in_force_from))
    return following - timedelta(days=1) if following else None


def default_edition(on: date | None = None) -> CatalogueEdition | None:
    """The hazardous waste catalogue in force on the day (the one a manifest or label of that day uses)."""
    return edition_in_force(on, hazardous=True)


def editions_known_but_missing(on: date | None = None) -> list[tuple[str, date]]:
    """Editions published and in force on the day that nobody has loaded yet, for the catalogue page."""
    on = on or china_today()
    loaded = {e.in_force_from for e in all_editions() if e.hazardous}
    return [(name, start) for name, start in PUBLISHED_HAZARDOUS_EDITIONS if start <= on and start not in loaded]


def resolve_edition(edition: CatalogueEdition | str | None, field: str = "edition") -> CatalogueEdition:
    """An edition by slug (None → the current hazardous one); an unknown slug is a field error."""
    if isinstance(edition, CatalogueEdition):
        return edition
    found = (db.session.scalar(select(CatalogueEdition).where(CatalogueEdition.slug == edition))
             if edition else default_edition())
    if found is None:
        message = _("Unknown catalogue edition.")
        raise DomainError(message, fields={field: message}, code="invalid")
    return found


def parse_hazards(raw: str | list[str] | None, field: str = "hazard") -> list[str]:
    """'T', 'c,in' or ['T', 'In'] → the canonical letters; anything else is a field error."""
    if not raw:
        return []
    parts = raw if isinstance(raw, list) else raw.split(",")
    letters = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        letter = _HAZARD_BY_LOWER.get(part.lower())
        if letter is None:
            message = _("Unknown hazard characteristic %(value)s: use T, C, I, R or In.", value=part)
            raise DomainError(message, fields={field: message}, code="invalid")
        letters.append(letter)
    return letters


def search_waste_codes(q: str | None = None, edition: CatalogueEdition | str | None = None,
                       category: str | None = None, hazard: str | list[str] | None = None) -> Select:
    """A select() of WasteCode rows matching the search, ordered by category and code.

    q is a code with or without dashes (whole or partial: 900-041, 90004149), or words that must all
    appear in the code, description, industry source or category name/code. category is HW08/SW05;
    hazard one or more of T/C/I/R/In (all must hold). Malformed filters raise DomainError naming the field.
    """
    edition = resolve_edition(edition)
    query = (select(WasteCode).join(WasteCategory, WasteCode.category_id == WasteCategory.id)
             .where(WasteCode.edition_id == edition.id)
             .options(joinedload(WasteCode.category))
             .order_by(WasteCategory.code, WasteCode.code))
    if category:
        query = query.where(WasteCategory.id == _category_id(edition, category))
    for letter in parse_hazards(hazard):
        query = query.where(getattr(WasteCode, HAZARDS[letter][0]).is_(True))
    q = (q or "").strip()
    if q and _CODE_LIKE.match(q):
        compact = normalise_code(q)
        query = query.where(WasteCode.compact_code.like(f"%{_escape_like(compact)}%", escape="\\"))
    elif q:
        query = query.where(and_(*(_word_clause(word) for word in q.split())))
    return query


def _word_clause(word: str):
    pattern = f"%{_escape_like(word)}%"
    columns = (WasteCode.code, WasteCode.description, WasteCode.industry_source,
               WasteCategory.name, WasteCategory.code)
    clauses = [column.ilike(pattern, escape="\\") for column in columns]
    if len(compact := normalise_code(word)) >= 3 and compact.isdigit():
        clauses.append(WasteCode.compact_code.like(f"%{compact}%"))
    return or_(*clauses)


def _category_id(edition: CatalogueEdition, category: str) -> int:
    code = category.strip().upper()
    found = None
    if _CATEGORY.match(code):
        found = db.session.scalar(select(WasteCategory.id).where(
            WasteCategory.edition_id == edition.id, WasteCategory.code == code))
    if found is None:
        message = _("No category %(code)s in this catalogue edition.", code=category)
        raise DomainError(message, fields={"category": message}, code="invalid")
    return found


def categories_of(edition: CatalogueEdition) -> list[WasteCategory]:
    return list(db.session.scalars(select(WasteCategory).where(
        WasteCategory.edition_id == edition.id).order_by(WasteCategory.code)))


def lookup_waste_code(code: str, edition: CatalogueEdition | str | None = None,
                      on: date | None = None) -> WasteCode | None:
    """The catalogue entry for a code written with or without dashes, or None.

    Without an edition, the editions in force on the day (default today) are searched, the hazardous
    catalogue first."""
    compact = normalise_code(code)
    if not compact:
        return None
    query = (select(WasteCode).join(CatalogueEdition, WasteCode.edition_id == CatalogueEdition.id)
             .where(WasteCode.compact_code == compact)
             .options(joinedload(WasteCode.category), joinedload(WasteCode.edition)))
    if edition is None:  # the editions current_editions() names, found within the same statement
        later = aliased(CatalogueEdition)
        newest = (select(func.max(later.in_force_from))
                  .where(later.hazardous == CatalogueEdition.hazardous, later.in_force_from <= (on or china_today()))
                  .scalar_subquery())
        query = query.where(CatalogueEdition.in_force_from == newest).order_by(CatalogueEdition.hazardous.desc())
    else:
        query = query.where(CatalogueEdition.id == resolve_edition(edition).id)
    return db.session.scalars(query.limit(1)).first()


def require_waste_code(code: str, edition: CatalogueEdition | str | None = None,
                       field: str = "waste_code", on: date | None = None) -> WasteCode:
    """lookup_waste_code() for validating input: an unknown code is a DomainError naming the field."""
    found = lookup_waste_code(code, edition, on)
    if found is None:
        message = _("%(code)s is not in the waste catalogue.", code=code)
        raise DomainError(message, fields={field: message}, code="invalid")
    return found


def exemptions_for(waste_code: WasteCode) -> list[ExemptionItem]:
    """Rows of the exemption list naming this code or its category, in the list's order."""
    rows = db.session.scalars(select(ExemptionItem).where(
        ExemptionItem.edition_id == waste_code.edition_id).order_by(ExemptionItem.item_no, ExemptionItem.id))
    keys = {waste_code.code, waste_code.category.code}
    return [row for row in rows if keys & {part.strip() for part in row.waste_category_or_code.split(";")}]


def hazard_labels(waste_code: WasteCode) -> list[tuple[str, str]]:
    """(letter, translated full name) for each hazard characteristic of the entry."""
    return [(letter, str(HAZARDS[letter][1])) for letter in waste_code.hazards]
