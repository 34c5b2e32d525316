"""Loading a catalogue edition from a CSV without a code change: validate, preview, then write.

The CSV has the columns of data/national_hazardous_waste_catalogue_2021.csv. A hazardous edition (国家危险废物名录)
has codes NNN-NNN-NN whose last two digits are the HW category; a general edition (《固体废物分类与代码目录》) has
codes NNN-NNN-Sxx and no hazard characteristics. Nothing is written when any row is wrong, so an edition is
either loaded whole or not at all; an edition once loaded is not changed by a later import (records point into it).
"""
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import insert, select

from .. import audit
from ..errors import DomainError
from ..extensions import db
from .models import CatalogueEdition, WasteCategory, WasteCode

COLUMNS = ("category_code", "category_name", "industry_source", "waste_code", "description",
           "hazard_characteristics", "T", "C", "I", "R", "In")
FLAGS = {"T": "toxic", "C": "corrosive", "I": "ignitable", "R": "reactive", "In": "infectious"}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
_HAZARDOUS_CODE = re.compile(r"^\d{3}-\d{3}-(\d{2})$")
_GENERAL_CODE = re.compile(r"^\d{3}-\d{3}-S(\d{2})$")
_HAZARDOUS_CATEGORY = re.compile(r"^HW(\d{2})$")
_GENERAL_CATEGORY = re.compile(r"^SW?(\d{2})$")
_HAZARD_SPLIT = re.compile(r"[,/]")
MAX_ROWS = 5000
PREVIEW_ROWS = 5


@dataclass
class RowError:
    line: int  # the line of the CSV file, header = 1
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class Preview:
    """What an import would write, or why it cannot."""

    hazardous: bool
    rows: list[dict] = field(default_factory=list)
    categories: dict[str, str] = field(default_factory=dict)  # code → name, in order of appearance
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    def counts(self) -> dict:
        return {"rows": len(self.rows), "categories": len(self.categories), "errors": len(self.errors)}


def _reader(data: bytes | str) -> csv.DictReader:
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    return csv.DictReader(io.StringIO(text))


def _hazard_letters(raw: str) -> list[str] | None:
    """'T,I' or 'T/C/I/R' → the letters; None if a token is not one of T, C, I, R, In."""
    letters = [part.strip() for part in _HAZARD_SPLIT.split(raw) if part.strip()]
    return letters if all(letter in FLAGS for letter in letters) else None


def _check_code(row: dict, hazardous: bool, add) -> None:
    category, code = row["category_code"], row["waste_code"]
    category_pattern = _HAZARDOUS_CATEGORY if hazardous else _GENERAL_CATEGORY
    code_pattern = _HAZARDOUS_CODE if hazardous else _GENERAL_CODE
    category_match, code_match = category_pattern.match(category), code_pattern.match(code)
    if category_match is None:
        add("category_code", _("A category code is HW followed by two digits.") if hazardous
            else _("A category code is SW followed by two digits."))
    if code_match is None:
        add("waste_code", _("A waste code is written NNN-NNN-NN.") if hazardous
            else _("A general waste code is written NNN-NNN-Sxx."))
    elif category_match is not None and code_match.group(1) != category_match.group(1):
        add("waste_code", _("The last two digits of the code must be those of its category %(category)s.",
                            category=category))


def _check_hazards(row: dict, hazardous: bool, add) -> dict:
    """The hazard columns: the printed characteristics and the five 0/1 flags, which must agree."""
    flags = {}
    for letter in FLAGS:
        value = row[letter] or "0"
        if value not in ("0", "1"):
            add(letter, _("Write 0 or 1."))
        flags[letter] = value == "1"
    printed = row["hazard_characteristics"]
    if not hazardous:
        if printed or any(flags.values()):
            add("hazard_characteristics", _("General industrial solid waste has no hazard characteristics."))
        return flags
    letters = _hazard_letters(printed)
    if not printed or letters is None:
        add("hazard_characteristics", _("Use T, C, I, R or In, separated by , or /."))
    elif set(letters) != {letter for letter, on in flags.items() if on}:
        add("hazard_characteristics", _("The T, C, I, R and In columns do not match the characteristics."))
    return flags


