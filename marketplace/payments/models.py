"""Payments of deals, their refunds, the payees' bank and Stripe accounts, and the Stripe events applied.

Money is integer fen in the deal's currency. A payment's amount_fen is what the payee is owed for the
goods; fee_fen the platform's fee on top (charged only when the platform collects the money itself, i.e.
through Stripe); the payer pays total_fen = amount_fen + fee_fen.
"""
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Organisation, User
from portal.extensions import db
from portal.types import UTCDateTime, utcnow
from portal.workflow import status_check

from ..deals.models import Deal

PROVIDERS = ("offline", "stripe")
PAYMENT_STATUSES = ("pending", "proof_uploaded", "processing", "confirmed", "disputed", "failed", "refunded",
                    "cancelled")
REFUND_STATUSES = ("due", "pending", "succeeded", "failed")
REFUND_REASONS = ("shortfall", "cancellation")
TRANSFER_STATUSES = ("none", "awaiting_account", "released", "reversed")


class PayeeProfile(db.Model):
    """How an organisation is paid: its corporate bank account (对公账户) and its Stripe Connect account."""

    __tablename__ = "payee_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), unique=True)
    bank_account_name: Mapped[str] = mapped_column(String(200), default="")
    bank_name: Mapped[str] = mapped_column(String(200), default="")
    bank_account_number: Mapped[str] = mapped_column(String(40), default="")
    stripe_account_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    stripe_charges_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    stripe_payouts_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    stripe_details_submitted: Mapped[bool] = mapped_column(Boolean, default=False)
    # `created` of the last account.updated applied: an older event arriving late must not win
    stripe_synced_at: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()

    @property
    def has_bank_account(self) -> bool:
        return bool(self.bank_account_name and self.bank_name and self.bank_account_number)


class Payment(db.Model):
    __tablename__ = "payments"
    __table_args__ = (status_check(PAYMENT_STATUSES), status_check(TRANSFER_STATUSES, "transfer_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    provider: Mapped[str] = mapped_column(String(10), default="offline", index=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)  # quoted on the bank transfer
    payer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    payee_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    fee_bp: Mapped[int] = mapped_column(Integer, default=0)
    fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=0)  # numbers the checkout idempotency keys
    # offline: the payer's proof of transfer
    proof_file: Mapped[str | None] = mapped_column(String(100))
    proof_name: Mapped[str | None] = mapped_column(String(200))
    proof_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # stripe
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    checkout_url: Mapped[str | None] = mapped_column(Text)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    charge_id: Mapped[str | None] = mapped_column(String(255))
    dispute_id: Mapped[str | None] = mapped_column(String(255))
    transfer_status: Mapped[str] = mapped_column(String(16), default="none")
    transfer_id: Mapped[str | None] = mapped_column(String(255))
    transfer_fen: Mapped[int | None] = mapped_column(BigInteger)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    deal: Mapped[Deal] = relationship()
    payer: Mapped[Organisation] = relationship(foreign_keys=[payer_org_id])
    payee: Mapped[Organisation] = relationship(foreign_keys=[payee_org_id])
    confirmed_by: Mapped[User | None] = relationship()
    refunds: Mapped[list["Refund"]] = relationship(back_populates="payment", order_by="Refund.id")

    @property
    def total_fen(self) -> int:
        return self.amount_fen + self.fee_fen

    @property
    def transfer_group(self) -> str:
        return f"deal-{self.deal_id}"

    @property
    def is_paid(self) -> bool:
        return self.status in ("confirmed", "disputed", "refunded") and self.confirmed_at is not None


class Refund(db.Model):
    """Money going back to the payer: the goods part and the platform fee on it, kept apart."""

    __tablename__ = "payment_refunds"
    __table_args__ = (status_check(REFUND_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    fee_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    payment: Mapped[Payment] = relationship(back_populates="refunds")

    @property
    def total_fen(self) -> int:
        return self.amount_fen + self.fee_fen


class StripeEvent(db.Model):
    """A Stripe event applied (or deliberately ignored); its row commits with its effect, so once only."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(80), index=True)
    created: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(String(20), default="applied")
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
