"""Forms of the cases: filters, opening by hand, the steps, the duty matrix, time limits, the 12345 import."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..admin.forms import DEPARTMENT_LABELS
from .models import CASE_TYPE_LABELS, STATUS_LABELS, URGENCY_LABELS

ANY = [("", _l("Any"))]
DEPARTMENT_CHOICES = [(d.value, label) for d, label in DEPARTMENT_LABELS.items()]
TYPE_CHOICES = [(t.value, label) for t, label in CASE_TYPE_LABELS.items()]
URGENCY_CHOICES = [(u.value, label) for u, label in URGENCY_LABELS.items()]
STAGE_LABELS = {"handle": _l("Handling (until the result is reported)"),
                "return": _l("Returning a case to dispatch"),
                "remind": _l("Reminder before the limit")}
UNIT_LABELS = {"working_days": _l("working days"), "hours": _l("hours")}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CaseFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    status = SelectField(_l("Status"), choices=ANY + [(s.value, label) for s, label in STATUS_LABELS.items()],
                         validators=[Optional()])
    case_type = SelectField(_l("Case type"), choices=ANY + TYPE_CHOICES, validators=[Optional()])
    department = SelectField(_l("Lead department"), choices=ANY + DEPARTMENT_CHOICES, validators=[Optional()])
    district = SelectField(_l("District"), validators=[Optional()])
    open = BooleanField(_l("Only open"))
    overdue = BooleanField(_l("Only overdue"))
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=10_000)])


class NewCaseForm(FlaskForm):
    case_type = SelectField(_l("Case type"), choices=TYPE_CHOICES, validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[DataRequired(), Length(max=5000)])
    district = SelectField(_l("District"), validators=[DataRequired()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    urgency = RadioField(_l("Urgency"), choices=URGENCY_CHOICES, default="ordinary", validators=[DataRequired()])
    contact_phone = StringField(_l("Contact telephone"), validators=[Optional(), Length(max=30)])


class StepForm(FlaskForm):
    """Every step's inputs; the workflow's guards say which ones a step needs (422 naming the field)."""

    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=5000)])
    department = SelectField(_l("Lead department"), choices=[("", "—")] + DEPARTMENT_CHOICES, validators=[Optional()])
    co_departments = MultiCheckboxField(_l("Co-handling departments"), choices=DEPARTMENT_CHOICES,
                                        validators=[Optional()])
    assignee = SelectField(_l("Handler"), coerce=lambda v: int(v) if v else None, choices=[], validate_choice=False,
                           validators=[Optional()])
    rating = SelectField(_l("Rating"), coerce=lambda v: int(v) if v else None, validators=[Optional()], choices=[
        ("", "—"), (5, _l("Very satisfied")), (4, _l("Satisfied")), (3, _l("Neutral")), (2, _l("Dissatisfied")),
        (1, _l("Very dissatisfied"))])
    files = FileField(_l("Photos or documents"), render_kw={"multiple": True, "accept": "image/*,application/pdf"})


class DutyForm(FlaskForm):
    case_type = SelectField(_l("Case type"), choices=TYPE_CHOICES, validators=[DataRequired()])
    district = SelectField(_l("District"), validators=[Optional()])
    lead_department = SelectField(_l("Lead department"), choices=DEPARTMENT_CHOICES, validators=[DataRequired()])
    co_departments = MultiCheckboxField(_l("Co-handling departments"), choices=DEPARTMENT_CHOICES,
                                        validators=[Optional()])


class TimeLimitForm(FlaskForm):
    urgency = SelectField(_l("Urgency"), choices=URGENCY_CHOICES, validators=[DataRequired()])
    stage = SelectField(_l("Stage"), choices=list(STAGE_LABELS.items()), validators=[DataRequired()])
    amount = IntegerField(_l("Amount"), validators=[Optional(), NumberRange(min=1, max=365)])
    unit = SelectField(_l("Unit"), choices=list(UNIT_LABELS.items()), validators=[DataRequired()])


class HotlineImportForm(FlaskForm):
    file = FileField(_l("CSV export of the 12345 orders"), validators=[FileRequired()])


class MeetingForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    starts_at = DateTimeLocalField(_l("Starts at"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    agenda = TextAreaField(_l("Agenda"), validators=[DataRequired(), Length(max=5000)])
    participants = MultiCheckboxField(_l("Participants"), coerce=int, choices=[], validators=[Optional()])


class OutcomeForm(FlaskForm):
    minutes = TextAreaField(_l("Minutes"), validators=[DataRequired(), Length(max=20_000)])
    decision_1 = TextAreaField(_l("Decision 1"), validators=[Optional(), Length(max=2000)])
    department_1 = SelectField(_l("Department for decision 1"), choices=[("", "—")] + DEPARTMENT_CHOICES,
                               validators=[Optional()])
    decision_2 = TextAreaField(_l("Decision 2"), validators=[Optional(), Length(max=2000)])
    department_2 = SelectField(_l("Department for decision 2"), choices=[("", "—")] + DEPARTMENT_CHOICES,
                               validators=[Optional()])

    def decisions(self) -> list[tuple[str, str]]:
        """The decisions typed, each with its department (a decision without one is refused by validate)."""
        pairs = [(self.decision_1.data, self.department_1.data), (self.decision_2.data, self.department_2.data)]
        return [(text, department) for text, department in pairs if (text or "").strip()]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for text, department in (("decision_1", "department_1"), ("decision_2", "department_2")):
            if (self[text].data or "").strip() and not self[department].data:
                self[department].errors = [*self[department].errors, _l("Name the department that carries it out.")]
                ok = False
        return ok
