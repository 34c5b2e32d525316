"""Forms of the fleet pages: the road transport licence, a vehicle, a driver or escort, and the filters."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...inputs import PlanDateRange
from .models import VEHICLE_TYPE_LABELS, WORKER_KIND_LABELS

KINDS = {"vehicles": _l("Vehicles"), "workers": _l("Drivers and escorts"), "licences": _l("Road transport licences")}


class FleetFilterForm(FlaskForm):
    class Meta:
        csrf = False

    show = SelectField(_l("Show"), choices=lambda: list(KINDS.items()), default="vehicles", validators=[Optional()])
    org = SelectField(_l("Carrier"), coerce=int, validators=[Optional()])
    expiring = IntegerField(_l("Document ends within (days)"), validators=[
        Optional(), NumberRange(min=0, max=3650, message=_l("Between 0 and 3650 days."))])
    q = StringField(_l("Plate, name or number"), validators=[Optional(), Length(max=100)])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=10_000)])


class TransportLicenceForm(FlaskForm):
    number = StringField(_l("Licence number (道路运输经营许可证)"), validators=[DataRequired(), Length(max=60)])
    issuing_authority = StringField(_l("Issuing authority"), validators=[DataRequired(), Length(max=200)])
    valid_from = DateField(_l("Valid from"), validators=[DataRequired(), PlanDateRange()])
    valid_until = DateField(_l("Valid until"), validators=[DataRequired(), PlanDateRange()])
    dangerous_goods = StringField(_l("Dangerous goods classes and divisions"), validators=[Optional(), Length(max=200)])
    general_freight = BooleanField(_l("General freight (普通货运)"))
    submit = SubmitField(_l("Save licence"))


class VehicleForm(FlaskForm):
    plate = StringField(_l("Plate"), validators=[DataRequired(), Length(max=20)])
    vehicle_type = SelectField(_l("Vehicle type"), choices=lambda: list(VEHICLE_TYPE_LABELS.items()),
                               validators=[DataRequired()])
    rated_load_t = StringField(_l("Rated load (t)"), validators=[DataRequired(), Length(max=12)])
    permit_number = StringField(_l("Road transport permit (道路运输证) number"),
                                validators=[DataRequired(), Length(max=40)])
    permit_valid_until = DateField(_l("Permit valid until"), validators=[DataRequired(), PlanDateRange()])
    gps_device_id = StringField(_l("GPS terminal (JT/T 808 phone number or Traccar id)"),
                                validators=[Optional(), Length(max=40)])
    active = BooleanField(_l("In service"), default=True)
    submit = SubmitField(_l("Save vehicle"))


class WorkerForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=lambda: list(WORKER_KIND_LABELS.items()), validators=[DataRequired()])
    name = StringField(lazy_pgettext("person", "Name"), validators=[DataRequired(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[DataRequired(), Length(max=30)])
    id_number = StringField(_l("ID card number"), validators=[DataRequired(), Length(max=18)])
    certificate_number = StringField(_l("Qualification certificate (从业资格证) number"),
                                     validators=[DataRequired(), Length(max=40)])
    certificate_valid_until = DateField(_l("Certificate valid until"), validators=[DataRequired(), PlanDateRange()])
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))
