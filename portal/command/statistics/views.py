"""The statistics page for regulators (/command/statistics): pick a measure, a grouping, a period and a division;
the table with the change on the year before, its downloads, and the 统计口径 table it follows."""
import io
from datetime import date

from flask import Blueprint, render_template, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import DateField, SelectField
from wtforms.validators import DataRequired, Optional, ValidationError

from ...auth import regulator_required
from ...clock import china_today
from ...errors import DomainError
from ...extensions import db
from ...inputs import PlanDateRange
from ...jurisdiction import area_prefix
from ...regulatory.models import Division
from . import exports
from .aggregate import fresh_figures
from .definitions import BY_NAME
from .services import (
    GROUPS,
    definition,
    definitions,
    division_within,
    names_for,
    scope_division,
    year_on_year,
)

bp = Blueprint("statistics", __name__, url_prefix="/command")


class StatisticsForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    measure = SelectField(_l("Measure"), choices=[(m.name, m.label) for m in BY_NAME.values()],
                          validators=[DataRequired()])
    group_by = SelectField(_l("Group by"), choices=[(g, exports.GROUP_LABELS[g]) for g in GROUPS])
    then_by = SelectField(_l("Then by"), choices=[("", _l("Nothing else"))] + [
        (g, exports.GROUP_LABELS[g]) for g in GROUPS], validators=[Optional()])
    start = DateField(_l("From"), validators=[DataRequired(), PlanDateRange()])
    end = DateField(_l("To"), validators=[DataRequired(), PlanDateRange()])
    division = SelectField(_l("Division"))

    def validate_then_by(self, field):
        if field.data and field.data == self.group_by.data:
            raise ValidationError(_("Choose another grouping, or nothing else."))

    def validate_end(self, field):
        if self.start.data and field.data and field.data < self.start.data:
            raise ValidationError(_("The period ends before it starts."))

    @property
    def groups(self) -> list[str]:
        return [self.group_by.data] + ([self.then_by.data] if self.then_by.data else [])


def _divisions(scope: str) -> list[tuple[str, str]]:
    """The scope itself, then the divisions right below it (a city's districts, a county's townships)."""
    rows = db.session.execute(select(Division.code, Division.name).where(
        (Division.code == scope) | ((Division.parent_code == scope) & Division.code.startswith(area_prefix(scope))))
        .order_by(Division.code)).all()
    return sorted(rows, key=lambda row: (row.code != scope, row.code))


def _form(scope: str) -> StatisticsForm:
    today = china_today()
    defaults = {"measure": "generated", "group_by": "stream", "then_by": "", "division": scope,
                "start": date(today.year, 1, 1).isoformat(), "end": today.isoformat()}
    form = StatisticsForm(formdata=_with_defaults(defaults))
    form.division.choices = [(code, name) for code, name in _divisions(scope)]
    return form


def _with_defaults(defaults: dict) -> MultiDict:
    """The request's choices over the defaults (this year, by stream, the whole scope)."""
    values = MultiDict(defaults)
    for key, value in request.args.items():
        if value.strip():
            values[key] = value
    return values


def _table(form: StatisticsForm, scope: str) -> dict | None:
    """The rows the form asks for with the year before, and the cells to show; None (errors on the form) when
    it asks for nothing valid."""
    if not form.validate():
        return None
    division = division_within(scope, form.division.data)
    rows = year_on_year(form.measure.data, form.groups, start=form.start.data, end=form.end.data,
                        division=division)
    names = names_for(rows)
    return {"rows": rows, "head": exports.header(form.groups, True),
            "lines": exports.lines(rows, form.groups, names, True), "division": division,
            "total": sum((row["tonnes"] for row in rows), start=0)}


@bp.get("/statistics")
@regulator_required
@fresh_figures
def index():
    scope = scope_division(current_user)
    form = _form(scope)
    table = _table(form, scope)
    return render_template("command/statistics.html", form=form, table=table,
                           meaning=definition(form.measure.data) if form.measure.data in BY_NAME else None,
                           definitions=definitions()), 422 if form.errors else 200


@bp.get("/statistics.<any(csv, xlsx):file_format>")
@regulator_required
@fresh_figures
def download(file_format: str):
    scope = scope_division(current_user)
    form = _form(scope)
    table = _table(form, scope)
    if table is None:
        fields = {name: " ".join(str(e) for e in errors) for name, errors in form.errors.items()}
        raise DomainError(_("Check the choices of the statistics table."), fields=fields)
    name = f"statistics-{form.measure.data}-{table['division']}-{form.start.data}-{form.end.data}.{file_format}"
    if file_format == "csv":
        return send_file(io.BytesIO(exports.as_csv(table["head"], table["lines"])), as_attachment=True,
                         mimetype="text/csv", download_name=name)
    meaning = definition(form.measure.data)
    title = _("%(measure)s, %(division)s, %(period)s (t)", measure=meaning["label"], division=table["division"],
              period=f"{form.start.data}–{form.end.data}")
    notes = [_("Definition, version %(version)s:", version=meaning["version"]), meaning["events"], meaning["date"],
             meaning["quantity"], meaning["booked_to"]]
    return send_file(io.BytesIO(exports.as_xlsx(title, table["head"], table["lines"], notes)), as_attachment=True,
                     download_name=name,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
