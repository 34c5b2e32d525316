"""Forms of the management plan pages: quantities are typed in tonnes and stored in grams."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...inputs import WASTE_CODE_PICKER, quantity_range
from .services import STATUS_LABELS

BLANK_LINES = 3  # empty rows offered below the plan's lines, for new waste codes


class PlanLineForm(Form):
    """One waste code of the plan; a row with no code is ignored."""

    waste_code = StringField(_l("Waste code"), validators=[Optional(), Length(max=12)],
                             render_kw=WASTE_CODE_PICKER)
    expected_t = DecimalField(_l("Expected (t)"), places=3, validators=[
        Optional(), NumberRange(min=0, message=_l("Enter zero or more.")), quantity_range()])
    facility = SelectField(_l("Storage facility"), validators=[Optional()])
    max_stored_t = DecimalField(_l("Expected maximum stored (t)"), places=3, validators=[
        Optional(), NumberRange(min=0, message=_l("Enter zero or more.")), quantity_range()])
    own_t = DecimalField(_l("Utilised or disposed of on site (t)"), places=3, validators=[
        Optional(), NumberRange(min=0, message=_l("Enter zero or more.")), quantity_range()])
    own_method = StringField(_l("On-site method"), validators=[Optional(), Length(max=3)])
    receivers = SelectMultipleField(_l("Intended receivers"), coerce=int, validators=[Optional()])


class PlanForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[DataRequired(_l("Enter the year of the plan.")),
                                                NumberRange(min=2000, max=2100, message=_l("Enter the year as YYYY."))])
    measures = TextAreaField(_l("Reduction, storage and on-site handling measures"), validators=[Length(max=4000)])
    lines = FieldList(FormField(PlanLineForm))


class ReviewForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[("accept", lazy_pgettext("review", "Accept")), ("return", _l("Return"))],
                          validators=[DataRequired(_l("Choose accept or return."))])
    reason = TextAreaField(_l("Reason (shown to the enterprise)"), validators=[Length(max=2000)])


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(min=2000, max=2100,
                                                                        message=_l("Enter the year as YYYY."))])
    status = SelectField(_l("Status"), choices=[("", _l("Any"))] + list(STATUS_LABELS.items()),
                         validators=[Optional()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, message=_l("Enter 1 or more."))])


class QueueFilterForm(FilterForm):
    district = SelectField(_l("District"), validators=[Optional()])
    organisation = SelectField(_l("Organisation"), validators=[Optional()])
