"""Forms of the transfer approval and arrival pages. Messages are lazy so that they follow the user's language."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ...accounts.forms import DivisionCodeField
from ...inputs import EventDateRange, PlanDateRange

LINES_HINT = _l("One line per waste code with its quantity in t or kg, e.g. “900-041-49 50t” or "
                "“772-002-18 1200kg”.")


class ApprovalForm(FlaskForm):
    generator_id = SelectField(_l("Generator (移出人)"), coerce=int, validators=[DataRequired()])
    receiver_id = SelectField(_l("Receiver (接受人) in another province"), coerce=int, validators=[DataRequired()])
    number = StringField(_l("Approval number"), validators=[DataRequired(), Length(max=60)])
    approving_authority = StringField(_l("Approving authority"), validators=[DataRequired(), Length(max=200)])
    valid_from = DateField(_l("Valid from"), validators=[DataRequired(), PlanDateRange()])
    valid_until = DateField(_l("Valid until"), validators=[DataRequired(), PlanDateRange()])
    lines = TextAreaField(_l("Approved waste codes and quantities"), validators=[DataRequired(), Length(max=5000)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])
    submit = SubmitField(_l("Record the approval"))


class IncomingForm(FlaskForm):
    external_number = StringField(_l("External manifest number"), validators=[DataRequired(), Length(max=40)])
    issuing_system = StringField(_l("Issuing system"), validators=[DataRequired(), Length(max=100)])
    origin_district_code = DivisionCodeField(_l("County-level division of origin"), validators=[DataRequired()])
    generator_name = StringField(_l("Generator (移出人)"), validators=[DataRequired(), Length(max=200)])
    generator_uscc = StringField(_l("Generator's unified social credit code"), validators=[
        Optional(), Length(max=18)])
    received_on = DateField(_l("Received on"), validators=[DataRequired(), EventDateRange()])
    lines = TextAreaField(_l("Waste codes and quantities received"), validators=[DataRequired(), Length(max=5000)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])
    submit = SubmitField(_l("Record the arrival"))


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("External number, generator or credit code"), validators=[Optional(), Length(max=100)])
