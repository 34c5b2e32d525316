"""Transfers across the city's boundary: 跨省转移审批 (the approval a transfer to another province needs) and
the arrivals from another city recorded with the manifest number of the system that issued it.

Quantities are integer grams. What an approval has left is never stored: it is derived from the manifests
that draw on it (approved − shipped on its non-cancelled manifests).
"""
from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import Organisation, User
from ...extensions import db
from ...types import UTCDateTime, utcnow


class TransferApproval(db.Model):
    """A cross-province transfer approval (跨省转移审批) as the approving authority issued it."""

    __tablename__ = "transfer_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    # the ecology department of the province the waste leaves, which decides after consulting the destination
    approving_authority: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date, index=True)
    generator_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    receiver_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    generator: Mapped[Organisation] = relationship(foreign_keys=[generator_org_id])
    receiver: Mapped[Organisation] = relationship(foreign_keys=[receiver_org_id])
    recorded_by: Mapped[User | None] = relationship()
    lines: Mapped[list["TransferApprovalLine"]] = relationship(
        back_populates="approval", cascade="all, delete-orphan", order_by="TransferApprovalLine.position")

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until

    def approved_g(self, waste_code: str) -> int | None:
        return next((line.approved_g for line in self.lines if line.waste_code == waste_code), None)


class TransferApprovalLine(db.Model):
    """One approved waste code and the quantity approved for the whole validity."""

    __tablename__ = "transfer_approval_lines"
    __table_args__ = (UniqueConstraint("approval_id", "waste_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    approval_id: Mapped[int] = mapped_column(ForeignKey("transfer_approvals.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    waste_code: Mapped[str] = mapped_column(String(12))  # as printed: 900-041-49
    approved_g: Mapped[int] = mapped_column(BigInteger)

    approval: Mapped[TransferApproval] = relationship(back_populates="lines")


class IncomingTransfer(db.Model):
    """Waste that arrived at a receiver of the city from a generator outside it, under a manifest that
    another system (the origin province's, or the national one) issued: its number is the external one."""

    __tablename__ = "incoming_transfers"
    __table_args__ = (UniqueConstraint("issuing_system", "external_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    receiver_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    external_number: Mapped[str] = mapped_column(String(40), index=True)
    issuing_system: Mapped[str] = mapped_column(String(100))
    # the county-level division the waste came from; its province is the issuing province
    origin_district_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    generator_name: Mapped[str] = mapped_column(String(200))
    generator_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    received_on: Mapped[date] = mapped_column(Date, index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    receiver: Mapped[Organisation] = relationship()
    origin_district = relationship("Division")
    recorded_by: Mapped[User | None] = relationship()
    lines: Mapped[list["IncomingTransferLine"]] = relationship(
        back_populates="transfer", cascade="all, delete-orphan", order_by="IncomingTransferLine.position")

    @property
    def total_g(self) -> int:
        return sum(line.quantity_g for line in self.lines)


class IncomingTransferLine(db.Model):
    __tablename__ = "incoming_transfer_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("incoming_transfers.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    waste_code: Mapped[str] = mapped_column(String(12))
    quantity_g: Mapped[int] = mapped_column(BigInteger)

    transfer: Mapped[IncomingTransfer] = relationship(back_populates="lines")
