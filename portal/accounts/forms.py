"""Forms of accounts and organisations. Messages are lazy so that they follow the user's language."""
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup, escape
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import TextInput

from ..extensions import db
from ..jurisdiction import jurisdiction_code
from ..regulatory.geo import city_box
from ..regulatory.models import Division, jurisdiction_districts
from .models import OrgStatus, Role
from .services import uscc_error

MOBILE = r"^1[3-9]\d{9}$"
# mainland China's extent, for organisations outside the city (the city's own box, from its shipped
# boundary, is checked for the rest: portal.regulatory.geo.city_box)
CHINA_LAT_RANGE = (Decimal("3.5"), Decimal("53.6"))
CHINA_LON_RANGE = (Decimal("73.4"), Decimal("135.1"))
COORD_PLACES = Decimal("0.000001")


def locale_choices():
    return [("zh_CN", "中文"), ("en", "English")]


def role_choices():
    return [(Role.ADMIN.value, _l("Administrator")), (Role.STAFF.value, _l("Staff")),
            (Role.DRIVER.value, _l("Driver"))]


def county_choices(only: str | None = None):
    """The county-level divisions of the jurisdiction (Sanmenxia), optionally just one of them."""
    query = jurisdiction_districts()
    if only:
        query = query.where(Division.code == only)
    return [(d.code, d.name) for d in db.session.scalars(query)]


class DivisionCodeInput(TextInput):
    """A text input for a division code with the jurisdiction's districts offered in a <datalist>: works as a
    plain form field without JavaScript, and browsers suggest the local districts by code and name."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("list", f"{field.id}-choices")
        kwargs.setdefault("inputmode", "numeric")
        # static/js/division-picker.js adds province → prefecture → county selects that fill this field
        kwargs.update({"data-division-picker": True, "data-label-province": _("Province"),
                       "data-label-city": _("Prefecture"), "data-label-county": _("County"),
                       "data-label-choose": _("Choose…")})
        options = Markup("").join(Markup('<option value="{}">{}</option>').format(code, name)
                                  for code, name in county_choices())
        return super().__call__(field, **kwargs) + Markup('<datalist id="{}">{}</datalist>').format(
            escape(f"{field.id}-choices"), options)


class DivisionCodeField(StringField):
    """A county-level division anywhere in China, by its 6-digit statistical code (2023 table)."""

    widget = DivisionCodeInput()

    def pre_validate(self, form):
        code = (self.data or "").strip()
        self.data = code
        if not code:
            return
        division = db.session.get(Division, code) if code.isdigit() and len(code) == 6 else None
        if division is None or division.level != "county":
            raise ValidationError(str(_l("Enter the 6-digit code of a county-level division, e.g. 110101.")))


def _password(label):
    return PasswordField(label, validators=[
        DataRequired(), Length(min=8, max=128, message=_l("Use at least 8 characters."))])


def _confirm(target: str):
    return PasswordField(_l("Repeat the password"), validators=[
        DataRequired(), EqualTo(target, message=_l("The two passwords differ."))])


class LoginForm(FlaskForm):
    login = StringField(_l("E-mail or mobile number"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    submit = SubmitField(_l("Sign in"))


class SignupForm(FlaskForm):
    name = StringField(lazy_pgettext("person", "Name"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    mobile = StringField(_l("Mobile number"), validators=[
        Optional(), Regexp(MOBILE, message=_l("A mobile number has 11 digits and starts with 13 to 19."))])
    password = _password(_l("Password"))
    confirm = _confirm("password")
    locale = SelectField(_l("Language"), choices=locale_choices)
    submit = SubmitField(_l("Create the account"))


class InvitationSignupForm(FlaskForm):
    """Sign-up from an invitation: the e-mail address is the invited one."""

    name = StringField(lazy_pgettext("person", "Name"), validators=[DataRequired(), Length(max=100)])
    password = _password(_l("Password"))
    confirm = _confirm("password")
    locale = SelectField(_l("Language"), choices=locale_choices)
    submit = SubmitField(_l("Create the account and join"))


class TotpForm(FlaskForm):
    code = StringField(_l("Code from the authenticator app"), validators=[
        DataRequired(), Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=_l("The code has 6 digits."))])
    submit = SubmitField(_l("Confirm"))


class ForgotPasswordForm(FlaskForm):
    login = StringField(_l("E-mail or mobile number"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Send the link"))


class ResetPasswordForm(FlaskForm):
    password = _password(_l("New password"))
    confirm = _confirm("password")
    submit = SubmitField(_l("Set the password"))


class ProfileForm(FlaskForm):
    name = StringField(lazy_pgettext("person", "Name"), validators=[DataRequired(), Length(max=100)])
    locale = SelectField(_l("Language"), choices=locale_choices)
    submit = SubmitField(_l("Save"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = _password(_l("New password"))
    confirm = _confirm("new_password")
    submit = SubmitField(_l("Change the password"))


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=100)])
    organisation = SelectField(_l("Acts for"), coerce=int)
    submit = SubmitField(_l("Create a token"))


class OrganisationForm(FlaskForm):
    uscc = StringField(_l("Unified social credit code"), validators=[DataRequired(), Length(max=18)],
                       filters=[lambda v: v.strip().upper() if v else v])
    name = StringField(_l("Name of the organisation"), validators=[DataRequired(), Length(max=200)])
    industry = StringField(_l("Industry"), validators=[Optional(), Length(max=200)])
    address = StringField(_l("Address"), validators=[DataRequired(), Length(max=300)])
    district_code = DivisionCodeField(_l("District"), validators=[DataRequired()])
    lat = DecimalField(_l("Latitude (WGS-84)"), validators=[Optional(), NumberRange(
        *CHINA_LAT_RANGE, message=_l("The latitude must lie within China (3.5 to 53.6)."))])
    lon = DecimalField(_l("Longitude (WGS-84)"), validators=[Optional(), NumberRange(
        *CHINA_LON_RANGE, message=_l("The longitude must lie within China (73.4 to 135.1)."))])
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=100)])
    contact_phone = StringField(_l("Contact telephone"), validators=[
        DataRequired(), Length(max=30), Regexp(r"^[0-9+\- ]{7,30}$", message=_l("Digits, spaces, + and - only."))])
    contact_email = EmailField(_l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)])
    is_generator = BooleanField(_l("Generates waste"))
    is_transporter = BooleanField(_l("Transports waste"))
    is_collector = BooleanField(_l("Collects waste"))
    is_receiver = BooleanField(_l("Licensed receiver (utilisation or disposal)"))
    submit = SubmitField(_l("Submit for verification"))

    FIELDS = ("uscc", "name", "industry", "address", "district_code", "lat", "lon", "contact_name",
              "contact_phone", "contact_email", "is_generator", "is_transporter", "is_collector", "is_receiver")

    def validate_uscc(self, field):
        if message := uscc_error(field.data or ""):
            raise ValidationError(str(message))

    def _in_the_city(self) -> bool:
        """True unless a valid district outside the city was given: the city's own box applies then."""
        division = db.session.get(Division, self.district_code.data) if self.district_code.data else None
        return division is None or division.parent_code == jurisdiction_code()

    def validate_lat(self, field):
        if (outside := self._outside_city_box(field, 0)) is not None:
            raise ValidationError(_("The latitude must lie within %(city)s (%(low)s to %(high)s).", **outside))

    def validate_lon(self, field):
        if (outside := self._outside_city_box(field, 1)) is not None:
            raise ValidationError(_("The longitude must lie within %(city)s (%(low)s to %(high)s).", **outside))

    def _outside_city_box(self, field, axis: int) -> dict | None:
        """The city and the box's bounds on this axis when the value lies outside them, else None."""
        box = city_box()
        if field.data is None or box is None or not self._in_the_city():
            return None
        low, high = box[axis]
        if low <= field.data <= high:
            return None
        city = db.session.get(Division, jurisdiction_code())
        return {"city": city.name if city else jurisdiction_code(), "low": low, "high": high}

    def values(self) -> dict:
        """The cleaned values, ready for the services."""
        values = {name: self[name].data for name in self.FIELDS}
        for name in ("lat", "lon"):
            if values[name] is not None:
                values[name] = values[name].quantize(COORD_PLACES)
        for name in ("industry", "contact_email"):
            values[name] = (values[name] or "").strip() or None
        return values


