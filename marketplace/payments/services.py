"""Payments of deals: who pays whom, starting a payment, proof and confirmation, settlement and refunds.

The sign of the deal's price decides the direction: a positive price means the buyer pays the seller for
a by-product; a negative one is a gate fee that the seller (the generator) pays the buyer (the receiver).
Services never commit; the caller does.
"""
import secrets
from datetime import datetime

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import audit, auth
from portal.accounts.models import Organisation
from portal.errors import Conflict, DomainError, Forbidden, NotFound
from portal.extensions import db
from portal.i18n import money as format_money
from portal.types import utcnow
from portal.workflow import SYSTEM, Transition, Workflow

from ..deals.models import Deal
from ..listings.models import UNITS
from ..matching.services import notify_organisation
from .models import PAYMENT_STATUSES, REFUND_STATUSES, PayeeProfile, Payment, Refund
from .providers import get_provider, stripe_enabled

PAYABLE_DEAL_STATUSES = ("accepted", "in_progress", "completed")
ACTIVE = ("pending", "proof_uploaded", "processing")
AUDITED = ("status", "provider", "amount_fen", "fee_fen", "refunded_fen", "transfer_status", "transfer_fen")



def _payer(payment: Payment, user, _org) -> bool:
    return auth.is_member(user, payment.payer_org_id)


def _payee(payment: Payment, user, _org) -> bool:
    """The organisation receiving the payment, or a platform operator (admins settle disputes)."""
    return auth.is_member(user, payment.payee_org_id) or auth.is_admin(user)


def _offline(payment: Payment, _user, _org, _fields) -> None:
    if payment.provider != "offline":
        raise Conflict(_l("This payment is made online; its state comes from the payment service."))


NO_BANK_ACCOUNT = _l("The payee has not entered its bank account yet, so there is nowhere to transfer the money. "
                     "The payee has been asked to enter it; you can pay as soon as it has.")


def _offline_to_an_account(payment: Payment, user, org, fields) -> None:
    """A proof of transfer needs an account to have transferred to: no payment is asked for before the payee
    has entered its bank account."""
    _offline(payment, user, org, fields)
    if not payee_has_bank_account(payment.payee_org_id):
        raise Conflict(NO_BANK_ACCOUNT, code="no_bank_account")


def _disputed_with_reason(payment: Payment, user, org, fields: dict) -> dict:
    _offline(payment, user, org, fields)
    if not (fields.get("reason") or "").strip():
        message = _l("Please say what is wrong with the payment.")
        raise DomainError(message, fields={"reason": message})
    return {"reason": fields["reason"].strip()}


def _stripe_rows(target: str, sources: tuple[str, ...]) -> list[Transition]:
    return [Transition(source, f"stripe_{target}", target, SYSTEM) for source in sources]


# A payment's life as data. Offline: the payer uploads proof, the payee confirms or disputes it. Online:
# Stripe's events move it (SYSTEM rows; a checkout completed after its deal was cancelled is recorded, then
# refunded in full). The deal's cancellation cancels an unpaid payment and refunds a paid one.
PAYMENT = Workflow("payment", Payment, PAYMENT_STATUSES, [
    *(Transition(state, "upload_proof", "proof_uploaded", "payer", _offline_to_an_account)
      for state in ("pending", "proof_uploaded", "disputed")),
    Transition("proof_uploaded", "confirm", "confirmed", "payee", _offline),
    Transition("disputed", "confirm", "confirmed", "payee", _offline),
    Transition("proof_uploaded", "dispute", "disputed", "payee", _disputed_with_reason),
    Transition("pending", "choose_method", "pending", "payer"),
    Transition("failed", "choose_method", "pending", "payer"),
    *_stripe_rows("processing", ("pending",)),
    *_stripe_rows("confirmed", ("pending", "processing", "failed", "cancelled")),
    *_stripe_rows("failed", ("pending", "processing")),
    *_stripe_rows("disputed", ("confirmed",)),
    *_stripe_rows("refunded", ("confirmed", "disputed")),
    *(Transition(state, "cancel", "cancelled", SYSTEM) for state in (*ACTIVE, "failed")),
    *(Transition(state, "refund", "refunded", SYSTEM) for state in ("confirmed", "disputed")),
], parties={"payer": _payer, "payee": _payee}, label=_l("payment"),
    refusals={"payer": _l("Only the paying organisation may do this."),
              "payee": _l("Only the organisation receiving the payment, or a platform operator, may do this.")})


