"""A match found between a listing and a receiving organisation; the row is also the in-app notification."""
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Organisation
from portal.extensions import db
from portal.types import UTCDateTime, utcnow

from ..listings.models import Demand, Listing


class Match(db.Model):
    """Listing × receiving organisation, found when the listing was published or a demand was posted."""

    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("listing_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    demand_id: Mapped[int | None] = mapped_column(ForeignKey("demands.id"), index=True)
    distance_m: Mapped[int | None] = mapped_column(Integer)
    # grams the organisation may legally take (a licence's remaining capacity can cover only part)
    takeable_g: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    listing: Mapped[Listing] = relationship()
    organisation: Mapped[Organisation] = relationship()
    demand: Mapped[Demand | None] = relationship()
