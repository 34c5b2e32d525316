"""Forms of the information hall. Messages are lazy so that they follow the user's language."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..admin.forms import DEPARTMENT_LABELS


class DocumentForm(FlaskForm):
    kind = SelectField(_l("Kind"), validators=[DataRequired()])
    department = SelectField(_l("Issuing department"), choices=lambda: list(DEPARTMENT_LABELS.items()),
                             validators=[Optional()])
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English, optional)"), validators=[Optional(), Length(max=300)])
    document_number = StringField(_l("Document number"), validators=[Optional(), Length(max=80)])
    issued_on = DateField(_l("Publication date"), validators=[DataRequired()])
    body_zh = TextAreaField(_l("Text (Chinese)"), validators=[DataRequired(), Length(max=100_000)])
    body_en = TextAreaField(_l("Text (English, optional)"), validators=[Optional(), Length(max=100_000)])
    submit = SubmitField(_l("Save draft"))


class AttachmentForm(FlaskForm):
    attachment = FileField(_l("Attachment (PDF, DOCX, XLSX or image)"), validators=[DataRequired()])
    submit = SubmitField(_l("Attach"))


class StepForm(FlaskForm):
    """The publish, withdraw and redraft buttons: a CSRF token and nothing else."""
    submit = SubmitField(_l("Confirm"))


class HallFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=200)])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    department = SelectField(_l("Issuing department"), validators=[Optional()],
                             choices=lambda: [("", _l("All departments"))] + list(DEPARTMENT_LABELS.items()))
    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(min=1949, max=2100,
                                                                      message=_l("A year between 1949 and 2100."))])
