"""LedgerEvent: one append-only, hash-chained event in a batch's life; the checkpoints and daily roots that anchor
the chains' heads outside them."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ...types import UTCDateTime, utcnow

EVENT_TYPES = ("generated", "labelled", "stored", "retrieved", "weighed", "split", "merged", "picked_up",
               "handed_over", "delivered", "received", "refused", "treated", "corrected",
               # refused waste: a follow-up manifest was submitted for it (return or forwarding); back at the generator
               "rerouted", "returned")
GENESIS_HASH = "0" * 64


class LedgerEvent(db.Model):
    """Never updated, never deleted: corrections are new 'corrected' events."""

    __tablename__ = "ledger_events"
    __table_args__ = (
        UniqueConstraint("batch_id", "seq"),
        # the public figures (tonnes treated per stream) read only these two columns of the treated events: an
        # index-only scan instead of a pass over the whole ledger
        Index("ix_ledger_events_treated", "batch_id", "quantity_g", postgresql_where=text("event_type = 'treated'"),
              sqlite_where=text("event_type = 'treated'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str] = mapped_column(String(20), index=True)
    container_id: Mapped[int | None] = mapped_column(ForeignKey("containers.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    place: Mapped[str | None] = mapped_column(String(300))
    lat: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    lon: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    quantity_g: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    container = relationship("Container")
    actor = relationship("User")
    organisation = relationship("Organisation")


class LedgerCheckpoint(db.Model):
    """A batch's ledger head as `wufei ledger checkpoint` found it, signed (see anchors.py): the chain may
    grow past it but never end before it. Kept apart from the events, so that removing a chain's newest events
    (and moving the batch's head back) leaves the checkpoint pointing at what is gone."""

    __tablename__ = "ledger_checkpoints"
    # a batch's newest checkpoint under a key, and the newest of every batch: both read this index only
    __table_args__ = (Index("ix_ledger_checkpoints_key_batch", "key_id", "batch_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"))
    head_seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(64))


class LedgerRoot(db.Model):
    """The day's Merkle root over the newest checkpoint of every batch, signed and chained to the previous
    day's root: one figure that fixes every head at once, to export and keep outside the platform."""

    __tablename__ = "ledger_roots"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)  # in China
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # the heads are those of the newest checkpoint of each batch up to this one
    last_checkpoint_id: Mapped[int] = mapped_column(Integer)
    batch_count: Mapped[int] = mapped_column(Integer)
    root: Mapped[str] = mapped_column(String(64))
    previous_signature: Mapped[str | None] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(64))
