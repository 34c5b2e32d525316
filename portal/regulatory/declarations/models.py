"""Declaration (申报) and its figures. Every figure keeps the ledger's value next to the one the enterprise
declared, so an edit never hides what the ledger said."""
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import Organisation, User
from ...extensions import db
from ...types import UTCDateTime, utcnow
from ...workflow import status_check

KINDS = ("monthly", "annual")
STATUSES = ("draft", "submitted", "returned", "accepted")
# the register's figures a declaration reports: generated, stock in storage at the period's end,
# transferred out under manifests, utilised or treated on site
FIGURES = ("generated", "stock", "transferred_out", "treated")


class Declaration(db.Model):
    __tablename__ = "declarations"
    __table_args__ = (status_check(STATUSES), UniqueConstraint("organisation_id", "kind", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    # the organisation's district when the declaration was made: the regulator that reviews it
    district_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date, index=True)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    note: Mapped[str | None] = mapped_column(Text)  # the enterprise's remarks
    # the manifests under which waste left during the period: [{"id", "number", "waste_code", "quantity_g"}]
    manifests: Mapped[list] = mapped_column(JSON, default=list)
    # the mass-balance check at submission: [{"waste_code", "figure", "declared_g", "ledger_g"}]
    differences: Mapped[list] = mapped_column(JSON, default=list)
    return_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    figures: Mapped[list["DeclarationFigure"]] = relationship(
        back_populates="declaration", cascade="all, delete-orphan",
        order_by="DeclarationFigure.id")

    @property
    def period_label(self) -> str:
        return self.period_start.strftime("%Y-%m" if self.kind == "monthly" else "%Y")

    @property
    def balanced(self) -> bool:
        return not self.differences

    def figure(self, waste_code: str, name: str) -> "DeclarationFigure | None":
        return next((f for f in self.figures if f.waste_code == waste_code and f.figure == name), None)

    @property
    def waste_codes(self) -> list[str]:
        return sorted({f.waste_code for f in self.figures})


class DeclarationFigure(db.Model):
    """One figure of one waste code: what the ledger said when prefilled, and what was declared."""

    __tablename__ = "declaration_figures"
    __table_args__ = (UniqueConstraint("declaration_id", "waste_code", "figure"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id", ondelete="CASCADE"), index=True)
    waste_code: Mapped[str] = mapped_column(String(12))
    figure: Mapped[str] = mapped_column(String(20))
    ledger_g: Mapped[int] = mapped_column(Integer)
    declared_g: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)  # required when declared_g differs from ledger_g

    declaration: Mapped[Declaration] = relationship(back_populates="figures")

    @property
    def edited(self) -> bool:
        return self.declared_g != self.ledger_g
