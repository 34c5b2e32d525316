"""Forms of the emergency pages; the plan form's section fields are added per template at run time."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..inputs import WASTE_CODE_PICKER
from .models import E_CLASSES
from .services import (
    EVENT_TYPE_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    PLACE_LABELS,
    RESOURCE_LABELS,
    RISK_LABELS,
    STATUS_LABELS,
)

WASTE_ROWS = 3  # waste lines offered on the incident form


class PlanFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    kind = SelectField(_l("Kind"), choices=[("", _l("Any"))] + list(KIND_LABELS.items()), validators=[Optional()])
    status = SelectField(_l("Status"), choices=[("", _l("Any"))] + list(STATUS_LABELS.items()),
                         validators=[Optional()])
    district = SelectField(_l("District"), validators=[Optional()])
    organisation = StringField(_l("Enterprise"), validators=[Optional(), Length(max=100)])
    waste_code = StringField(_l("Waste code"), validators=[Optional(), Length(max=12)], render_kw=WASTE_CODE_PICKER)
    event_type = SelectField(_l("Event type"), choices=[("", _l("Any"))] + list(EVENT_TYPE_LABELS.items()),
                             validators=[Optional()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, message=_l("Enter 1 or more."))])


class PlanForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter the plan's title.")), Length(max=200)])
    district_code = SelectField(_l("District"), validators=[Optional()])
    waste_codes = StringField(_l("Waste codes the plan covers"), validators=[Optional(), Length(max=500)])
    event_types = SelectMultipleField(_l("Event types the plan covers"), choices=list(EVENT_TYPE_LABELS.items()),
                                      validators=[Optional()])
    response_levels = SelectMultipleField(_l("Response levels"), choices=list(LEVEL_LABELS.items()),
                                          validators=[Optional()])
    risk_q = DecimalField(_l("Q (ratio of risk substances to their critical quantities)"), places=4,
                          validators=[Optional()])
    risk_m = IntegerField(_l("M (process and risk-control score)"), validators=[Optional()])
    risk_e = SelectField(_l("E (sensitivity of the receptors)"), choices=[("", "—")] + [(e, e) for e in E_CLASSES],
                         validators=[Optional()])
    risk_level = SelectField(_l("Risk level concluded by the risk assessment"),
                             choices=[("", "—")] + list(RISK_LABELS.items()), validators=[Optional()])
    reviewed_on = DateField(_l("Expert review on"), validators=[Optional()])
    signed_on = DateField(_l("Signed and issued on"), validators=[Optional()])
    valid_until = DateField(_l("Valid until"), validators=[Optional()])


class PlanActionForm(FlaskForm):
    action = StringField(validators=[DataRequired()])
    filing_number = StringField(_l("Filing number"), validators=[Optional(), Length(max=60)])
    reason = TextAreaField(_l("Reason (shown to the author)"), validators=[Optional(), Length(max=2000)])


class TemplateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the template's name.")), Length(max=200)])
    sections = TextAreaField(_l("Sections, one title per line"),
                             validators=[DataRequired(_l("List at least one section.")), Length(max=10000)])


class IncidentForm(FlaskForm):
    title = StringField(_l("Short title"), validators=[DataRequired(_l("Enter a short title.")), Length(max=200)])
    event_type = SelectField(_l("Event type"), choices=list(EVENT_TYPE_LABELS.items()),
                             validators=[DataRequired(_l("Choose from the list."))])
    occurred_at = DateTimeLocalField(_l("When it happened"), format="%Y-%m-%dT%H:%M",
                                     validators=[DataRequired(_l("Enter when it happened."))])
    lat = DecimalField(_l("Latitude (WGS-84)"), places=6, validators=[
        DataRequired(_l("Choose the place on the map or enter its coordinates.")), NumberRange(min=-90, max=90)])
    lon = DecimalField(_l("Longitude (WGS-84)"), places=6, validators=[
        DataRequired(_l("Choose the place on the map or enter its coordinates.")), NumberRange(min=-180, max=180)])
    address = StringField(_l("Address or landmark"), validators=[Optional(), Length(max=300)])
    organisation = SelectField(_l("Enterprise involved"), validators=[Optional()])
    reporter = StringField(_l("Reported by"), validators=[DataRequired(_l("Enter who reported it.")), Length(max=200)])
    description = TextAreaField(_l("What is known"), validators=[Optional(), Length(max=4000)])
    radius_km = DecimalField(_l("Radius for sensitive places (km)"), places=1, default=5,
                             validators=[DataRequired(_l("Enter a radius from 0.1 to 50 km.")),
                                         NumberRange(min=0.1, max=50, message=_l("Enter a radius from 0.1 to 50 km."))])
    deaths = IntegerField(_l("Deaths"), validators=[Optional(), NumberRange(min=0, message=_l("Enter zero or more."))])
    poisoned = IntegerField(_l("Poisoned or seriously injured"),
                            validators=[Optional(), NumberRange(min=0, message=_l("Enter zero or more."))])
    evacuated = IntegerField(_l("People evacuated"),
                             validators=[Optional(), NumberRange(min=0, message=_l("Enter zero or more."))])
    loss_yuan = IntegerField(_l("Direct economic loss (yuan)"),
                             validators=[Optional(), NumberRange(min=0, message=_l("Enter zero or more."))])


class SchemeForm(FlaskForm):
    response_level = SelectField(_l("Response level"), choices=[("", _l("Not decided"))] + list(LEVEL_LABELS.items()),
                                 validators=[Optional()])
    instructions = TextAreaField(_l("Instructions: first actions, command, reporting, public information, end"),
                                 validators=[DataRequired(_l("Write the instructions of the scheme.")),
                                             Length(max=20000)])
    departments = SelectMultipleField(_l("Departments to act"), validators=[Optional()])
    organisations = SelectMultipleField(_l("Enterprises to tell"), coerce=int, validators=[Optional()])


class NoteForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[DataRequired(_l("Write the note.")), Length(max=4000)])


class CloseForm(FlaskForm):
    closing_summary = TextAreaField(_l("Closing summary"), validators=[
        DataRequired(_l("Write the closing summary.")), Length(max=20000)])


class PointForm(FlaskForm):
    kind = SelectField(_l("Kind"), validators=[DataRequired(_l("Choose from the list."))])
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the name.")), Length(max=200)])
    lat = DecimalField(_l("Latitude (WGS-84)"), places=6, validators=[DataRequired(_l("Enter the latitude."))])
    lon = DecimalField(_l("Longitude (WGS-84)"), places=6, validators=[DataRequired(_l("Enter the longitude."))])
    details = TextAreaField(_l("Details (stock, members, equipment)"), validators=[Optional(), Length(max=4000)])
    contact = StringField(_l("Contact"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])


def resource_form(**kwargs) -> PointForm:
    form = PointForm(**kwargs)
    form.kind.choices = list(RESOURCE_LABELS.items())
    return form


def place_form(**kwargs) -> PointForm:
    form = PointForm(**kwargs)
    form.kind.choices = list(PLACE_LABELS.items())
    return form


class GuidanceForm(FlaskForm):
    hazard = SelectField(_l("Hazard characteristic"), validators=[Optional()])
    waste_code = StringField(_l("or waste code"), validators=[Optional(), Length(max=12)],
                             render_kw=WASTE_CODE_PICKER)
    title = StringField(_l("Title"), validators=[DataRequired(_l("Enter the title and the guidance.")),
                                                 Length(max=200)])
    guidance = TextAreaField(_l("Handling guidance"), validators=[
        DataRequired(_l("Enter the title and the guidance.")), Length(max=8000)])



class RulesForm(FlaskForm):
    risk_rules = TextAreaField(_l("HJ 941-2018 matrix: E, Q from, Q to, M from, M to, level (one row per line)"),
                               validators=[Length(max=20000)])
    event_rules = TextAreaField(_l("Event levels: level, criterion, minimum, source (one per line)"),
                                validators=[Length(max=20000)])