def _refund_payer(refund: Refund, user, _org) -> bool:
    return auth.is_member(user, refund.payment.payer_org_id) or auth.is_admin(user)


# A refund is created by the provider as due (offline: the payee owes it) or pending (Stripe); the payer
# confirms an offline one, Stripe's charge.refunded event completes an online one.
REFUND = Workflow("refund", Refund, REFUND_STATUSES, [
    Transition("due", "confirm_received", "succeeded", "payer"),
    Transition("pending", "stripe_succeeded", "succeeded", SYSTEM),
], parties={"payer": _refund_payer}, label=_l("refund"),
    refusals={"payer": _l("Only the paying organisation may do this.")})


# --- money ---------------------------------------------------------------------------------------

def fee_on(amount_fen: int, fee_bp: int) -> int:
    """The platform fee in fen on amount_fen, basis points rounded half up."""
    return (amount_fen * fee_bp + 5000) // 10000


def payer_and_payee(deal: Deal) -> tuple[int, int]:
    """(payer organisation id, payee organisation id): the price's sign decides who pays."""
    if deal.price_fen < 0 or deal.amount_fen < 0:
        return deal.seller_org_id, deal.buyer_org_id
    return deal.buyer_org_id, deal.seller_org_id


def final_goods_fen(deal: Deal) -> int:
    """What the received quantity is worth, in fen, without sign."""
    if deal.final_amount_fen is not None:
        return abs(deal.final_amount_fen)
    grams = deal.final_quantity_g if deal.final_quantity_g is not None else deal.quantity_g
    per_unit = UNITS.get(deal.price_unit, 1_000_000)
    return (abs(deal.price_fen) * grams * 2 + per_unit) // (2 * per_unit)


# --- access --------------------------------------------------------------------------------------

def require_view_deal(user, deal: Deal | None) -> Deal:
    """The deal's parties, the regulators of their districts and platform admins see its payments."""
    if deal is None:
        raise NotFound(_l("Not found."))
    districts = [org.district_code for org in (deal.seller, deal.buyer)]
    auth.require_view_shared(user, deal.party_org_ids, districts)
    return deal


def require_view_payment(user, payment: Payment | None) -> Payment:
    if payment is None:
        raise NotFound(_l("Not found."))
    require_view_deal(user, payment.deal)
    return payment


def _require_role(user, payment: Payment, role: str) -> None:
    if role == "payer" and not auth.is_member(user, payment.payer_org_id):
        raise Forbidden(_l("Only the paying organisation may do this."))
    if role == "payee" and not (auth.is_member(user, payment.payee_org_id) or auth.is_admin(user)):
        raise Forbidden(_l("Only the organisation receiving the payment, or a platform operator, may do this."))


def _offline_step(user, payment: Payment, action: str, audit_action: str, *, fields: dict | None = None,
                  **values) -> None:
    require_view_payment(user, payment)
    before = audit.snapshot(payment, AUDITED)
    PAYMENT.step(payment, action, user, fields=fields, values=values, organisation_id=payment.payee_org_id,
                 audit_action=audit_action, audit_after={"before": before})


# --- payee profile -------------------------------------------------------------------------------

def payee_profile(organisation_id: int) -> PayeeProfile | None:
    return db.session.scalar(select(PayeeProfile).where(PayeeProfile.organisation_id == organisation_id))


