"""JSON API of payments: the token organisation's payments and one deal's payment with its refunds."""
from flask import jsonify, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal import auth
from portal.api import api
from portal.api.core import doc, paginate, query_param, register_schema, token_required
from portal.errors import DomainError
from portal.extensions import db

from ..deals.models import Deal
from . import services
from .models import PAYMENT_STATUSES

REFUND = {"type": "object", "properties": {
    "id": {"type": "integer"}, "reason": {"type": "string", "enum": ["shortfall", "cancellation"]},
    "amount": {"type": "integer", "description": "fen"}, "fee": {"type": "integer", "description": "fen"},
    "status": {"type": "string"}}}
PAYMENT = register_schema("Payment", {"type": "object", "required": ["id", "deal_id", "status"], "properties": {
    "id": {"type": "integer"}, "deal_id": {"type": "integer"}, "reference": {"type": "string"},
    "provider": {"type": "string", "enum": ["offline", "stripe"]}, "status": {"type": "string", "enum": list(PAYMENT_STATUSES)},
    "payer": {"type": "object"}, "payee": {"type": "object"}, "currency": {"type": "string"},
    "amount": {"type": "integer", "description": "goods amount in fen"},
    "fee": {"type": "integer", "description": "platform fee in fen"}, "total": {"type": "integer"},
    "refunded": {"type": "integer"}, "transfer_status": {"type": "string"},
    "confirmed_at": {"type": "string", "nullable": True}, "refunds": {"type": "array", "items": REFUND}}})
PAYMENT_PAGE = register_schema("PaymentPage", {"type": "object", "properties": {
    "items": {"type": "array", "items": PAYMENT}, "total": {"type": "integer"}, "page": {"type": "integer"},
    "page_size": {"type": "integer"}, "pages": {"type": "integer"}}})


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
@doc("Payments the token's organisation makes or receives, newest first", tags=["payments"],
     params=[query_param("status", "filter by status: " + ", ".join(PAYMENT_STATUSES)),
             query_param("page", "page number", "integer"), query_param("page_size", "items per page", "integer")],
     responses={"200": {"description": "A page of payments", "content": {"application/json": {"schema": PAYMENT_PAGE}}}})
def payments_list():
    org = auth.current_org_or_403()
    status = request.args.get("status") or None
    if status is not None and status not in PAYMENT_STATUSES:
        message = _l("Unknown status.")
        raise DomainError(message, fields={"status": message}, status=400, code="bad_request")
    return paginate(services.payments_of(org.id, status), payment_json)


@api.get("/deals/<int:deal_id>/payment")
@token_required
@doc("The payment of a deal, with its refunds", tags=["payments"],
     responses={"200": {"description": "The payment", "content": {"application/json": {"schema": PAYMENT}}},
                "404": {"description": "No such deal, not visible, or nothing to pay"}})
def deal_payment(deal_id):
    deal = services.require_view_deal(current_user, db.session.get(Deal, deal_id))
    payment = services.payment_for(deal)
    if payment is None:
        raise DomainError(_l("This deal has no payment yet."), status=404, code="not_found")
    return jsonify(payment_json(payment))