def validate_catalogue_csv(data: bytes | str, *, hazardous: bool = True) -> Preview:
    """Read and check every row; the preview lists each error with its line and column."""
    preview = Preview(hazardous=hazardous)
    try:
        reader = _reader(data)
        header = reader.fieldnames or []
    except UnicodeDecodeError:
        preview.errors.append(RowError(1, "", _("The file is not UTF-8 text.")))
        return preview
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        preview.errors.append(RowError(1, ", ".join(missing), _("Required columns are missing.")))
        return preview
    first_line: dict[str, int] = {}
    try:
        for line, raw in enumerate(reader, start=2):
            if line - 1 > MAX_ROWS:
                preview.errors.append(RowError(line, "", _("At most %(count)s rows.", count=MAX_ROWS)))
                break
            _check_row(preview, line, raw, first_line)
    except (UnicodeDecodeError, csv.Error):
        preview.errors.append(RowError(0, "", _("The file is not a readable CSV file.")))
    for code in preview.categories:
        if not preview.categories[code]:
            preview.errors.append(RowError(first_line.get(f"category:{code}", 0), "category_name",
                                           _("Category %(code)s has no name.", code=code)))
    if not preview.rows and not preview.errors:
        preview.errors.append(RowError(2, "", _("The file has no rows.")))
    return preview


def _check_row(preview: Preview, line: int, raw: dict, first_line: dict[str, int]) -> None:
    row = {name: (raw.get(name) or "").strip() for name in COLUMNS}
    errors_before = len(preview.errors)

    def add(column: str, message: str) -> None:
        preview.errors.append(RowError(line, column, message))

    for required in ("category_code", "waste_code", "description"):
        if not row[required]:
            add(required, _("This field is required."))
    if row["category_code"] and row["waste_code"]:
        _check_code(row, preview.hazardous, add)
    flags = _check_hazards(row, preview.hazardous, add)
    code = row["waste_code"]
    if code and code in first_line:
        add("waste_code", _("%(code)s is listed twice (first on line %(line)s).", code=code, line=first_line[code]))
    first_line.setdefault(code, line)
    category = row["category_code"]
    if category:
        known = preview.categories.setdefault(category, row["category_name"])
        first_line.setdefault(f"category:{category}", line)
        if row["category_name"] and known and known != row["category_name"]:
            add("category_name", _("Category %(code)s has another name on an earlier line.", code=category))
        elif row["category_name"] and not known:
            preview.categories[category] = row["category_name"]
    if len(preview.errors) == errors_before:
        preview.rows.append({**row, "flags": flags})


def _check_edition(slug: str, in_force_from: date, hazardous: bool) -> None:
    if not _SLUG.match(slug or ""):
        message = _("A slug is 2–40 lower-case letters, digits and dashes, e.g. hw-2025.")
        raise DomainError(message, fields={"slug": message})
    if db.session.scalar(select(CatalogueEdition.id).where(CatalogueEdition.slug == slug)) is not None:
        message = _("An edition %(slug)s is already loaded; editions are never overwritten.", slug=slug)
        raise DomainError(message, fields={"slug": message}, code="conflict", status=409)
    same_day = db.session.scalar(select(CatalogueEdition).where(
        CatalogueEdition.hazardous.is_(hazardous), CatalogueEdition.in_force_from == in_force_from))
    if same_day is not None:
        message = _("Edition %(slug)s is already in force from that day.", slug=same_day.slug)
        raise DomainError(message, fields={"in_force_from": message}, code="conflict", status=409)


def import_edition(preview: Preview, *, slug: str, name: str, in_force_from: date, source: str,
                   actor=None) -> CatalogueEdition:
    """Write a validated edition with its categories and codes. The caller commits."""
    if not preview.ok:
        raise DomainError(_("The file has errors; nothing was imported."), fields={"file": _("Fix the errors.")})
    _check_edition(slug, in_force_from, preview.hazardous)
    edition = CatalogueEdition(slug=slug, name=name, hazardous=preview.hazardous, in_force_from=in_force_from,
                               source=source)
    db.session.add(edition)
    db.session.flush()
    db.session.execute(insert(WasteCategory), [{"edition_id": edition.id, "code": code, "name": category_name}
                                               for code, category_name in preview.categories.items()])
    category_ids = dict(db.session.execute(select(WasteCategory.code, WasteCategory.id).where(
        WasteCategory.edition_id == edition.id)).all())
    db.session.execute(insert(WasteCode), [{
        "edition_id": edition.id, "category_id": category_ids[row["category_code"]], "code": row["waste_code"],
        "compact_code": row["waste_code"].replace("-", ""), "hazardous": preview.hazardous,
        "industry_source": row["industry_source"] or None, "description": row["description"],
        "hazard_characteristics": row["hazard_characteristics"] or None,
        **{FLAGS[letter]: on for letter, on in row["flags"].items()},
    } for row in preview.rows])
    db.session.flush()
    audit.record("catalogue.import", edition, actor=actor, after={
        "slug": slug, "name": name, "hazardous": preview.hazardous, "in_force_from": in_force_from.isoformat(),
        **preview.counts()})
    return edition
