"""Forms of the weighing pages. Messages are lazy so that they follow the user's language."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ...inputs import IdRange
from .models import KIND_LABELS


def optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class DeviceForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=lambda: list(KIND_LABELS.items()), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    serial = StringField(_l("Serial number"), validators=[DataRequired(), Length(max=100)])
    site_id = SelectField(_l("Site"), coerce=optional_int, validators=[Optional()])
    submit = SubmitField(_l("Register the device"))


class ConfirmForm(FlaskForm):
    submit = SubmitField(_l("Confirm"))


class DeviceFilterForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), choices=lambda: [("", _l("Any kind"))] + list(KIND_LABELS.items()),
                       validators=[Optional()])
    q = StringField(_l("Name or serial number"), validators=[Optional(), Length(max=100)])


class RecordFilterForm(FlaskForm):
    class Meta:
        csrf = False

    container = StringField(_l("Container code"), validators=[Optional(), Length(max=37)])
    batch = IntegerField(_l("Batch number"), validators=[Optional(), IdRange()])
    device = SelectField(_l("Device"), coerce=optional_int, validators=[Optional()])
