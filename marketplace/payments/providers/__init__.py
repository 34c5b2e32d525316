"""The one payment interface and its two providers: offline bank transfer (the default) and Stripe."""
from dataclasses import dataclass, field
from typing import Protocol

from flask import current_app


@dataclass
class Instructions:
    """What the payer is shown after starting a payment: bank details to transfer to, or a page to go to."""

    provider: str
    redirect_url: str | None = None
    bank: dict = field(default_factory=dict)
    reference: str | None = None


class PaymentProvider(Protocol):
    name: str

    def start(self, payment) -> Instructions:
        """Prepare the payer's side of payment (an idempotent call for the same attempt)."""

    def refund(self, payment, refund) -> None:
        """Send refund.total_fen back to the payer, or record that the payee owes it; sets refund.status."""

    def release(self, payment, amount_fen: int) -> None:
        """Pay amount_fen of the goods out to the payee once the receipt confirmed the quantity."""


def stripe_enabled() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def get_provider(name: str) -> PaymentProvider:
    from .offline import OfflineProvider
    from .stripe_provider import StripeProvider

    return {"offline": OfflineProvider, "stripe": StripeProvider}[name]()
