"""危险废物管理计划: a generator's annual plan — expected quantity per waste code, storage, own utilisation or
disposal, intended receivers — filed for the acceptance of the regulator of its district."""
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import Organisation, User
from ...extensions import db
from ...types import UTCDateTime, utcnow
from ...workflow import status_check
from ..batches.models import StorageFacility

STATUSES = ("draft", "submitted", "returned", "accepted")


class ManagementPlan(db.Model):
    """One plan per organisation and year; revised while draft or returned."""

    __tablename__ = "management_plans"
    __table_args__ = (status_check(STATUSES), UniqueConstraint("organisation_id", "year"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # the organisation's district when the plan was filed: the regulator that accepts it
    district_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    # how the enterprise reduces, stores and handles its waste itself (the plan's narrative part)
    measures: Mapped[str | None] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=0)  # edits saved so far
    return_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    lines: Mapped[list["PlanLine"]] = relationship(back_populates="plan", cascade="all, delete-orphan",
                                                   order_by="PlanLine.position")

    @property
    def expected_total_g(self) -> int:
        return sum(line.expected_g for line in self.lines)

    def line_for(self, waste_code: str) -> "PlanLine | None":
        return next((line for line in self.lines if line.waste_code == waste_code), None)


class PlanLine(db.Model):
    """One waste code of the plan: how much is expected, where it is stored, what the enterprise handles itself
    and which receivers it intends to transfer the rest to."""

    __tablename__ = "management_plan_lines"
    __table_args__ = (UniqueConstraint("plan_id", "waste_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("management_plans.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    waste_code: Mapped[str] = mapped_column(String(12))
    expected_g: Mapped[int] = mapped_column(Integer)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("storage_facilities.id"))
    max_stored_g: Mapped[int] = mapped_column(Integer, default=0)
    own_g: Mapped[int] = mapped_column(Integer, default=0)  # utilised or disposed of by the enterprise itself
    own_method: Mapped[str | None] = mapped_column(String(4))  # R1–R15 / D1–D18 when own_g > 0

    plan: Mapped[ManagementPlan] = relationship(back_populates="lines")
    facility: Mapped[StorageFacility | None] = relationship()
    receivers: Mapped[list["PlanReceiver"]] = relationship(back_populates="line", cascade="all, delete-orphan",
                                                           order_by="PlanReceiver.id")

    @property
    def transfer_g(self) -> int:
        """What the plan expects to transfer to receivers under manifests."""
        return max(self.expected_g - self.own_g, 0)

    @property
    def receiver_ids(self) -> list[int]:
        return [r.organisation_id for r in self.receivers]


class PlanReceiver(db.Model):
    """An intended receiver of one plan line."""

    __tablename__ = "management_plan_receivers"
    __table_args__ = (UniqueConstraint("line_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("management_plan_lines.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)

    line: Mapped[PlanLine] = relationship(back_populates="receivers")
    organisation: Mapped[Organisation] = relationship()
