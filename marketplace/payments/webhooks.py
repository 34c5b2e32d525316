"""Stripe webhooks: verified, checked against the key's mode, applied exactly once, in any order.

The event's id is inserted in the same transaction as its effect; a second delivery finds it and is
acknowledged without effect. Stripe does not promise order, so a handler never moves a payment
backwards (a late payment_failed after the payment succeeded changes nothing) and account state is
taken from the newest event only. An event about a payment we do not know is logged and acknowledged:
retrying it would not make the payment appear.
"""
import json
import re

import stripe
from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.errors import Conflict
from portal.extensions import csrf, db
from portal.types import utcnow

from .models import PayeeProfile, Payment, Refund, StripeEvent
from .services import AUDITED, PAYMENT, REFUND, follow_deal

bp = Blueprint("payment_webhooks", __name__)



def _bad_request(reason: str):
    current_app.logger.warning("Stripe webhook refused: %s", reason)
    return jsonify({"error": {"code": "bad_request", "message": reason, "fields": {}}}), 400


@bp.post("/payments/stripe/webhook")
@csrf.exempt
def stripe_webhook():
    secret, key = current_app.config.get("STRIPE_WEBHOOK_SECRET"), current_app.config.get("STRIPE_SECRET_KEY") or ""
    payload, signature = request.get_data(), request.headers.get("Stripe-Signature")
    if not secret or not signature:
        return _bad_request("missing signature or webhook secret")
    try:
        event = json.loads(payload)
        if not isinstance(event, dict) or not event.get("id") or not isinstance(event.get("data"), dict):
            return _bad_request("not an event")
        stripe.Webhook.construct_event(payload, signature, secret)  # the signature over the exact bytes
    except (ValueError, stripe.SignatureVerificationError) as exc:
        return _bad_request(f"signature or body: {exc}")
    if bool(event.get("livemode")) != key.startswith("sk_live_"):
        return _bad_request("livemode does not match the configured key")
    if db.session.get(StripeEvent, event["id"]) is not None:
        return jsonify({"received": True, "duplicate": True})
    outcome, payment = apply_event(event)
    db.session.add(StripeEvent(id=event["id"], type=str(event.get("type", ""))[:80], created=int(event.get("created") or 0),
                               outcome=outcome, payment_id=payment.id if payment else None))
    try:
        db.session.commit()
    except IntegrityError:  # the same event delivered concurrently: the other delivery applied it
        db.session.rollback()
        return jsonify({"received": True, "duplicate": True})
    return jsonify({"received": True, "outcome": outcome})


def apply_event(event: dict) -> tuple[str, Payment | None]:
    """Apply one verified event; returns (outcome, payment) where outcome is applied, stale or ignored."""
    handler = HANDLERS.get(event.get("type"))
    if handler is None:
        return "ignored", None
    obj = event["data"].get("object") or {}
    outcome, payment = handler(obj, event)
    if outcome == "unknown":
        current_app.logger.warning("Stripe event %s (%s) is about no payment of ours: acknowledged, not applied",
                                   event["id"], event.get("type"))
        return "ignored", None
    return outcome, payment


def _payment_by(*, session_id=None, intent_id=None, metadata=None) -> Payment | None:
    for column, value in ((Payment.checkout_session_id, session_id), (Payment.payment_intent_id, intent_id)):
        if value and (payment := db.session.scalar(select(Payment).where(column == value))):
            return payment
    payment_id = (metadata or {}).get("payment_id")
    if payment_id and str(payment_id).isdigit():
        payment = db.session.get(Payment, int(payment_id))
        # metadata can only lead to a payment of the same checkout session, never to another one
        if payment is not None and (session_id is None or payment.checkout_session_id in (None, session_id)):
            return payment
    return None


def _move(payment: Payment, status: str, event: dict, **changes) -> str:
    """Take the payment's stripe_<status> step (see PAYMENT); an event that no longer fits its state is stale."""
    if payment.provider != "stripe":
        return "stale"
    if status == "confirmed":
        changes["confirmed_at"] = utcnow()
    before = audit.snapshot(payment, AUDITED)
    try:
        PAYMENT.step(payment, f"stripe_{status}", system=True, values=changes, organisation_id=payment.payee_org_id,
                     audit_action=f"payment.stripe.{status}", audit_after={"before": before})
    except Conflict:
        return "stale"
    return "applied"


