"""Public pages of the regulatory core: the waste catalogue."""
from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from ..errors import DomainError, NotFound
from ..extensions import db
from .catalogue import (
    HAZARDS,
    all_editions,
    categories_of,
    default_edition,
    exemptions_for,
    lookup_waste_code,
    resolve_edition,
    search_waste_codes,
)
from .forms import CatalogueSearchForm
from .models import division_path

bp = Blueprint("regulatory", __name__)
PER_PAGE = 25


@bp.app_template_global("division_path")
def division_path_text(code: str | None) -> str:
    """The full path of a division for a page: 河南省 / 三门峡市 / 灵宝市 (the code when it is unknown)."""
    return " / ".join(d.name for d in division_path(code)) or (code or "")


@bp.app_template_global("hazard_name")
def hazard_name(letter: str) -> str:
    """The full, translated name of a hazard characteristic letter, for badges anywhere."""
    return str(HAZARDS[letter][1]) if letter in HAZARDS else letter


def _search_form() -> CatalogueSearchForm:
    form = CatalogueSearchForm(formdata=request.args)
    editions = all_editions()
    form.edition.choices = [(e.slug, e.name) for e in editions]
    chosen = next((e for e in editions if e.slug == form.edition.data), None) or default_edition()
    if chosen is not None and not form.edition.data:
        form.edition.data = chosen.slug
    form.category.choices = [("", _("All categories"))] + [
        (c.code, f"{c.code} {c.name}") for c in (categories_of(chosen) if chosen else [])]
    return form


@bp.get("/catalogue")
def catalogue():
    """Search the waste catalogue by code (dashes optional) or words; filter by category and hazard."""
    form = _search_form()
    page = edition = None
    if form.validate():
        try:
            edition = resolve_edition(form.edition.data or None)
            query = search_waste_codes(form.q.data, edition, form.category.data or None, form.hazard.data or None)
            page = db.paginate(query, page=form.page.data or 1, per_page=PER_PAGE, error_out=False)
        except DomainError as exc:
            for name, message in exc.fields.items():
                if name in form:
                    form[name].errors.append(message)
    return (render_template("regulatory/catalogue.html", form=form, page=page, edition=edition),
            200 if page is not None else 422)


@bp.get("/catalogue/<code>")
def waste_code(code: str):
    """One catalogue entry with its category, hazards and the exemption list rows that name it."""
    edition = request.args.get("edition") or None
    entry = lookup_waste_code(code, edition)
    if entry is None:
        raise NotFound(_("%(code)s is not in the waste catalogue.", code=code))
    exemptions = exemptions_for(entry)
    return render_template("regulatory/waste_code.html", entry=entry, exemptions=exemptions)
