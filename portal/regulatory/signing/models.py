"""Organisations' signing keys: the private half encrypted at rest, the public half published.

A key is active until it is retired (a rotation made a newer one active) and may later be revoked; both leave
the signatures it made before that time verifiable. `algorithm` is recorded per key and per signature, so a
second algorithm (SM2) can be added beside Ed25519 without touching old rows.
"""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import Organisation
from ...extensions import db
from ...types import UTCDateTime, utcnow

ALGORITHMS = ("ed25519",)


class SigningKey(db.Model):
    __tablename__ = "signing_keys"
    __table_args__ = (
        # at most one active key per organisation: two first signatures at once cannot both create one
        Index("uq_signing_keys_active", "organisation_id", unique=True,
              postgresql_where=text("retired_at IS NULL"), sqlite_where=text("retired_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)  # public fingerprint of the public key
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    algorithm: Mapped[str] = mapped_column(String(20))
    public_key: Mapped[str] = mapped_column(Text)  # base64 of the raw public key
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "retired" if self.retired_at is not None else "active"
