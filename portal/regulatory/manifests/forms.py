"""Forms of the manifest pages. Quantities are typed in kilograms and converted to grams by the services."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from ...inputs import WASTE_CODE_PICKER, EventDateRange, PlanDateRange, quantity_range
from .models import STATES
from .states import STATE_LABELS

KG = _l("kg")


class CheckboxList(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[("", _l("All"))] + [(s, STATE_LABELS[s]) for s in STATES],
                         validators=[Optional()])
    waste_code = StringField(_l("Waste code"), validators=[Optional(), Length(max=12)],
                             render_kw=WASTE_CODE_PICKER)
    district = SelectField(_l("District"), validators=[Optional()])
    date_from = DateField(_l("Pickup from"), validators=[Optional(), PlanDateRange()])
    date_to = DateField(_l("Pickup until"), validators=[Optional(), PlanDateRange()])
    party = StringField(_l("Party (name or credit code)"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("My role"), choices=[("", _l("All")), ("generator", _l("Outgoing (generator)")),
                                               ("carrier", _l("Transport tasks")),
                                               ("receiver", _l("Incoming (receiver)"))], validators=[Optional()])
    crossing = SelectField(_l("Across the city's boundary"), choices=[
        ("", _l("All")), ("outgoing", _l("Leaving the city")), ("incoming", _l("Entering the city")),
        ("any", _l("Leaving or entering"))], validators=[Optional()])
    # a carrier's transport tasks: the open ones unless asked (the finished ones would bury today's on a phone)
    progress = SelectField(_l("Tasks"), choices=[("open", _l("Open tasks")), ("finished", _l("Finished tasks")),
                                                 ("all", _l("All tasks"))], validators=[Optional()])
    page = IntegerField(validators=[Optional(), NumberRange(min=1)])


class CarrierForm(Form):
    organisation_id = SelectField(_l("Carrier"), coerce=int, validators=[Optional()])
    # the carrier's records; a leg named by text only is linked to the record with that plate or phone
    vehicle_id = SelectField(_l("Vehicle on record"), coerce=int, validators=[Optional()])
    driver_id = SelectField(_l("Driver on record"), coerce=int, validators=[Optional()])
    escort_id = SelectField(_l("Escort on record"), coerce=int, validators=[Optional()])
    vehicle_plate = StringField(_l("Vehicle plate"), validators=[Optional(), Length(max=20)])
    driver_name = StringField(_l("Driver"), validators=[Optional(), Length(max=100)])
    driver_phone = StringField(_l("Driver's phone"), validators=[Optional(), Length(max=30)])
    escort_name = StringField(_l("Escort"), validators=[Optional(), Length(max=100)])


class ManifestForm(FlaskForm):
    receiver_id = SelectField(_l("Receiver (接受人)"), coerce=int, validators=[DataRequired()])
    batches = CheckboxList(_l("Whole batches"), coerce=int, validators=[Optional()])
    containers = CheckboxList(_l("Single containers"), validators=[Optional()])
    planned_method = StringField(_l("Planned treatment method (R/D code)"), validators=[
        Optional(), Regexp(r"^\s*[RrDd]\d{1,2}\s*$", message=_l("Give a code such as R9 or D10."))])
    dangerous_goods_class = StringField(_l("Dangerous goods class (GB 6944, e.g. 6.1 or 9)"), validators=[
        Optional(), Regexp(r"^\s*[1-9](\.[1-6])?\s*$", message=_l("Give a class such as 9 or a division such "
                                                                   "as 6.1."))])
    carriers = FieldList(FormField(CarrierForm), min_entries=2, max_entries=2)
    planned_pickup_on = DateField(_l("Planned pickup"), validators=[DataRequired(), PlanDateRange()])
    planned_delivery_on = DateField(_l("Planned delivery"), validators=[DataRequired(), PlanDateRange()])
    origin = StringField(_l("Origin"), validators=[Optional(), Length(max=300)])
    via_points = TextAreaField(_l("Via points"), validators=[Optional(), Length(max=2000)])
    destination = StringField(_l("Destination"), validators=[Optional(), Length(max=300)])
    emergency_measures = TextAreaField(_l("Emergency measures"), validators=[Optional(), Length(max=4000)])


class ScanForm(FlaskForm):
    scanned = TextAreaField(_l("Container codes"), validators=[DataRequired(), Length(max=40000)])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=300)])


class ReceiveLineForm(Form):
    line_id = HiddenField()
    received = DecimalField(_l("Received (kg)"), places=3, validators=[InputRequired(), quantity_range()])
    refused = DecimalField(_l("Refused (kg)"), places=3, validators=[Optional(), quantity_range()])
    reason = StringField(_l("Reason for refusing"), validators=[Optional(), Length(max=500)])


class ReceiveForm(FlaskForm):
    outcome = SelectField(_l("Outcome"), choices=[("", _l("From the quantities")), ("accepted", _l("Accepted")),
                                                  ("partly", _l("Partly accepted")), ("refused", _l("Refused"))],
                          validators=[Optional()])
    lines = FieldList(FormField(ReceiveLineForm))
    reason = TextAreaField(_l("Reason for refusing"), validators=[Optional(), Length(max=2000)])
    scanned = TextAreaField(_l("Container codes scanned on arrival"), validators=[Optional(), Length(max=40000)])
    # the gate weight: a weighing the weighbridge sent, or typed from the weighing ticket
    gate_weighing_id = SelectField(_l("Weighbridge weighing"), validators=[Optional()])
    gate_net = DecimalField(_l("Net weight at the gate (kg)"), places=3, validators=[Optional(), quantity_range()])
    gate_ticket_no = StringField(_l("Weighing ticket number"), validators=[Optional(), Length(max=60)])


class TreatForm(FlaskForm):
    method = StringField(_l("Method (R/D code)"), validators=[
        DataRequired(), Regexp(r"^\s*[RrDd]\d{1,2}\s*$", message=_l("Give a code such as R9 or D10."))])
    treated_on = DateField(_l("Treatment date"), validators=[DataRequired(), EventDateRange()])
    quantity = DecimalField(_l("Quantity treated (kg)"), places=3, validators=[InputRequired(), quantity_range()])


class ReviseForm(FlaskForm):
    field = SelectField(_l("Field"), validators=[DataRequired()])
    value = StringField(_l("New value"), validators=[Optional(), Length(max=2000)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class FollowUpForm(FlaskForm):
    """The return or forwarding of everything refused that is not yet on a follow-up manifest."""
    kind = SelectField(_l("What happens to the refused waste"), validators=[DataRequired()],
                       choices=[("return", _l("Return to the generator")),
                                ("forward", _l("Forwarding to another receiver"))])
    receiver_id = SelectField(_l("New receiver (forwarding only)"), coerce=int, validators=[Optional()])
    planned_method = StringField(_l("Planned treatment method (R/D code)"), validators=[
        Optional(), Regexp(r"^\s*[RrDd]\d{1,2}\s*$", message=_l("Give a code such as R9 or D10."))])
    carrier = FormField(CarrierForm)
    planned_pickup_on = DateField(_l("Planned pickup"), validators=[DataRequired(), PlanDateRange()])
    planned_delivery_on = DateField(_l("Planned delivery"), validators=[DataRequired(), PlanDateRange()])
    emergency_measures = TextAreaField(_l("Emergency measures"), validators=[DataRequired(), Length(max=4000)])
