"""Forms of the reporting pages, the follow-up link, the staff workbench and the admin tables."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    DecimalField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp

from portal.accounts.models import Department
from portal.admin.forms import DEPARTMENT_LABELS
from portal.regulatory.trace import normalise

from .models import CATEGORY_LABELS, STATUS_LABELS, Category, Moderation, Status

PHOTO_ACCEPT = "image/jpeg,image/png,image/heic,image/heif,.heic,.heif"


def category_choices(blank=None):
    choices = [(c.value, CATEGORY_LABELS[c]) for c in Category]
    return ([("", blank)] if blank else []) + choices


def department_choices(blank=None):
    choices = [(d.value, DEPARTMENT_LABELS[d]) for d in Department]
    return ([("", blank)] if blank else []) + choices


class ReportForm(FlaskForm):
    photos = MultipleFileField(_l("Photos (up to 5, recommended)"), render_kw={"accept": PHOTO_ACCEPT})
    lat = DecimalField(_l("Latitude"), places=6, validators=[Optional(), NumberRange(-90, 90)])
    lon = DecimalField(_l("Longitude"), places=6, validators=[Optional(), NumberRange(-180, 180)])
    district_code = SelectField(_l("District"), choices=[], validators=[Optional()])
    address = StringField(_l("Address or description of the place"), validators=[Optional(), Length(max=300)])
    category = SelectField(_l("What kind of waste?"), choices=category_choices(),
                           validators=[DataRequired(_l("Choose one of the listed categories."))])
    description = TextAreaField(_l("What did you see?"), validators=[
        DataRequired(_l("Describe what you saw.")), Length(max=4000)])
    container_code = StringField(_l("Container code or label number (optional)"), validators=[
        Optional(), Length(max=60)])
    manifest_number = StringField(_l("Manifest number (optional)"), validators=[
        Optional(), Regexp(r"^\d{14}$", message=_l("A manifest number has 14 digits."))])
    contact_email = EmailField(_l("E-mail (optional)"), validators=[
        Optional(), Email(_l("Enter a valid e-mail address.")), Length(max=254)])
    contact_phone = StringField(_l("Mobile phone (optional)"), validators=[
        Optional(), Regexp(r"^1\d{10}$", message=_l("Enter an 11-digit mobile number."))])
    # Humans never see this field; bots that fill every input give themselves away.
    website = StringField(_l("Leave this field empty"), validators=[Optional()])


class StaffActionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    note = TextAreaField(_l("Note shown on the public timeline"), validators=[Optional(), Length(max=4000)])
    template = SelectField(_l("Reply template"), choices=[], validators=[Optional()])
    photo = FileField(_l("Photo after handling"), render_kw={"accept": PHOTO_ACCEPT})
    duplicate_of = StringField(_l("Tracking code of the original report"), validators=[Optional(), Length(max=8)])
    department = SelectField(_l("Pass on to"), choices=department_choices(""), validators=[Optional()])


class ModerationForm(FlaskForm):
    decision = HiddenField(validators=[DataRequired()])


class BulkForm(FlaskForm):
    action = SelectField(_l("With the selected reports"), choices=[
        ("accept", _l("Accept")), ("publish", _l("Publish")), ("hide", _l("Keep off the public map"))])


class InboxFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Tracking code"), filters=[normalise], validators=[Optional(), Length(max=20)])
    status = SelectField(_l("Status"), choices=[("", _l("Open"))] + [(s.value, STATUS_LABELS[s]) for s in Status]
                         + [("all", _l("All"))], validators=[Optional()])
    category = SelectField(_l("Category"), choices=category_choices(_l("All")), validators=[Optional()])
    district = SelectField(_l("District"), choices=[], validators=[Optional()])
    due = SelectField(_l("Deadline"), choices=[("", _l("Any")), ("overdue", _l("Overdue")),
                                               ("soon", _l("Due within a day"))], validators=[Optional()])
    moderation = SelectField(_l("Publication"), choices=[("", _l("Any")), (Moderation.PENDING.value, _l("Awaiting moderation")),
                                                         (Moderation.PUBLIC.value, _l("Public")),
                                                         (Moderation.HIDDEN.value, _l("Not public"))],
                             validators=[Optional()])


class PublicFilterForm(FlaskForm):
    class Meta:
        csrf = False

    category = SelectField(_l("Category"), choices=category_choices(_l("All")), validators=[Optional()])
    district = SelectField(_l("District"), choices=[], validators=[Optional()])
    state = SelectField(_l("Status"), choices=[("", _l("All")), ("open", _l("Open")), ("closed", _l("Closed"))],
                        validators=[Optional()])


class TrackForm(FlaskForm):
    class Meta:
        csrf = False

    # maxlength above 8: a pasted "ABCD-EFGH" or "ABCD EFGH" is longer than the code it holds
    code = StringField(_l("Tracking code"), filters=[normalise], render_kw={"maxlength": 20}, validators=[
        DataRequired(), Regexp(r"^[A-Z0-9]{8}$", message=_l("A tracking code has 8 letters and digits."))])


class DisputeForm(FlaskForm):
    note = TextAreaField(_l("Why is the problem not solved?"), validators=[DataRequired(), Length(max=4000)])
    photo = FileField(_l("A new photo of the place"), render_kw={"accept": PHOTO_ACCEPT})


class RatingForm(FlaskForm):
    rating = RadioField(_l("How satisfied are you with the handling?"), coerce=int, choices=[
        (5, _l("Very satisfied")), (4, _l("Satisfied")), (3, _l("Neutral")), (2, _l("Dissatisfied")),
        (1, _l("Very dissatisfied"))], validators=[DataRequired(_l("Choose a rating."))])


class RouteForm(FlaskForm):
    category = SelectField(_l("Category"), choices=category_choices(), validators=[DataRequired()])
    district = SelectField(_l("District"), choices=[], validators=[Optional()])
    department = SelectField(_l("Department"), choices=department_choices(), validators=[DataRequired()])


class DeadlineForm(FlaskForm):
    stage = HiddenField(validators=[DataRequired()])
    working_days = IntegerField(_l("Working days"), validators=[DataRequired(), NumberRange(1, 60)])


class ReplyTemplateForm(FlaskForm):
    department = SelectField(_l("Department"), choices=department_choices(_l("Every department")),
                             validators=[Optional()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=100)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=4000)])
