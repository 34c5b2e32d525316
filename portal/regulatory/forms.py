"""Forms of the regulatory core's pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .catalogue import HAZARDS


class CatalogueSearchForm(FlaskForm):
    """The catalogue's GET filters; choices for edition and category are set by the view."""

    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(_l("Code or words"), validators=[Optional(), Length(max=100)])
    edition = SelectField(_l("Catalogue"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()])
    hazard = SelectField(_l("Hazard characteristic"), validators=[Optional()], choices=lambda: [
        ("", _l("Any"))] + [(letter, f"{letter} · {name}") for letter, (_attr, name) in HAZARDS.items()])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1)])


class CatalogueImportForm(FlaskForm):
    """An edition to load: the CSV is uploaded to preview it, then sent back as text to confirm."""

    slug = StringField(_l("Slug"), validators=[DataRequired(_l("Enter a slug such as hw-2025.")), Length(max=40)])
    name = StringField(_l("Title as published"), validators=[DataRequired(_l("Enter the title.")), Length(max=200)])
    in_force_from = DateField(_l("In force from"), validators=[DataRequired(_l("Enter the date it comes into force."))])
    general = BooleanField(_l("General industrial solid waste (not hazardous)"))
    source = StringField(_l("Source (order number, file)"), validators=[Optional(), Length(max=500)])
    content = HiddenField()