def payee_has_bank_account(organisation_id: int) -> bool:
    profile = payee_profile(organisation_id)
    return profile is not None and profile.has_bank_account


def save_bank_account(user, org, *, account_name: str, bank_name: str, account_number: str) -> PayeeProfile:
    auth.require_manage_org(user, org)
    profile = payee_profile(org.id) or PayeeProfile(organisation_id=org.id)
    fields = ("bank_account_name", "bank_name", "bank_account_number")
    before = audit.snapshot(profile, fields) if profile.id else None
    profile.bank_account_name, profile.bank_name = account_name.strip(), bank_name.strip()
    profile.bank_account_number = "".join(account_number.split())
    db.session.add(profile)
    audit.record("payee_profile.bank_account", profile, before=before, after=audit.snapshot(profile, fields),
                 organisation_id=org.id)
    return profile


def start_stripe_onboarding(user, org) -> str:
    """Create the organisation's Connect account when it has none; returns the onboarding link."""
    from .providers.stripe_provider import create_connect_account, onboarding_link

    auth.require_manage_org(user, org)
    if not stripe_enabled():
        raise Conflict(_l("Online payments are not configured on this platform."))
    profile = payee_profile(org.id) or PayeeProfile(organisation_id=org.id)
    if not profile.stripe_account_id:
        profile.stripe_account_id = create_connect_account(org, user.email)
        db.session.add(profile)
        audit.record("payee_profile.stripe_account", profile, after={"stripe_account_id": profile.stripe_account_id},
                     organisation_id=org.id)
    return onboarding_link(profile.stripe_account_id)


# --- payments ------------------------------------------------------------------------------------

def payment_for(deal: Deal) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.deal_id == deal.id))


def _new_reference(deal: Deal) -> str:
    # unique per payment, short enough for the bank transfer's remark field (附言)
    return f"WF{deal.id:06d}{secrets.token_hex(3).upper()}"


def ensure_payment(deal: Deal) -> Payment | None:
    """The deal's payment record, created (offline, pending) the first time a payable deal's page is shown."""
    payment = payment_for(deal)
    if payment is not None or deal.status not in PAYABLE_DEAL_STATUSES or deal.amount_fen == 0:
        return payment
    payer_id, payee_id = payer_and_payee(deal)
    payment = Payment(deal_id=deal.id, provider="offline", reference=_new_reference(deal), payer_org_id=payer_id,
                      payee_org_id=payee_id, currency=deal.currency, amount_fen=abs(deal.amount_fen))
    try:
        with db.session.begin_nested():
            db.session.add(payment)
    except IntegrityError:  # another request created it first
        return payment_for(deal)
    audit.record("payment.opened", payment, after=audit.snapshot(payment, AUDITED), organisation_id=payee_id)
    if not payee_has_bank_account(payee_id):
        _ask_for_bank_account(payment)
    return payment


def _ask_for_bank_account(payment: Payment) -> None:
    """The payer cannot pay an account that is not there: tell the payee's office what to do."""
    notify_organisation(db.session.get(Organisation, payment.payee_org_id),
                        _("Enter your bank account to be paid for deal %(id)s", id=payment.deal_id),
                        _("%(payer)s is ready to pay %(amount)s for deal %(id)s, but your organisation has not entered "
                          "its corporate bank account. Enter it here: %(url)s",
                          payer=payment.payer.name if payment.payer else "", id=payment.deal_id,
                          amount=format_money(payment.amount_fen, payment.currency),
                          url=url_for("payments.payee_profile", _external=True)))


