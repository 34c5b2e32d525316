"""Forms of the marketplace pages. Validation of business rules stays in services; these check shape."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.inputs import WASTE_CODE_PICKER, PlanDateRange, quantity_range, yuan_range
from portal.units import parse_price_per_t

FORM_CHOICES = [("solid", _l("Solid")), ("semi_solid", _l("Semi-solid")), ("liquid", _l("Liquid")),
                ("sludge", _l("Sludge")), ("powder", _l("Powder")), ("gas", _l("Gas"))]
STREAM_CHOICES = [("", _l("From the waste code")), ("industrial", _l("General industrial solid waste")),
                  ("hazardous", _l("Hazardous waste")), ("medical", _l("Medical waste")),
                  ("construction", _l("Construction waste")), ("household", _l("Household waste")),
                  ("agricultural", _l("Agricultural waste"))]
STREAM_LABELS = dict(STREAM_CHOICES[1:])
FORM_LABELS = dict(FORM_CHOICES)
UNIT_CHOICES = [("t", _l("t")), ("kg", _l("kg"))]
SUPPLY_CHOICES = [("one_off", _l("One-off")), ("continuous", _l("Continuous"))]
STATUS_LABELS = {"draft": _l("Draft"), "published": _l("Published"), "paused": _l("Paused"),
                 "sold_out": _l("Sold out"), "expired": _l("Expired"), "withdrawn": _l("Withdrawn"),
                 "closed": _l("Closed")}
ACTION_LABELS = {"publish": _l("Publish"), "pause": _l("Pause"), "withdraw": _l("Withdraw"), "close": _l("Close")}


class ListingForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    waste_code = StringField(_l("Waste code"), validators=[Optional(), Length(max=12)],
                             render_kw=WASTE_CODE_PICKER)
    stream = SelectField(_l("Waste stream"), choices=STREAM_CHOICES, validators=[Optional()])
    form = SelectField(_l("Physical form"), choices=FORM_CHOICES)
    quantity = DecimalField(_l("Quantity available"), places=3, validators=[DataRequired(), quantity_range()])
    unit = SelectField(_l("Unit"), choices=UNIT_CHOICES)
    supply = SelectField(_l("Supply"), choices=SUPPLY_CHOICES)
    monthly = DecimalField(_l("Amount per month"), places=3, validators=[Optional(), quantity_range()])
    duration_months = IntegerField(_l("Duration (months)"), validators=[Optional(), NumberRange(min=1, max=120)])
    price = DecimalField(_l("Price (元 per t; negative = you pay a gate fee; empty = negotiable)"), places=2,
                         validators=[Optional(), yuan_range()])
    currency = SelectField(_l("Currency"), choices=[("CNY", "CNY")])
    site_id = SelectField(_l("Site"), validators=[Optional()])
    district = SelectField(_l("District"), validators=[DataRequired()])
    lat = DecimalField(_l("Latitude (WGS-84)"), places=6, validators=[Optional(), NumberRange(min=-90, max=90)])
    lon = DecimalField(_l("Longitude (WGS-84)"), places=6, validators=[Optional(), NumberRange(min=-180, max=180)])
    valid_from = DateField(_l("Valid from"), validators=[Optional(), PlanDateRange()])
    valid_until = DateField(_l("Valid until"), validators=[Optional(), PlanDateRange()])
    quality = TextAreaField(_l("Quality data (one “name: value” per line)"), validators=[Optional(), Length(max=4000)])
    photos = MultipleFileField(_l("Photos (JPEG, PNG or WebP)"))
    lab_report = FileField(_l("Lab report (PDF or image)"))

    def to_input(self) -> dict:
        quality = {}
        for line in (self.quality.data or "").splitlines():
            name, sep, value = line.partition(":")
            if sep and name.strip():
                quality[name.strip()] = value.strip()
        return {"title": self.title.data, "description": self.description.data, "waste_code": self.waste_code.data,
                "stream": self.stream.data, "form": self.form.data, "quantity": self.quantity.data,
                "unit": self.unit.data, "supply": self.supply.data, "monthly": self.monthly.data,
                "duration_months": self.duration_months.data, "price_unit": "t",
                "price": parse_price_per_t(self.price.data),
                "currency": self.currency.data if self.price.data is not None else None,
                "site_id": self.site_id.data or None, "district": self.district.data, "lat": self.lat.data,
                "lon": self.lon.data, "valid_from": self.valid_from.data, "valid_until": self.valid_until.data,
                "quality": quality}


class DemandForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    waste_codes = StringField(_l("Waste codes (comma-separated)"), validators=[Optional(), Length(max=500)],
                              render_kw={"data-waste-code-picker": "multiple"})
    categories = StringField(_l("Categories, e.g. HW08, SW02 (comma-separated)"), validators=[Optional(), Length(max=200)])
    quantity = DecimalField(_l("Quantity wanted (t)"), places=3, validators=[Optional(), quantity_range()])
    price_min = DecimalField(_l("Lowest price (元 per t)"), places=2, validators=[Optional(), yuan_range()])
    price_max = DecimalField(_l("Highest price (元 per t)"), places=2, validators=[Optional(), yuan_range()])
    district = SelectField(_l("District"), validators=[Optional()])
    radius_km = IntegerField(_l("Collection radius (km)"), validators=[Optional(), NumberRange(min=1, max=2000)])
    valid_until = DateField(_l("Valid until"), validators=[Optional(), PlanDateRange()])

    def to_input(self) -> dict:
        priced = self.price_min.data is not None or self.price_max.data is not None
        return {"title": self.title.data, "description": self.description.data,
                "waste_codes": self.waste_codes.data, "categories": self.categories.data, "unit": "t",
                "quantity": self.quantity.data, "price_min": parse_price_per_t(self.price_min.data, "price_min"),
                "price_max": parse_price_per_t(self.price_max.data, "price_max"),
                "currency": "CNY" if priced else None, "district": self.district.data or None,
                "radius_km": self.radius_km.data, "valid_until": self.valid_until.data}


class SaveSearchForm(FlaskForm):
    name = StringField(_l("Name of this search"), validators=[Optional(), Length(max=100)])
