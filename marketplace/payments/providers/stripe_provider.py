"""Stripe: the platform charges the payer through Checkout (card, Alipay, WeChat Pay) and later transfers
the goods amount to the payee's Connect account ("separate charges and transfers", one transfer_group per
deal), once the manifest's receipt has confirmed the quantity.

Every call carries an idempotency key derived from the deal, so a retried request never charges,
refunds or transfers twice."""
import stripe
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from portal.errors import Conflict, DomainError

from . import Instructions

PAYMENT_METHOD_TYPES = ["card", "alipay", "wechat_pay"]
REFUND_STATUSES = {"succeeded": "succeeded", "pending": "pending", "requires_action": "pending",
                   "failed": "failed", "canceled": "failed"}


class ProviderError(DomainError):
    status, code = 502, "payment_provider"


def _options() -> dict:
    """Per-call options; the API base comes from configuration so that tests talk to a local server."""
    stripe.api_base = current_app.config.get("STRIPE_API_BASE") or "https://api.stripe.com"
    return {"api_key": current_app.config["STRIPE_SECRET_KEY"]}


def _call(method, **params):
    try:
        return method(**_options(), **params)
    except stripe.StripeError as exc:
        current_app.logger.warning("Stripe refused %s: %s", getattr(method, "__qualname__", method), exc)
        raise ProviderError(_l("The payment service did not accept the request. Please try again later.")) from exc


def _external(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"] + url_for(endpoint, **values)


class StripeProvider:
    name = "stripe"

    def start(self, payment) -> Instructions:
        if payment.checkout_url and payment.status == "pending":
            return Instructions(provider=self.name, redirect_url=payment.checkout_url)
        deal = payment.deal
        page = _external("payments.deal_payment", deal_id=deal.id)
        metadata = {"payment_id": str(payment.id), "deal_id": str(deal.id), "reference": payment.reference}
        session = _call(
            stripe.checkout.Session.create,
            idempotency_key=f"deal-{deal.id}-checkout-v{payment.attempt}",
            mode="payment",
            client_reference_id=payment.reference,
            payment_method_types=PAYMENT_METHOD_TYPES,
            payment_method_options={"wechat_pay": {"client": "web"}},
            line_items=[{"quantity": 1, "price_data": {
                "currency": payment.currency.lower(), "unit_amount": payment.total_fen,
                "product_data": {"name": f"{payment.reference} · deal {deal.id}"}}}],
            payment_intent_data={"transfer_group": payment.transfer_group, "metadata": metadata},
            metadata=metadata,
            success_url=page + "?checkout=success",
            cancel_url=page + "?checkout=cancelled",
        )
        payment.checkout_session_id, payment.checkout_url = session.id, session.url
        return Instructions(provider=self.name, redirect_url=session.url)

    def refund(self, payment, refund) -> None:
        if not payment.payment_intent_id:
            raise Conflict(_l("The online payment has not been completed, so there is nothing to refund."))
        result = _call(stripe.Refund.create, idempotency_key=f"deal-{payment.deal_id}-refund-{refund.id}",
                       payment_intent=payment.payment_intent_id, amount=refund.total_fen,
                       metadata={"payment_id": str(payment.id), "refund_id": str(refund.id), "reason": refund.reason})
        refund.stripe_refund_id = result.id
        refund.status = REFUND_STATUSES.get(result.status, "pending")

    def release(self, payment, amount_fen: int) -> None:
        from ..services import payee_profile

        profile = payee_profile(payment.payee_org_id)
        if profile is None or not profile.stripe_account_id:
            payment.transfer_status, payment.transfer_fen = "awaiting_account", amount_fen
            return
        params = {"amount": amount_fen, "currency": payment.currency.lower(), "destination": profile.stripe_account_id,
                  "transfer_group": payment.transfer_group,
                  "metadata": {"payment_id": str(payment.id), "deal_id": str(payment.deal_id)}}
        if payment.charge_id:  # ties the transfer to the charge's funds, so it waits until they are available
            params["source_transaction"] = payment.charge_id
        transfer = _call(stripe.Transfer.create, idempotency_key=f"deal-{payment.deal_id}-transfer-v{payment.attempt}",
                         **params)
        payment.transfer_id, payment.transfer_fen, payment.transfer_status = transfer.id, amount_fen, "released"


def create_connect_account(org, email: str | None) -> str:
    """A Connect account for a payee organisation; returns its id."""
    params = {"type": "express", "capabilities": {"transfers": {"requested": True}},
              "business_profile": {"name": org.name}, "metadata": {"organisation_id": str(org.id), "uscc": org.uscc}}
    if email or org.contact_email:
        params["email"] = email or org.contact_email
    account = _call(stripe.Account.create, idempotency_key=f"org-{org.id}-connect-account", **params)
    return account.id


def onboarding_link(account_id: str) -> str:
    link = _call(stripe.AccountLink.create, account=account_id, type="account_onboarding",
                 refresh_url=_external("payments.payee_profile", stripe="refresh"),
                 return_url=_external("payments.payee_profile", stripe="return"))
    return link.url