def start_payment(user, deal: Deal, provider: str):
    """The payer chooses how to pay; returns (payment, instructions)."""
    require_view_deal(user, deal)
    payment = ensure_payment(deal)
    if payment is None:
        raise Conflict(_l("This deal has nothing to pay."))
    _require_role(user, payment, "payer")
    if provider == "stripe" and not stripe_enabled():
        raise DomainError(_l("Online payments are not configured on this platform."), fields={"provider": _l(
            "Online payments are not configured on this platform.")})
    if provider != payment.provider or payment.status == "failed":
        if payment.status not in ("pending", "failed"):
            raise Conflict(_l("The payment is already under way and cannot change its method now."))
        fee_bp = current_app.config.get("PLATFORM_FEE_BP", 0) if provider == "stripe" else 0
        PAYMENT.step(payment, "choose_method", user, organisation_id=payment.payee_org_id, audit_action="payment.method",
                     values={"provider": provider, "fee_bp": fee_bp, "fee_fen": fee_on(payment.amount_fen, fee_bp),
                             "checkout_session_id": None, "checkout_url": None, "attempt": payment.attempt + 1})
    db.session.flush()
    return payment, get_provider(provider).start(payment)


def instructions_for(payment: Payment):
    """Bank details and reference of an offline payment, or None while the payee has no account."""
    try:
        return get_provider("offline").start(payment)
    except DomainError:
        return None


def upload_proof(user, payment: Payment, stream, filename: str) -> Payment:
    from .files import store_proof

    require_view_payment(user, payment)
    PAYMENT.check(payment, "upload_proof", user)
    _offline_to_an_account(payment, user, None, {})  # before the file is stored: a refusal leaves nothing behind
    stored = store_proof(stream)
    _offline_step(user, payment, "upload_proof", "payment.proof_uploaded", proof_file=stored,
                  proof_name=(filename or stored)[-200:], proof_uploaded_at=utcnow())
    return payment


def confirm_payment(user, payment: Payment) -> Payment:
    _offline_step(user, payment, "confirm", "payment.confirmed", confirmed_at=utcnow(), confirmed_by_id=user.id,
                  dispute_reason=None)
    follow_deal(payment.deal)  # money that arrives after the receipt is settled on the received quantity
    return payment


def dispute_payment(user, payment: Payment, reason: str) -> Payment:
    _offline_step(user, payment, "dispute", "payment.disputed", fields={"reason": reason},
                  dispute_reason=(reason or "").strip())
    return payment


# --- settlement, cancellation, refunds -------------------------------------------------------------

def _refund(payment: Payment, reason: str, amount_fen: int, fee_fen: int) -> Refund:
    refund = Refund(payment=payment, reason=reason, amount_fen=amount_fen, fee_fen=fee_fen)
    db.session.add(refund)
    db.session.flush()  # the refund's id is part of Stripe's idempotency key
    get_provider(payment.provider).refund(payment, refund)
    if refund.status == "succeeded":
        refund.completed_at = utcnow()
        payment.refunded_fen += refund.total_fen
    audit.record("payment.refund", refund, after=audit.snapshot(refund, ("reason", "amount_fen", "fee_fen", "status")),
                 organisation_id=payment.payer_org_id)
    return refund


def settle_payment(deal: Deal) -> Payment | None:
    """Called when the deal is settled on the received quantity (final_quantity_g / final_amount_fen):
    refunds what was paid for but not received, with the platform fee on it, and releases the rest to
    the payee. Idempotent; a payment that is not confirmed (disputed, unpaid) is left alone."""
    payment = payment_for(deal)
    if payment is None or payment.status != "confirmed" or payment.settled_at is not None:
        return payment
    before = audit.snapshot(payment, AUDITED)
    final = min(final_goods_fen(deal), payment.amount_fen)
    shortfall = payment.amount_fen - final
    if shortfall > 0:
        _refund(payment, "shortfall", shortfall, payment.fee_fen - fee_on(final, payment.fee_bp))
    get_provider(payment.provider).release(payment, final)
    payment.settled_at = utcnow()
    audit.record("payment.settled", payment, before=before, after=audit.snapshot(payment, AUDITED),
                 organisation_id=payment.payee_org_id)
    return payment


