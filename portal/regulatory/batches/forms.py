"""Forms of the sites, batches, storage and stock pages."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...inputs import WASTE_CODE_PICKER, EventDateRange, PlanDateRange, quantity_range
from .models import BATCH_STATUSES

KINDS = [("generation", _l("Generation point")), ("storage", _l("Storage")), ("treatment", _l("Treatment"))]
FORM_CHOICES = [("solid", _l("Solid")), ("semi_solid", _l("Semi-solid")), ("liquid", _l("Liquid")),
                ("gas", _l("Gas"))]
UNIT_CHOICES = [("kg", _l("kg")), ("t", _l("t")), ("g", _l("g"))]
CAPACITY_UNIT_CHOICES = [("t", _l("t")), ("m3", _l("m³"))]
STREAM_CHOICES = [("hazardous", _l("Hazardous waste")), ("industrial", _l("General industrial solid waste")),
                  ("medical", _l("Medical waste")), ("construction", _l("Construction waste")),
                  ("household", _l("Household waste")), ("agricultural", _l("Agricultural waste"))]
STATUS_LABELS = {"open": _l("Open"), "merged": _l("Merged"), "in_transit": _l("In transit"),
                 "received": _l("Received"), "treated": _l("Treated"), "closed": _l("Closed")}
CONTAINER_STATUS_LABELS = {"created": _l("Not stored"), "stored": _l("Stored"), "retrieved": lazy_pgettext("container state", "Out of storage"),
                           "merged": _l("Merged"), "in_transit": _l("In transit"), "received": _l("Received"),
                           "treated": _l("Treated")}
EVENT_LABELS = {"generated": _l("Generated"), "labelled": _l("Labelled"), "stored": _l("Into storage"),
                "retrieved": _l("Out of storage"), "weighed": _l("Weighed"), "split": _l("Packed into container"),
                "merged": _l("Merged"), "picked_up": _l("Picked up"), "handed_over": _l("Handed over"),
                "delivered": _l("Delivered"), "received": _l("Received"), "refused": _l("Refused"),
                "treated": _l("Treated"), "corrected": _l("Corrected"),
                "rerouted": _l("Follow-up manifest for refused waste"), "returned": _l("Returned to the producer")}


class SiteForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=KINDS)
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=300)])
    district_code = SelectField(_l("District"), validators=[DataRequired()])
    lat = DecimalField(_l("Latitude (WGS-84)"), places=6, validators=[Optional(), NumberRange(min=-90, max=90)])
    lon = DecimalField(_l("Longitude (WGS-84)"), places=6, validators=[Optional(), NumberRange(min=-180, max=180)])


class FacilityForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    site_id = SelectField(_l("Site"), coerce=int, validators=[DataRequired()])
    capacity = DecimalField(_l("Declared capacity"), places=6, validators=[DataRequired(), quantity_range(0.000001)])
    capacity_unit = SelectField(_l("Capacity unit"), choices=CAPACITY_UNIT_CHOICES, default="t")
    streams = SelectMultipleField(_l("Waste streams"), choices=STREAM_CHOICES, validators=[DataRequired()])
    hazardous_allowed = BooleanField(_l("Hazardous waste may be stored here"), default=True)


class BatchForm(FlaskForm):
    waste_code = StringField(_l("Waste code"), validators=[DataRequired(), Length(max=12)],
                             render_kw=WASTE_CODE_PICKER)
    quantity = DecimalField(_l("Quantity"), places=6, validators=[DataRequired(), quantity_range()])
    unit = SelectField(_l("Unit"), choices=UNIT_CHOICES)
    form = SelectField(_l("Physical form"), choices=FORM_CHOICES)
    packaging = StringField(_l("Packaging"), validators=[DataRequired(), Length(max=100)])
    main_components = TextAreaField(_l("Main components"), validators=[Optional(), Length(max=1000)])
    harmful_components = TextAreaField(_l("Harmful components"), validators=[Optional(), Length(max=1000)])
    generated_on = DateField(_l("Generation date"), validators=[DataRequired(), EventDateRange()])
    volume = DecimalField(_l("Volume (m³)"), places=3, validators=[Optional(), quantity_range(0.001)])
    site_id = SelectField(_l("Site"), coerce=int, validators=[Optional()])
    containers = IntegerField(_l("Number of containers"), default=1,
                              validators=[DataRequired(), NumberRange(min=1, max=999)])


class BatchFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    waste_code = StringField(_l("Waste code"), validators=[Optional(), Length(max=12)],
                             render_kw=WASTE_CODE_PICKER)
    status = SelectField(_l("Status"), validators=[Optional()],
                         choices=[("", _l("Any"))] + [(s, STATUS_LABELS[s]) for s in BATCH_STATUSES])
    site_id = SelectField(_l("Site"), coerce=lambda v: int(v) if v else None, validators=[Optional()])
    date_from = DateField(_l("Generated from"), validators=[Optional(), PlanDateRange()])
    date_to = DateField(_l("Generated until"), validators=[Optional(), PlanDateRange()])
    district = SelectField(_l("District"), validators=[Optional()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1)])


class StorageMoveForm(FlaskForm):
    container = StringField(_l("Container code (37 characters)"), validators=[DataRequired(), Length(min=37, max=37)])
    facility = SelectField(_l("Storage facility"), coerce=int, validators=[DataRequired()])
    direction = RadioField(_l("Move"), choices=[("in", _l("Into storage (入库)")), ("out", _l("Out of storage (出库)"))],
                           default="in", validators=[DataRequired()])


class StockFilterForm(FlaskForm):
    class Meta:
        csrf = False

    waste_code = StringField(_l("Waste code"), validators=[Optional(), Length(max=12)],
                             render_kw=WASTE_CODE_PICKER)
    district = SelectField(_l("District"), validators=[Optional()])
