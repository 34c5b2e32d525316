"""Inquiry threads, their messages, offers (with counter-offers), deals and the parties' ratings.

Quantities are integer grams, prices integer fen per price_unit (negative: the seller pays a gate fee),
amounts integer fen. Payments (issue 6) build on Deal: keep its money fields stable.
"""
from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Organisation, User
from portal.extensions import db
from portal.types import UTCDateTime, utcnow
from portal.workflow import status_check

from ..listings.models import Listing

OFFER_STATUSES = ("open", "accepted", "declined", "countered", "withdrawn", "expired")
DEAL_STATUSES = ("accepted", "in_progress", "completed", "cancelled")
PARTIES = ("seller", "buyer")  # who arranges transport, who pays it


class Thread(db.Model):
    """One inquiry thread per listing and interested (buying) organisation."""

    __tablename__ = "deal_threads"
    __table_args__ = (UniqueConstraint("listing_id", "buyer_org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    seller_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    listing: Mapped[Listing] = relationship()
    seller: Mapped[Organisation] = relationship(foreign_keys=[seller_org_id])
    buyer: Mapped[Organisation] = relationship(foreign_keys=[buyer_org_id])
    messages: Mapped[list["Message"]] = relationship(back_populates="thread", order_by="Message.id",
                                                     cascade="all, delete-orphan")
    offers: Mapped[list["Offer"]] = relationship(back_populates="thread", order_by="Offer.id")

    @property
    def party_org_ids(self) -> list[int]:
        return [self.seller_org_id, self.buyer_org_id]


class Message(db.Model):
    __tablename__ = "deal_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("deal_threads.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    thread: Mapped[Thread] = relationship(back_populates="messages")
    organisation: Mapped[Organisation] = relationship()
    author: Mapped[User | None] = relationship()


class Offer(db.Model):
    """Terms proposed by one party to the other; a counter-offer replaces an open offer (parent_id)."""

    __tablename__ = "offers"
    __table_args__ = (status_check(OFFER_STATUSES), CheckConstraint("quantity_g > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("deal_threads.id"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    from_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    to_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    quantity_g: Mapped[int] = mapped_column(BigInteger)
    price_fen: Mapped[int] = mapped_column(BigInteger)  # per price_unit; negative = gate fee paid by the seller
    price_unit: Mapped[str] = mapped_column(String(4), default="t")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    # hazardous waste: the R/D method the buyer will treat it by, within its licence scope for the code
    planned_method: Mapped[str | None] = mapped_column(String(4))
    delivery_from: Mapped[date | None] = mapped_column(Date)
    delivery_until: Mapped[date | None] = mapped_column(Date)
    transport_by: Mapped[str] = mapped_column(String(8), default="buyer")
    transport_paid_by: Mapped[str] = mapped_column(String(8), default="buyer")
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    # the nearest-facility principle, as it stood when the offer was made (metres; NULL without coordinates)
    distance_m: Mapped[int | None] = mapped_column(Integer)
    nearest_distance_m: Mapped[int | None] = mapped_column(Integer)
    nearest_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    thread: Mapped[Thread] = relationship(back_populates="offers")
    listing: Mapped[Listing] = relationship()
    from_org: Mapped[Organisation] = relationship(foreign_keys=[from_org_id])
    to_org: Mapped[Organisation] = relationship(foreign_keys=[to_org_id])
    nearest_org: Mapped[Organisation | None] = relationship(foreign_keys=[nearest_org_id])
    parent: Mapped["Offer | None"] = relationship(remote_side=[id])


class Deal(db.Model):
    """An accepted offer: the quantity is reserved on the listing; hazardous waste moves under a manifest."""

    __tablename__ = "deals"
    __table_args__ = (status_check(DEAL_STATUSES), CheckConstraint("quantity_g > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), unique=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("deal_threads.id"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    seller_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    buyer_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    waste_code: Mapped[str | None] = mapped_column(String(12))
    hazardous: Mapped[bool] = mapped_column(default=False)
    quantity_g: Mapped[int] = mapped_column(BigInteger)  # agreed, and reserved on the listing
    price_fen: Mapped[int] = mapped_column(BigInteger)
    price_unit: Mapped[str] = mapped_column(String(4), default="t")
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # quantity × price; negative = the seller pays
    planned_method: Mapped[str | None] = mapped_column(String(4))  # the accepted offer's
    final_quantity_g: Mapped[int | None] = mapped_column(BigInteger)  # as received
    final_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    delivery_from: Mapped[date | None] = mapped_column(Date)
    delivery_until: Mapped[date | None] = mapped_column(Date)
    transport_by: Mapped[str] = mapped_column(String(8), default="buyer")
    transport_paid_by: Mapped[str] = mapped_column(String(8), default="buyer")
    status: Mapped[str] = mapped_column(String(12), default="accepted", index=True)
    manifest_id: Mapped[int | None] = mapped_column(ForeignKey("manifests.id"), index=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    offer: Mapped[Offer] = relationship()
    thread: Mapped[Thread] = relationship()
    listing: Mapped[Listing] = relationship()
    seller: Mapped[Organisation] = relationship(foreign_keys=[seller_org_id])
    buyer: Mapped[Organisation] = relationship(foreign_keys=[buyer_org_id])
    ratings: Mapped[list["Rating"]] = relationship(back_populates="deal", order_by="Rating.id")

    @property
    def party_org_ids(self) -> list[int]:
        return [self.seller_org_id, self.buyer_org_id]

    @property
    def reference(self) -> str:
        """The deal's reference on its manifest (Manifest.deal_ref)."""
        return f"deal:{self.id}"


class Rating(db.Model):
    """One party's rating of the other after a completed deal."""

    __tablename__ = "deal_ratings"
    __table_args__ = (UniqueConstraint("deal_id", "rater_org_id"),
                      CheckConstraint("score BETWEEN 1 AND 5", name="score_range"))

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"), index=True)
    rater_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    ratee_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    deal: Mapped[Deal] = relationship(back_populates="ratings")
    rater: Mapped[Organisation] = relationship(foreign_keys=[rater_org_id])
