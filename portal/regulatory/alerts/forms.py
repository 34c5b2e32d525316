"""Forms of the alert inbox."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

STATUS_CHOICES = [("", _l("Any")), ("open", _l("Open")), ("acknowledged", _l("Acknowledged")),
                  ("closed", _l("Closed"))]
SEVERITY_CHOICES = [("", _l("Any")), ("critical", _l("Critical")), ("warning", _l("Warning")),
                    ("info", _l("Information"))]


class AlertFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(_l("Status"), choices=STATUS_CHOICES, validators=[Optional()])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    severity = SelectField(_l("Severity"), choices=SEVERITY_CHOICES, validators=[Optional()])
    district = SelectField(_l("District"), validators=[Optional()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1)])


class CloseAlertForm(FlaskForm):
    note = TextAreaField(_l("How was it resolved?"), validators=[DataRequired(), Length(max=2000)])
