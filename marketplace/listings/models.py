"""Listings of waste resources (supply), demand posts (wanted), saved searches and their alerts."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Organisation, User
from portal.extensions import db
from portal.regulatory.models import Division, WasteCode
from portal.types import UTCDateTime, utcnow
from portal.workflow import status_check

STREAMS = ("industrial", "hazardous", "medical", "construction", "household", "agricultural")
# streams whose waste often has no catalogue code; the others must name one
UNCODED_STREAMS = ("construction", "household", "agricultural")
FORMS = ("solid", "semi_solid", "liquid", "sludge", "powder", "gas")
UNITS = {"t": 1_000_000, "kg": 1_000}  # grams per unit
CURRENCIES = ("CNY",)
SUPPLY = ("one_off", "continuous")
LISTING_STATUSES = ("draft", "published", "paused", "sold_out", "expired", "withdrawn")
DEMAND_STATUSES = ("draft", "published", "closed", "expired")


class Listing(db.Model):
    """An offer of waste or by-product by a verified organisation. Quantities in grams, prices in fen."""

    __tablename__ = "listings"
    __table_args__ = (
        status_check(LISTING_STATUSES),
        CheckConstraint("quantity_g >= 0", name="quantity_not_negative"),
        CheckConstraint("reserved_g >= 0 AND reserved_g <= quantity_g", name="reserved_within_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    waste_code_id: Mapped[int | None] = mapped_column(ForeignKey("waste_codes.id"))
    waste_code: Mapped[str | None] = mapped_column(String(12), index=True)
    stream: Mapped[str] = mapped_column(String(20), index=True)
    hazardous: Mapped[bool] = mapped_column(default=False, index=True)
    category_code: Mapped[str | None] = mapped_column(String(10), index=True)
    form: Mapped[str] = mapped_column(String(20), default="solid")
    quantity_g: Mapped[int] = mapped_column(BigInteger)  # offered in all, reservations included
    reserved_g: Mapped[int] = mapped_column(BigInteger, default=0)  # held by accepted deals
    unit: Mapped[str] = mapped_column(String(4), default="t")
    supply: Mapped[str] = mapped_column(String(12), default="one_off")
    monthly_g: Mapped[int | None] = mapped_column(BigInteger)
    duration_months: Mapped[int | None] = mapped_column(Integer)
    district_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    lat: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))  # WGS-84
    lon: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    price_fen: Mapped[int | None] = mapped_column(BigInteger)  # per price_unit; negative = gate fee; NULL = negotiable
    price_unit: Mapped[str] = mapped_column(String(4), default="t")
    # price_fen per tonne, so that price filters and sorting compare listings priced per kg and per t
    price_per_t_fen: Mapped[int | None] = mapped_column(BigInteger, index=True)
    currency: Mapped[str | None] = mapped_column(String(3), default="CNY")
    quality: Mapped[dict] = mapped_column(JSON, default=dict)
    lab_report: Mapped[str | None] = mapped_column(String(100))  # stored file name
    lab_report_name: Mapped[str | None] = mapped_column(String(200))  # the uploader's file name
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    # title, description and catalogue names, NFKC-lowercased, then jieba-segmented: the SQL backend's LIKE target
    search_text: Mapped[str] = mapped_column(Text, default="")
    # the index keys of search_text (marketplace/search/index.py): a GIN index on PostgreSQL, FTS5 on SQLite
    search_tokens: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()
    district: Mapped[Division] = relationship()
    catalogue_entry: Mapped[WasteCode | None] = relationship()
    photos: Mapped[list["ListingPhoto"]] = relationship(back_populates="listing", cascade="all, delete-orphan",
                                                        order_by="ListingPhoto.id")

    @property
    def available_g(self) -> int:
        return self.quantity_g - self.reserved_g

    def __repr__(self) -> str:
        return f"<Listing {self.id} {self.status}>"


class ListingPhoto(db.Model):
    """A photo of a listing, re-encoded without metadata, with a thumbnail next to it."""

    __tablename__ = "listing_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    filename: Mapped[str] = mapped_column(String(64))
    thumbnail: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    listing: Mapped[Listing] = relationship(back_populates="photos")


class Demand(db.Model):
    """A wanted post: what a receiver takes, how much, at what price and how far it collects."""

    __tablename__ = "demands"
    __table_args__ = (status_check(DEMAND_STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    waste_codes: Mapped[list] = mapped_column(JSON, default=list)  # dashed catalogue codes
    categories: Mapped[list] = mapped_column(JSON, default=list)  # HW08, SW02 …
    streams: Mapped[list] = mapped_column(JSON, default=list)
    quantity_g: Mapped[int | None] = mapped_column(BigInteger)
    price_min_fen: Mapped[int | None] = mapped_column(BigInteger)  # per tonne
    price_max_fen: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3), default="CNY")
    district_code: Mapped[str | None] = mapped_column(ForeignKey("divisions.code"), index=True)
    lat: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    lon: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    radius_km: Mapped[int | None] = mapped_column(Integer)
    valid_until: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()


class SavedSearch(db.Model):
    """A user's search kept for alerts: a new published listing that matches it notifies the user."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[str] = mapped_column(String(200), default="")
    filters: Mapped[dict] = mapped_column(JSON, default=dict)
    notify_by_mail: Mapped[bool] = mapped_column(default=True)
    last_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


class SearchAlert(db.Model):
    """One in-app alert: a listing that matched a saved search when it was published."""

    __tablename__ = "search_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    saved_search_id: Mapped[int] = mapped_column(ForeignKey("saved_searches.id", ondelete="CASCADE"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    saved_search: Mapped[SavedSearch] = relationship()
    listing: Mapped[Listing] = relationship()
