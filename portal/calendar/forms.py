"""Forms of the calendar administration page. Messages are lazy so that they follow the user's language."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from .models import KIND_LABELS

FIRST_YEAR, LAST_YEAR = 1949, 2100
YEAR_RANGE = NumberRange(min=FIRST_YEAR, max=LAST_YEAR,
                         message=_l("A year between %(min)s and %(max)s."))


class YearFilterForm(FlaskForm):
    """The year and kind shown; in the query string, so that the page can be bookmarked and paged."""

    class Meta:
        csrf = False

    # own ids: the page also shows the add form, whose fields have the same names
    year = IntegerField(_l("Year"), validators=[Optional(), YEAR_RANGE], id="filter-year")
    kind = SelectField(_l("Kind"), choices=lambda: [("", _l("Any"))] + list(KIND_LABELS.items()),
                       validators=[Optional()], id="filter-kind")


class CalendarDayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Enter a date as YYYY-MM-DD."))])
    kind = SelectField(_l("Kind"), choices=lambda: list(KIND_LABELS.items()),
                       validators=[DataRequired(message=_l("Choose a public holiday or a make-up working day."))])
    name = StringField(_l("Holiday"), validators=[DataRequired(message=_l("Name the holiday.")), Length(max=100)])
    submit = SubmitField(_l("Add to the calendar"))


class RemoveDayForm(FlaskForm):
    submit = SubmitField(_l("Remove"))