def _checkout(status_when_paid: str | None):
    def handle(session: dict, event: dict):
        payment = _payment_by(session_id=session.get("id"), metadata=session.get("metadata"))
        if payment is None:
            return "unknown", None
        if session.get("payment_intent") and not payment.payment_intent_id:
            payment.payment_intent_id = session["payment_intent"]
        payment.checkout_session_id = payment.checkout_session_id or session.get("id")
        if status_when_paid == "failed":
            return _move(payment, "failed", event), payment
        paid = session.get("payment_status") in ("paid", "no_payment_required")
        outcome = _move(payment, "confirmed" if paid else (status_when_paid or "processing"), event)
        if outcome == "applied" and payment.status == "confirmed":
            follow_deal(payment.deal)  # the deal may have been settled or cancelled while the payer paid
        return outcome, payment
    return handle


def _intent_failed(intent: dict, event: dict):
    payment = _payment_by(intent_id=intent.get("id"), metadata=intent.get("metadata"))
    if payment is None:
        return "unknown", None
    return _move(payment, "failed", event), payment


def _charge_refunded(charge: dict, event: dict):
    payment = _payment_by(intent_id=charge.get("payment_intent"))
    if payment is None:
        return "unknown", None
    payment.charge_id = payment.charge_id or charge.get("id")
    for data in (charge.get("refunds") or {}).get("data") or []:
        refund = db.session.scalar(select(Refund).where(Refund.stripe_refund_id == data.get("id")))
        if refund is not None and data.get("status") == "succeeded" and refund.status == "pending":
            try:
                REFUND.step(refund, "stripe_succeeded", system=True, values={"completed_at": utcnow()},
                            organisation_id=payment.payer_org_id)
            except Conflict:  # another delivery completed it meanwhile
                pass
    # amount_refunded only grows, so the largest value seen is the current one whatever the order
    payment.refunded_fen = max(payment.refunded_fen, int(charge.get("amount_refunded") or 0))
    if charge.get("refunded"):
        _move(payment, "refunded", event)
    return "applied", payment


def _dispute_created(dispute: dict, event: dict):
    payment = _payment_by(intent_id=dispute.get("payment_intent"))
    if payment is None:
        return "unknown", None
    payment.dispute_id = dispute.get("id")
    return _move(payment, "disputed", event, dispute_reason=str(dispute.get("reason") or "")), payment


def _account_updated(account: dict, event: dict):
    profile = db.session.scalar(select(PayeeProfile).where(PayeeProfile.stripe_account_id == account.get("id")))
    if profile is None:
        return "unknown", None
    created = int(event.get("created") or 0)
    if created < profile.stripe_synced_at:
        return "stale", None
    profile.stripe_synced_at = created
    profile.stripe_charges_enabled = bool(account.get("charges_enabled"))
    profile.stripe_payouts_enabled = bool(account.get("payouts_enabled"))
    profile.stripe_details_submitted = bool(account.get("details_submitted"))
    audit.record("payee_profile.stripe_state", profile, organisation_id=profile.organisation_id,
                 after=audit.snapshot(profile, ("stripe_charges_enabled", "stripe_payouts_enabled",
                                                "stripe_details_submitted")))
    return "applied", None


def _transfer(status: str):
    def handle(transfer: dict, event: dict):
        payment = db.session.scalar(select(Payment).where(Payment.transfer_id == transfer.get("id")))
        match = re.fullmatch(r"deal-(\d+)", str(transfer.get("transfer_group") or ""))
        if payment is None and match:
            payment = db.session.scalar(select(Payment).where(Payment.deal_id == int(match.group(1)),
                                                              Payment.provider == "stripe"))
        if payment is None:
            return "unknown", None
        if status == "released" and payment.transfer_status == "reversed":
            return "stale", payment
        payment.transfer_id = payment.transfer_id or transfer.get("id")
        payment.transfer_status = status
        if status == "released" and payment.transfer_fen is None:
            payment.transfer_fen = int(transfer.get("amount") or 0)
        return "applied", payment
    return handle


HANDLERS = {
    "checkout.session.completed": _checkout(None),
    "checkout.session.async_payment_succeeded": _checkout("confirmed"),
    "checkout.session.async_payment_failed": _checkout("failed"),
    "payment_intent.payment_failed": _intent_failed,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
    "account.updated": _account_updated,
    "transfer.created": _transfer("released"),
    "transfer.reversed": _transfer("reversed"),
}
