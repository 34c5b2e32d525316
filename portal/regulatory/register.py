"""The monthly register (管理台账) of an organisation, derived from the ledger only, as a page, CSV and XLSX.

Per waste code and month: generated, stored in, retrieved, transferred out, received, utilised or treated
on site, and the stock in storage at the month's end. Nothing is typed twice: every figure is a sum of
ledger events (with their corrections applied), so the register always agrees with the trace.
"""
import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, or_, select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Regexp

from ..accounts.models import Organisation
from ..auth import current_org, login_required, orgs_visible_to, require_view_org
from ..clock import CHINA, china_today
from ..errors import DomainError
from ..extensions import db
from .batches.models import Batch, Container
from .ledger.models import LedgerEvent
from .manifests.models import Manifest
from .models import WasteCategory, WasteCode

# column → (event type, whose register counts it): 'owner' is the batch's producer, 'actor' the
# organisation that recorded the event (the one that stored, received or treated the waste)
COLUMNS = {
    "generated": ("generated", "owner"),
    "stored": ("stored", "actor"),
    "retrieved": ("retrieved", "actor"),
    "transferred_out": ("picked_up", "owner"),
    "received": ("received", "actor"),
    "treated": ("treated", "actor"),
}
COLUMN_LABELS = {
    "generated": _l("Generated"),
    "stored": _l("Stored in"),
    "retrieved": _l("Retrieved from storage"),
    "transferred_out": _l("Transferred out"),
    "received": lazy_pgettext("quantity", "Received"),
    "treated": _l("Utilised or treated on site"),
    "stock": _l("Stock at month end"),
}
FIGURES = (*COLUMNS, "stock")


@dataclass
class RegisterRow:
    waste_code: str
    category: str = ""
    description: str = ""
    grams: dict = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))

    def kg(self, name: str) -> Decimal:
        return (Decimal(self.grams[name]) / 1000).quantize(Decimal("0.001"))


@dataclass
class Register:
    organisation: Organisation
    month: date
    rows: list[RegisterRow]

    @property
    def totals(self) -> RegisterRow:
        total = RegisterRow(waste_code="")
        for row in self.rows:
            for name in FIGURES:
                total.grams[name] += row.grams[name]
        return total


# --- months ------------------------------------------------------------------------------------

def parse_month(value: str) -> date:
    """'2024-05' → 2024-05-01; a DomainError naming the field for anything else."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        message = _("Enter a month as YYYY-MM.")
        raise DomainError(message, fields={"month": message}, status=400, code="bad_request") from None
    if not 2000 <= first.year <= 2100:
        message = _("Enter a month as YYYY-MM.")
        raise DomainError(message, fields={"month": message}, status=400, code="bad_request")
    return first


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month in China time, as UTC instants [start, end)."""
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return tuple(datetime(d.year, d.month, 1, tzinfo=CHINA).astimezone(UTC) for d in (month, following))


def this_month() -> date:
    today = china_today()
    return today.replace(day=1)


# --- the register ------------------------------------------------------------------------------

def _events(org_id: int):
    """The organisation's events of the register's types, with the quantity each one moved.

    An event without its own quantity moved its whole container, or the whole batch."""
    quantity = func.coalesce(LedgerEvent.quantity_g, Container.quantity_g, Batch.quantity_g)
    types = [event_type for event_type, _whose in COLUMNS.values()]
    return db.session.execute(
        select(LedgerEvent.batch_id, LedgerEvent.seq, LedgerEvent.event_type, LedgerEvent.occurred_at,
               LedgerEvent.organisation_id, Batch.organisation_id.label("owner_id"), Batch.waste_code,
               Batch.waste_code_id, quantity.label("grams"), LedgerEvent.data)
        .join(Batch, LedgerEvent.batch_id == Batch.id)
        .outerjoin(Container, LedgerEvent.container_id == Container.id)
        .where(LedgerEvent.event_type.in_(types),
               or_(LedgerEvent.organisation_id == org_id, Batch.organisation_id == org_id))
        .order_by(LedgerEvent.batch_id, LedgerEvent.seq)).all()


def _corrections(batch_ids: set[int]) -> dict[tuple[int, int], dict]:
    """(batch id, seq) → the latest corrected values of that event."""
    latest: dict[tuple[int, int], dict] = {}
    ids = sorted(batch_ids)
    for start in range(0, len(ids), 500):
        for batch_id, data in db.session.execute(
                select(LedgerEvent.batch_id, LedgerEvent.data)
                .where(LedgerEvent.event_type == "corrected", LedgerEvent.batch_id.in_(ids[start:start + 500]))
                .order_by(LedgerEvent.batch_id, LedgerEvent.seq)):
            if isinstance(data, dict) and "corrects_seq" in data:
                latest.setdefault((batch_id, data["corrects_seq"]), {}).update(data.get("corrections") or {})
    return latest