def cancel_payment(deal: Deal) -> Payment | None:
    """Called when the deal is cancelled: an unpaid payment is cancelled, a paid one refunded in full."""
    payment = payment_for(deal)
    if payment is None or payment.status in ("cancelled", "refunded"):
        return payment
    before = audit.snapshot(payment, AUDITED)
    if payment.status in ("confirmed", "disputed") and payment.transfer_status != "released":
        PAYMENT.step(payment, "refund", system=True, organisation_id=payment.payee_org_id,
                     audit_action="payment.cancelled", audit_after={"before": before})
        remaining_fee = payment.fee_fen - sum(r.fee_fen for r in payment.refunds)
        remaining = payment.amount_fen - sum(r.amount_fen for r in payment.refunds)
        if remaining + remaining_fee > 0:
            _refund(payment, "cancellation", remaining, remaining_fee)
    elif payment.status in ACTIVE or payment.status == "failed":
        PAYMENT.step(payment, "cancel", system=True, organisation_id=payment.payee_org_id,
                     audit_action="payment.cancelled", audit_after={"before": before})
    return payment


def follow_deal(deal: Deal) -> Payment | None:
    """Bring the deal's payment in line with the deal: settled once the deal is completed, cancelled or
    refunded in full once it is cancelled, left alone while it is open. Idempotent; the deal calls it
    when it settles or is cancelled, and a payment confirmed later calls it too."""
    if deal.status == "completed":
        return settle_payment(deal)
    if deal.status == "cancelled":
        return cancel_payment(deal)
    return payment_for(deal)


def unfollowed_payments():
    """A select() of the payments that have not followed their closed deal yet (the payment service did not
    answer at the time): confirmed but unsettled on a completed deal, not cancelled on a cancelled one."""
    completed = select(Deal.id).where(Deal.status == "completed")
    cancelled = select(Deal.id).where(Deal.status == "cancelled")
    return select(Payment).where(
        (Payment.deal_id.in_(completed) & (Payment.status == "confirmed") & Payment.settled_at.is_(None))
        | (Payment.deal_id.in_(cancelled) & Payment.status.notin_(("cancelled", "refunded")))).order_by(Payment.id)


def release_transfer(user, payment: Payment) -> Payment:
    """An operator retries a transfer that waited for the payee's Connect account."""
    if not auth.is_admin(user):
        raise Forbidden(_l("This page is for platform administrators."))
    if payment.provider != "stripe" or payment.transfer_status != "awaiting_account":
        raise Conflict(_l("There is no transfer waiting for this payment."))
    before = audit.snapshot(payment, AUDITED)
    get_provider("stripe").release(payment, payment.transfer_fen)
    audit.record("payment.transfer", payment, before=before, after=audit.snapshot(payment, AUDITED),
                 organisation_id=payment.payee_org_id)
    return payment


def confirm_refund_received(user, refund: Refund) -> Refund:
    """An offline refund is owed by the payee; the payer confirms when the money is back."""
    require_view_payment(user, refund.payment)
    REFUND.step(refund, "confirm_received", user, values={"completed_at": utcnow()},
                organisation_id=refund.payment.payer_org_id, audit_action="payment.refund_received")
    refund.payment.refunded_fen += refund.total_fen
    return refund


def operator_payments(status: str | None = None, provider: str | None = None, reference: str | None = None,
                      since: datetime | None = None):
    """A select() of all payments for the operator view, newest first."""
    query = select(Payment).order_by(Payment.created_at.desc(), Payment.id.desc())
    if status:
        query = query.where(Payment.status == status)
    if provider:
        query = query.where(Payment.provider == provider)
    if reference:
        query = query.where(Payment.reference.ilike(f"%{reference.strip()}%"))
    if since:
        query = query.where(Payment.created_at >= since)
    return query


def payments_of(org_id: int, status: str | None = None):
    """A select() of the payments an organisation makes or receives."""
    query = select(Payment).where((Payment.payer_org_id == org_id) | (Payment.payee_org_id == org_id))
    if status:
        query = query.where(Payment.status == status)
    return query.order_by(Payment.id.desc())
