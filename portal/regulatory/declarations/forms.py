"""Forms of the declaration pages."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from ...inputs import quantity_range
from .services import KIND_LABELS, STATUS_LABELS


class NewDeclarationForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=list(KIND_LABELS.items()),
                       validators=[DataRequired(_l("Choose monthly or annual."))])
    period = StringField(_l("Period"), validators=[
        DataRequired(_l("Enter the period.")),
        Regexp(r"^\d{4}(-(0[1-9]|1[0-2]))?$", message=_l("Enter YYYY-MM for a month or YYYY for a year."))])


class FigureEntryForm(Form):
    """One figure of one waste code; the code and figure name travel as hidden fields."""

    waste_code = HiddenField()
    figure = HiddenField()
    declared_kg = DecimalField(_l("Declared (kg)"), places=3, validators=[
        InputRequired(_l("Enter a quantity.")), NumberRange(min=0, message=_l("Enter zero or more.")),
        quantity_range()])
    comment = StringField(_l("Why it differs from the ledger"), validators=[Length(max=500)])


class FiguresForm(FlaskForm):
    figures = FieldList(FormField(FigureEntryForm))
    note = TextAreaField(_l("Remarks"), validators=[Length(max=2000)])


class ReviewForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[("accept", lazy_pgettext("review", "Accept")), ("return", _l("Return"))],
                          validators=[DataRequired(_l("Choose accept or return."))])
    reason = TextAreaField(_l("Reason (shown to the enterprise)"), validators=[Length(max=2000)])


class _GetForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(_l("Status"), choices=[("", _l("Any"))] + list(STATUS_LABELS.items()),
                         validators=[Optional()])
    period = StringField(_l("Period"), validators=[
        Optional(), Regexp(r"^\d{4}(-(0[1-9]|1[0-2]))?$", message=_l("Enter YYYY-MM for a month or YYYY for a year."))])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, message=_l("Enter 1 or more."))])


class ListFilterForm(_GetForm):
    pass


class QueueFilterForm(_GetForm):
    district = SelectField(_l("District"), validators=[Optional()])
    organisation = SelectField(_l("Organisation"), validators=[Optional()])
