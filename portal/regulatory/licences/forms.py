"""Forms of the licence pages. Messages are lazy so that they follow the user's language."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from ...inputs import WASTE_CODE_PICKER, EventDateRange, PlanDateRange
from .models import KIND_LABELS, STATUS_LABELS

SCOPE_HINT = _l("One line per waste code (900-041-49 or 90004149) or category (HW08), followed by its methods "
                "(R1–R15, D1–D18) and, if it has its own limit, a capacity in tonnes, e.g. “HW08 R9 D10” or "
                "“900-041-49 D10 200t”.")


class LicenceForm(FlaskForm):
    organisation_id = SelectField(_l("Holder"), coerce=int, validators=[DataRequired()])
    number = StringField(_l("Licence number"), validators=[DataRequired(), Length(max=60)])
    kind = SelectField(_l("Kind"), choices=lambda: list(KIND_LABELS.items()), validators=[DataRequired()])
    issuing_authority = StringField(_l("Issuing authority"), validators=[DataRequired(), Length(max=200)])
    issued_on = DateField(_l("Issued on"), validators=[DataRequired(), EventDateRange()])
    valid_from = DateField(_l("Valid from"), validators=[DataRequired(), PlanDateRange()])
    valid_until = DateField(_l("Valid until"), validators=[DataRequired(), PlanDateRange()])
    annual_capacity_t = DecimalField(_l("Annual capacity (tonnes)"), places=3, validators=[
        DataRequired(), NumberRange(min=0.001, max=10_000_000, message=_l("Between 0.001 and 10 000 000 tonnes."))])
    scopes = TextAreaField(_l("Permitted waste codes and methods"), validators=[DataRequired(), Length(max=20_000)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])
    submit = SubmitField(_l("Save licence"))


class StatusForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Confirm"))


class LicenceFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=lambda: [("", _l("Any status"))] + list(STATUS_LABELS.items()),
                         validators=[Optional()])
    district = SelectField(_l("District"), validators=[Optional()])
    code = StringField(_l("Waste code or category"), validators=[Optional(), Length(max=20)],
                       render_kw=WASTE_CODE_PICKER)
    expiring = IntegerField(_l("Expiring within (days)"), validators=[
        Optional(), NumberRange(min=0, max=3650, message=_l("Between 0 and 3650 days."))])
    q = StringField(_l("Number or holder"), validators=[Optional(), Length(max=100)])
    capacity = SelectField(_l("Capacity used this year"), choices=lambda: [
        ("", _l("Any")), ("near", _l("90 percent or more of the annual capacity"))], validators=[Optional()])


class CheckForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only question asked with GET

    org = SelectField(_l("Organisation"), coerce=int, validators=[DataRequired()])
    code = StringField(_l("Waste code"), validators=[DataRequired(), Length(max=20)],
                       render_kw=WASTE_CODE_PICKER)
    quantity_kg = DecimalField(_l("Quantity (kg)"), places=3, validators=[
        DataRequired(), NumberRange(min=0.001, max=10_000_000_000, message=_l("Enter a quantity above zero."))])
    date = DateField(_l("Date"), validators=[DataRequired(), PlanDateRange()])
    method = StringField(_l("Method (R/D code, optional)"), validators=[
        Optional(), Regexp(r"^\s*[RrDd]\d{1,2}\s*$", message=_l("Give a code such as R9 or D10."))])