LICENCE_ACCEPT = "application/pdf,image/jpeg,image/png,image/webp"
LICENCE_HINT = _l("A scan or photo of the business licence (营业执照), or the PDF of the electronic licence: "
                  "JPEG, PNG, WebP or PDF, up to 10 MB. The reviewer checks the registration against it.")


class RegisterOrganisationForm(OrganisationForm):
    business_licence = FileField(_l("Business licence"), render_kw={"accept": LICENCE_ACCEPT}, validators=[
        FileRequired(_l("Add the business licence: the regulator verifies the registration against it."))])


class LicenceForm(FlaskForm):
    business_licence = FileField(_l("Business licence"), render_kw={"accept": LICENCE_ACCEPT}, validators=[
        FileRequired(_l("Choose the file of the business licence."))])
    submit = SubmitField(_l("Upload the business licence"))


class EditOrganisationForm(OrganisationForm):
    submit = SubmitField(_l("Save"))


class InviteForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=role_choices)
    submit = SubmitField(_l("Send the invitation"))


class MemberRoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices)
    submit = SubmitField(_l("Change the role"))


class ConfirmForm(FlaskForm):
    """A button-only form; it carries the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class SwitchOrgForm(FlaskForm):
    organisation_id = SelectField(_l("Act for"), coerce=int)
    submit = SubmitField(_l("Switch"))


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason for returning the application"), validators=[
        DataRequired(message=_l("Give the reason, so that the applicant can correct the application.")),
        Length(max=2000)])
    submit = SubmitField(_l("Return to the applicant"))


class ReviewFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=lambda: [
        (OrgStatus.PENDING.value, _l("Awaiting verification")), (OrgStatus.VERIFIED.value, _l("Verified")),
        (OrgStatus.REJECTED.value, _l("Returned")), ("all", _l("All"))], default=OrgStatus.PENDING.value)
    district = SelectField(_l("District"), validators=[Optional()])
    q = StringField(_l("Name or code"), validators=[Optional(), Length(max=100)])
