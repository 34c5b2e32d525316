"""JSON API of payments: the token organisation's payments and one deal's payment with its refunds."""
from datetime import datetime
from typing import Literal

from flask import jsonify
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from pydantic import Field

from portal import auth
from portal.api import api
from portal.api.core import paginate, token_required
from portal.api.schemas import OrgRef, Output, Page, PageQuery, endpoint
from portal.errors import DomainError
from portal.extensions import db

from ..deals.models import Deal
from . import services
from .models import PAYMENT_STATUSES


class RefundOut(Output):
    id: int
    reason: Literal["shortfall", "cancellation"]
    amount: int = Field(description="fen")
    fee: int = Field(description="fen")
    status: str


class PaymentOut(Output):
    id: int
    deal_id: int
    reference: str
    provider: Literal["offline", "stripe"]
    status: Literal[PAYMENT_STATUSES]
    payer: OrgRef
    payee: OrgRef
    currency: str
    amount: int = Field(description="goods amount in fen")
    fee: int = Field(description="platform fee in fen")
    total: int
    refunded: int
    transfer_status: str | None
    confirmed_at: datetime | None
    refunds: list[RefundOut]


class PaymentQuery(PageQuery):
    status: Literal[PAYMENT_STATUSES] | None = Field(None, description="filter by status")


def payment_json(payment) -> dict:
    return {
        "id": payment.id, "deal_id": payment.deal_id, "reference": payment.reference, "provider": payment.provider,
        "status": payment.status, "currency": payment.currency,
        "payer": {"id": payment.payer_org_id, "name": payment.payer.name},
        "payee": {"id": payment.payee_org_id, "name": payment.payee.name},
        "amount": payment.amount_fen, "fee": payment.fee_fen, "total": payment.total_fen,
        "refunded": payment.refunded_fen, "transfer_status": payment.transfer_status,
        "confirmed_at": payment.confirmed_at.isoformat() if payment.confirmed_at else None,
        "refunds": [{"id": r.id, "reason": r.reason, "amount": r.amount_fen, "fee": r.fee_fen, "status": r.status}
                    for r in payment.refunds],
    }


@api.get("/payments")
@token_required
@endpoint("Payments the token's organisation makes or receives, newest first", tags=["payments"],
          query=PaymentQuery, response=Page[PaymentOut])
def payments_list(query: PaymentQuery):
    org = auth.current_org_or_403()
    return paginate(services.payments_of(org.id, query.status), payment_json)


@api.get("/deals/<int:deal_id>/payment")
@token_required
@endpoint("The payment of a deal, with its refunds", tags=["payments"], response=PaymentOut,
          responses={404: None}, descriptions={404: "No such deal, not visible, or nothing to pay"})
def deal_payment(deal_id):
    deal = services.require_view_deal(current_user, db.session.get(Deal, deal_id))
    payment = services.payment_for(deal)
    if payment is None:
        raise DomainError(_l("This deal has no payment yet."), status=404, code="not_found")
    return jsonify(payment_json(payment))
