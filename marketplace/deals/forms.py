"""Forms of the offer, thread and deal pages. They check shape; the services check the business rules."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.inputs import PlanDateRange, quantity_range, yuan_range
from portal.units import parse_price_per_t

UNIT_CHOICES = [("t", _l("t")), ("kg", _l("kg"))]
PARTY_CHOICES = [("buyer", _l("The buyer")), ("seller", _l("The seller"))]
OFFER_STATUS_LABELS = {"open": _l("Open"), "accepted": _l("Accepted"), "declined": _l("Declined"),
                       "countered": _l("Countered"), "withdrawn": _l("Withdrawn"), "expired": _l("Expired")}
DEAL_STATUS_LABELS = {"accepted": _l("Accepted"), "in_progress": _l("In progress"), "completed": _l("Completed"),
                      "cancelled": _l("Cancelled")}


class OfferForm(FlaskForm):
    quantity = DecimalField(_l("Quantity"), places=3, validators=[InputRequired(), quantity_range()])
    unit = SelectField(_l("Unit"), choices=UNIT_CHOICES)
    price = DecimalField(_l("Price in 元 (negative = the seller pays you a gate fee)"), places=2,
                         validators=[InputRequired(), yuan_range()])
    price_unit = SelectField(_l("Price per"), choices=UNIT_CHOICES, default="t")
    currency = SelectField(_l("Currency"), choices=[("CNY", "CNY")])
    # hazardous waste only: the buyer's licensed R/D methods for the code (offer_method_choices)
    planned_method = SelectField(_l("Planned treatment method"), choices=[], validate_choice=False,
                                 validators=[Optional()])
    delivery_from = DateField(_l("Delivery from"), validators=[Optional(), PlanDateRange()])
    delivery_until = DateField(_l("Delivery until"), validators=[Optional(), PlanDateRange()])
    transport_by = SelectField(_l("Transport arranged by"), choices=PARTY_CHOICES)
    transport_paid_by = SelectField(_l("Transport paid by"), choices=PARTY_CHOICES)
    valid_until = DateField(_l("Offer valid until"), validators=[Optional(), PlanDateRange()])
    note = TextAreaField(_l("Message"), validators=[Optional(), Length(max=2000)])

    def to_input(self) -> dict:
        """The service's input: the price typed in 元 per price unit, as fen per that unit."""
        data = {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
        return {**data, "price": parse_price_per_t(data["price"])}

    def offer_methods(self, listing, buyer, methods: list[str] | None) -> None:
        """Offer the buyer's licensed methods for a hazardous listing's code; general waste has no method."""
        if not listing.hazardous:
            del self.planned_method
            return
        self.planned_method.choices = [("", _l("Choose the method"))] + [(m, m) for m in methods or []]


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=2000)])


class ActionForm(FlaskForm):
    """A button that changes something: CSRF only."""


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason for cancelling"), validators=[DataRequired(), Length(max=1000)])


class ReceiptForm(FlaskForm):
    received = DecimalField(_l("Quantity received"), places=3, validators=[InputRequired(), quantity_range()])
    unit = SelectField(_l("Unit"), choices=UNIT_CHOICES)


class RatingForm(FlaskForm):
    score = SelectField(_l("Rating"), coerce=int, choices=[(5, "★★★★★ 5"), (4, "★★★★ 4"), (3, "★★★ 3"),
                                                           (2, "★★ 2"), (1, "★ 1")])
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class OfferFilterForm(FlaskForm):
    class Meta:
        csrf = False

    box = SelectField(_l("Offers"), choices=[("received", lazy_pgettext("offers", "Received")), ("sent", lazy_pgettext("offers", "Sent"))],
                      validators=[Optional()])
    status = SelectField(_l("Status"), choices=[("", _l("Any status"))] + list(OFFER_STATUS_LABELS.items()),
                         validators=[Optional()])
    q = StringField(_l("Listing title"), validators=[Optional(), Length(max=100)])


class DealFilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=[("", _l("Any status"))] + list(DEAL_STATUS_LABELS.items()),
                         validators=[Optional()])
    role = SelectField(_l("Role"), choices=[("", _l("Buying and selling")), ("buyer", _l("Buying")),
                                            ("seller", _l("Selling"))], validators=[Optional()])


class MatchFilterForm(FlaskForm):
    class Meta:
        csrf = False

    unread = BooleanField(_l("New only"))
    hazardous = SelectField(_l("Waste"), choices=[("", _l("All")), ("1", _l("Hazardous")), ("0", _l("General"))],
                            validators=[Optional()])
