"""危险废物经营许可证: a receiver's hazardous waste business licence and the scope it permits."""
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...accounts.models import Organisation
from ...extensions import db
from ...types import UTCDateTime, utcnow
from ...workflow import status_check

STATUSES = ("active", "suspended", "revoked")
STATUS_LABELS = {"active": _l("Active"), "suspended": _l("Suspended"), "revoked": _l("Revoked")}
# 收集 / 利用 / 处置 / 综合经营 — the kinds of licence the Measures on licences distinguish
KINDS = ("collection", "utilisation", "disposal", "comprehensive")
KIND_LABELS = {"collection": _l("Collection"), "utilisation": _l("Utilisation"), "disposal": _l("Disposal"),
               "comprehensive": _l("Comprehensive (utilisation and disposal)")}


class Licence(db.Model):
    """One licence of one plant (一厂一档). Capacity used is never stored: it is derived from the ledger."""

    __tablename__ = "licences"
    __table_args__ = (status_check(STATUSES),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    issuing_authority: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date] = mapped_column(Date)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))
    # grams; a large plant's 10 000 t a year does not fit a 32-bit integer
    annual_capacity_g: Mapped[int] = mapped_column(BigInteger)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation] = relationship()
    scopes: Mapped[list["LicenceScope"]] = relationship(back_populates="licence", cascade="all, delete-orphan",
                                                        order_by="LicenceScope.position")

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_until

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS.get(self.kind, self.kind))


class LicenceScope(db.Model):
    """One permitted waste code, or a whole category (HW08), with its R/D methods and optional own capacity."""

    __tablename__ = "licence_scopes"
    __table_args__ = (
        CheckConstraint("(waste_code IS NULL) <> (category_code IS NULL)", name="code_or_category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    waste_code: Mapped[str | None] = mapped_column(String(12))  # as printed: 900-041-49
    category_code: Mapped[str | None] = mapped_column(String(10))  # HW08
    methods: Mapped[str] = mapped_column(String(200))  # comma list: R9,D10
    annual_capacity_g: Mapped[int | None] = mapped_column(BigInteger)

    licence: Mapped[Licence] = relationship(back_populates="scopes")

    @property
    def target(self) -> str:
        return self.waste_code or self.category_code or ""

    @property
    def method_list(self) -> list[str]:
        return [m for m in self.methods.split(",") if m]
