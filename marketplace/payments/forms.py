"""Forms of the payment pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, Regexp

STATUS_LABELS = {
    "pending": _l("Awaiting payment"), "proof_uploaded": _l("Proof uploaded"), "processing": _l("Processing"),
    "confirmed": _l("Confirmed (paid)"), "disputed": _l("Disputed"), "failed": _l("Failed"),
    "refunded": _l("Refunded"), "cancelled": _l("Cancelled"),
}
PROVIDER_LABELS = {"offline": _l("Bank transfer"), "stripe": _l("Online (card, Alipay, WeChat Pay)")}
REFUND_STATUS_LABELS = {"due": _l("Owed by the payee"), "pending": _l("Processing"), "succeeded": _l("Refunded"),
                        "failed": _l("Failed")}
REFUND_REASON_LABELS = {"shortfall": _l("Less received than paid for"), "cancellation": _l("Deal cancelled")}
TRANSFER_LABELS = {"none": _l("Not yet released"), "awaiting_account": _l("Waiting for the payee's account"),
                   "released": _l("Released to the payee"), "reversed": _l("Reversed")}


class StartPaymentForm(FlaskForm):
    provider = HiddenField(validators=[AnyOf(("offline", "stripe"))])


class ProofForm(FlaskForm):
    proof = FileField(_l("Proof of transfer (bank slip as JPEG, PNG or WebP image, or PDF; at most 5 MB)"),
                      validators=[FileRequired(_l("Please choose a file."))])


class ConfirmForm(FlaskForm):
    """No fields: the CSRF token only."""


class DisputeForm(FlaskForm):
    reason = TextAreaField(_l("What is wrong with the payment?"),
                           validators=[DataRequired(_l("Please say what is wrong with the payment.")),
                                       Length(max=2000)])


class BankAccountForm(FlaskForm):
    account_name = StringField(_l("Account name (户名)"), validators=[DataRequired(), Length(max=200)])
    bank_name = StringField(_l("Bank and branch (开户行)"), validators=[DataRequired(), Length(max=200)])
    account_number = StringField(_l("Account number (账号)"), validators=[
        DataRequired(), Regexp(r"^[0-9 ]{8,40}$", message=_l("An account number has 8 to 40 digits."))])


class OperatorFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[("", _l("Any"))] + list(STATUS_LABELS.items()),
                         validators=[Optional()])
    provider = SelectField(_l("Method"), choices=[("", _l("Any"))] + list(PROVIDER_LABELS.items()),
                           validators=[Optional()])
    reference = StringField(_l("Payment reference"), validators=[Optional(), Length(max=32)])
