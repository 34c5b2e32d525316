"""Public pages of the regulatory core: the waste catalogue."""
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..auth import admin_required
from ..clock import china_today
from ..errors import DomainError, NotFound, error_body
from ..extensions import db
from .catalogue import (
    HAZARDS,
    all_editions,
    categories_of,
    current_editions,
    default_edition,
    editions_known_but_missing,
    exemptions_for,
    in_force_until,
    lookup_waste_code,
    resolve_edition,
    search_waste_codes,
)
from .catalogue_import import PREVIEW_ROWS, import_edition, validate_catalogue_csv
from .forms import CatalogueImportForm, CatalogueSearchForm
from .models import division_path

bp = Blueprint("regulatory", __name__)
PER_PAGE = 25
PICK_LIMIT = 20  # suggestions a picker shows at once: enough to choose from, few enough to read on a phone


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
    form.edition.choices = [(e.slug, _("%(name)s (in force from %(day)s)", name=e.name, day=e.in_force_from.isoformat()))
                            for e in editions]
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
    editions = [(e, in_force_until(e)) for e in all_editions()]
    return (render_template("regulatory/catalogue.html", form=form, page=page, edition=edition, editions=editions,
                            today=china_today(), missing=editions_known_but_missing()),
            200 if page is not None else 422)


@bp.get("/catalogue/pick")
def catalogue_pick():
    """Suggestions for the waste-code picker (static/js/waste-code-picker.js): the entries of the editions in
    force (hazardous first) whose code, with or without dashes (900-214-08, 90021408), category (HW08, SW05),
    description or category name match every word typed."""
    q = (request.args.get("q") or "").strip()
    if len(q) > 100:
        message = _("Type at most 100 characters.")
        return jsonify(error_body("bad_request", message, {"q": message})), 400
    found = []
    for edition in current_editions() if q else []:
        found += db.session.scalars(search_waste_codes(q, edition).limit(PICK_LIMIT + 1 - len(found))).all()
        if len(found) > PICK_LIMIT:
            break
    return jsonify(results=[{"code": w.code, "description": w.description, "category": w.category.code,
                             "category_name": w.category.name, "hazardous": w.hazardous}
                            for w in found[:PICK_LIMIT]], more=len(found) > PICK_LIMIT)


@bp.get("/catalogue/<code>")
def waste_code(code: str):
    """One catalogue entry with its category, hazards and the exemption list rows that name it."""
    edition = request.args.get("edition") or None
    entry = lookup_waste_code(code, edition)
    if entry is None:
        raise NotFound(_("%(code)s is not in the waste catalogue.", code=code))
    exemptions = exemptions_for(entry)
    return render_template("regulatory/waste_code.html", entry=entry, exemptions=exemptions)


def _uploaded_text(form: CatalogueImportForm) -> str | None:
    """The CSV: a new upload (to preview), else the text the preview sent back (to confirm)."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.content.errors = [_("The file is not UTF-8 text.")]
            return None
    return form.content.data or None


@bp.route("/catalogue/import", methods=["GET", "POST"])
@admin_required
def catalogue_import():
    """Load an edition as `wufei catalogue import` does: upload, preview with every error by line, confirm."""
    form = CatalogueImportForm()
    preview = None
    if form.validate_on_submit() and (text := _uploaded_text(form)) is not None:
        preview = validate_catalogue_csv(text, hazardous=not form.general.data)
        form.content.data = text
        if preview.ok and "confirm" in request.form:
            try:
                edition = import_edition(preview, slug=form.slug.data.strip(), name=form.name.data.strip(),
                                         in_force_from=form.in_force_from.data,
                                         source=(form.source.data or "").strip() or _("Uploaded by an administrator"))
                db.session.commit()
                flash(_("Edition %(slug)s loaded: %(count)s codes.", slug=edition.slug, count=len(preview.rows)),
                      "success")
                return redirect(url_for("regulatory.catalogue", edition=edition.slug))
            except DomainError as exc:
                db.session.rollback()
                for name, message in exc.fields.items():
                    if name in form:
                        form[name].errors = [*form[name].errors, str(message)]
    elif request.method == "POST" and not form.errors:
        form.content.errors = [_("Choose the CSV file.")]
    status = 422 if form.errors or (preview is not None and not preview.ok) else 200
    return render_template("regulatory/catalogue_import.html", form=form, preview=preview,
                           preview_rows=PREVIEW_ROWS), status
