"""Forms of the regulatory core's pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional

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