def _as_utc(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def monthly_register(org: Organisation, month: date) -> Register:
    """The organisation's register for one month, one row per waste code it handled or still stores."""
    start, end = month_bounds(month)
    events = _events(org.id)
    # refused waste sent on (returned or forwarded) left the generator once: its follow-up's pickup is not
    # another transfer out
    follow_ups = set(db.session.scalars(select(Manifest.id).where(Manifest.generator_org_id == org.id,
                                                                  Manifest.follows_manifest_id.is_not(None))))
    corrections = _corrections({e.batch_id for e in events})
    rows: dict[str, RegisterRow] = {}
    code_ids: dict[str, int] = {}
    for event in events:
        fixed = corrections.get((event.batch_id, event.seq), {})
        grams = int(fixed.get("quantity_g", event.grams) or 0)
        when = _as_utc(fixed.get("occurred_at", event.occurred_at))
        row = rows.setdefault(event.waste_code, RegisterRow(event.waste_code))
        code_ids[event.waste_code] = event.waste_code_id
        if event.event_type in ("stored", "retrieved") and event.organisation_id == org.id and when < end:
            row.grams["stock"] += grams if event.event_type == "stored" else -grams
        if not start <= when < end:
            continue
        if event.event_type == "picked_up" and (event.data or {}).get("manifest_id") in follow_ups:
            continue
        for name, (event_type, whose) in COLUMNS.items():
            counted_for = event.owner_id if whose == "owner" else event.organisation_id
            if event.event_type == event_type and counted_for == org.id:
                row.grams[name] += grams
    kept = [row for row in rows.values() if any(row.grams.values())]
    _describe(kept, code_ids)
    return Register(org, month, sorted(kept, key=lambda r: r.waste_code))


def _describe(rows: list[RegisterRow], code_ids: dict[str, int]) -> None:
    ids = [code_ids[row.waste_code] for row in rows]
    names = {code: (category, description) for code, category, description in db.session.execute(
        select(WasteCode.code, WasteCategory.code, WasteCode.description)
        .join(WasteCategory, WasteCode.category_id == WasteCategory.id).where(WasteCode.id.in_(ids)))}
    for row in rows:
        row.category, row.description = names.get(row.waste_code, ("", ""))


# --- exports -----------------------------------------------------------------------------------

def _header() -> list[str]:
    return [_("Waste code"), _("Category"), _("Description")] + [
        _("%(figure)s (kg)", figure=COLUMN_LABELS[name]) for name in FIGURES]


def _lines(register: Register):
    for row in register.rows:
        yield [row.waste_code, row.category, row.description, *(row.kg(name) for name in FIGURES)]
    yield [_("Total"), "", "", *(register.totals.kg(name) for name in FIGURES)]


def register_csv(register: Register) -> bytes:
    """CSV in UTF-8 with a byte order mark, which Excel needs to read Chinese text correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(_header())
    for line in _lines(register):
        writer.writerow([f"{value:f}" if isinstance(value, Decimal) else value for value in line])
    return buffer.getvalue().encode("utf-8-sig")


def register_xlsx(register: Register) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = register.month.strftime("%Y-%m")
    sheet.append([_("Register of %(organisation)s, %(month)s", organisation=register.organisation.name,
                    month=register.month.strftime("%Y-%m"))])
    sheet.append([_("Unified social credit code"), register.organisation.uscc])
    sheet.append(_header())
    for cell in sheet[1] + sheet[3]:
        cell.font = Font(bold=True)
    for line in _lines(register):
        sheet.append(line)
    for row in sheet.iter_rows(min_row=4, min_col=4):
        for cell in row:
            cell.number_format = "#,##0.000"
    sheet.freeze_panes = "B4"
    for letter, width in zip("ABCDEFGHIJ", (14, 10, 40, *(14,) * 7), strict=True):
        sheet.column_dimensions[letter].width = width
    book.properties.title = sheet["A1"].value
    book.properties.creator = "wufei"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- page --------------------------------------------------------------------------------------

bp = Blueprint("register", __name__)


class RegisterFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    organisation = SelectField(_l("Organisation"), coerce=int, validators=[DataRequired(_l("Choose an organisation."))])
    month = StringField(_l("Month"), validators=[
        DataRequired(_l("Choose a month.")),
        Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("Enter a month as YYYY-MM."))])


def _filter_form() -> RegisterFilterForm:
    form = RegisterFilterForm(formdata=request.args if request.args else None)
    organisations = db.session.scalars(orgs_visible_to(current_user).order_by(Organisation.name)).all()
    form.organisation.choices = [(0, _("Choose an organisation"))] + [(o.id, o.name) for o in organisations]
    if not request.args:
        own = current_org()
        form.organisation.data = own.id if own is not None else 0
        form.month.data = this_month().strftime("%Y-%m")
    return form


def _requested_register(form: RegisterFilterForm) -> Register | None:
    """The register the filter asks for, or None with the reasons on the form's fields."""
    if not form.validate():
        return None
    organisation = require_view_org(current_user, db.session.get(Organisation, form.organisation.data))
    try:
        return monthly_register(organisation, parse_month(form.month.data))
    except DomainError as exc:
        form.month.errors.append(exc.fields.get("month", exc.message))
        return None


@bp.get("/register")
@login_required
def index():
    form = _filter_form()
    register = _requested_register(form) if form.organisation.data else None
    status = 422 if form.errors else 200
    return render_template("regulatory/register/index.html", form=form, register=register, figures=FIGURES,
                           labels=COLUMN_LABELS), status


@bp.get("/register.<any(csv, xlsx):file_format>")
@login_required
def download(file_format: str):
    form = _filter_form()
    register = _requested_register(form)
    if register is None:
        fields = {name: " ".join(str(e) for e in errors) for name, errors in form.errors.items()}
        raise DomainError(_("The register could not be made: check the organisation and the month."),
                          fields=fields, status=400, code="bad_request")
    body = register_csv(register) if file_format == "csv" else register_xlsx(register)
    mimetype = ("text/csv; charset=utf-8" if file_format == "csv"
                else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    filename = f"register-{register.organisation.uscc}-{register.month:%Y-%m}.{file_format}"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
