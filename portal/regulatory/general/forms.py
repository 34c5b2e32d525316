"""Forms of the general waste pages; the choices of batch, receiver and exemption are set by the view."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ...inputs import quantity_range
from .models import PURPOSE_LABELS


class NewTransferForm(FlaskForm):
    batch_id = SelectField(_l("Batch"), coerce=int, validators=[DataRequired(_l("Choose a batch."))])
    receiver_id = SelectField(_l("Receiver"), coerce=int, validators=[DataRequired(_l("Choose the receiver."))])
    purpose = SelectField(_l("Purpose"), choices=list(PURPOSE_LABELS.items()),
                          validators=[DataRequired(_l("Choose the purpose."))])
    carrier_name = StringField(_l("Carrier"), validators=[DataRequired(_l("Name the carrier.")), Length(max=200)])
    vehicle_plate = StringField(_l("Vehicle plate"), validators=[Optional(), Length(max=20)])
    exemption_item_id = SelectField(_l("Exemption item (hazardous waste only)"), coerce=int,
                                    validators=[Optional()])
    exemption_condition_met = BooleanField(_l("I declare that the condition of this exemption item is met"))


class ReceiveForm(FlaskForm):
    received_kg = DecimalField(_l("Weight received (kg)"), places=3, validators=[
        Optional(), NumberRange(min=0, message=_l("Enter zero or more.")), quantity_range()])
