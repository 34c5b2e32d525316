"""Forms of the admin pages: list filters (GET, no CSRF token) and the actions on users (POST)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..accounts.models import Department, OrgStatus, Role

DEPARTMENT_LABELS = {
    Department.ECOLOGY: _l("Bureau of Ecology and Environment"),
    Department.URBAN: _l("Urban Management Bureau"),
    Department.HOUSING: _l("Housing and Urban-Rural Development Bureau"),
    Department.AGRICULTURE: _l("Agriculture and Rural Affairs Bureau"),
    Department.HEALTH: _l("Health Commission"),
    Department.TRANSPORT: _l("Transport Bureau"),
    Department.POLICE: _l("Public Security Bureau"),
}
STATUS_LABELS = {
    OrgStatus.PENDING: _l("Awaiting verification"),
    OrgStatus.VERIFIED: _l("Verified"),
    OrgStatus.REJECTED: _l("Returned"),
}
ROLE_LABELS = {
    Role.ADMIN: _l("Administrator"),
    Role.STAFF: _l("Staff"),
    Role.DRIVER: _l("Driver"),
}
CAPABILITY_LABELS = {
    "is_generator": _l("Waste generator"),
    "is_transporter": _l("Transporter"),
    "is_collector": _l("Collector"),
    "is_receiver": _l("Licensed receiver"),
}
ANY = ("", _l("Any"))


def filter_select(label, choices) -> SelectField:
    """A filter's select list: empty means "any", anything outside the choices is a form error."""
    return SelectField(label, choices=choices, validators=[Optional()])
YES_NO = [ANY, ("yes", _l("Yes")), ("no", _l("No"))]


class FilterForm(FlaskForm):
    """Filters travel in the query string, so that a filtered list can be bookmarked and paged."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])


class UserFilterForm(FilterForm):
    role = filter_select(_l("Role"), choices=[
        ANY, ("admin", _l("Platform administrator")), ("regulator", _l("Regulator")),
        ("member", _l("Member of an organisation")), ("org_admin", _l("Organisation administrator")),
        ("driver", _l("Driver")), ("none", _l("No role"))])
    locked = filter_select(_l("Locked"), choices=YES_NO)
    active = filter_select(_l("Active"), choices=YES_NO)


class OrganisationFilterForm(FilterForm):
    status = filter_select(_l("Status"), choices=[ANY, *STATUS_LABELS.items()])
    district = filter_select(_l("District"), choices=[ANY])
    capability = filter_select(_l("Capability"), choices=[ANY, *CAPABILITY_LABELS.items()])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = StringField(_l("Action"), validators=[Optional(), Length(max=60)],
                         description=_l("The whole action code as shown in the log, or its beginning up to a dot."))
    object_type = filter_select(_l("Object type"), choices=[ANY])
    object_id = StringField(_l("Object number"), validators=[Optional(), Length(max=60)])
    actor = StringField(_l("Actor"), validators=[Optional(), Length(max=254)],
                        description=_l("E-mail address, mobile number or name"))
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date must not be before the start date."))


class OutboxFilterForm(FilterForm):
    channel = filter_select(_l("Channel"), choices=[ANY, ("email", _l("E-mail")), ("sms", _l("SMS"))])
    state = filter_select(_l("State"), choices=[
        ANY, ("unsent", _l("Not sent")), ("sent", _l("Sent")), ("failed", _l("Failed"))])


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token travels with it."""


class RegulatorForm(FlaskForm):
    department = SelectField(_l("Department"), choices=list(DEPARTMENT_LABELS.items()),
                             validators=[DataRequired()])
    jurisdiction_code = SelectField(_l("Jurisdiction"), choices=[], validators=[DataRequired()])
    is_head = BooleanField(_l("Head of the department's office"))
