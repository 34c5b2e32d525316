"""Documents of the information hall, their kinds (data, not code) and their attachments."""
import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Department
from ..extensions import db
from ..types import UTCDateTime, utcnow
from ..workflow import status_check


class DocumentKind(db.Model):
    """政策法规, 通知公告, 办事指南 …: rows an administrator may extend, named in both languages."""

    __tablename__ = "hall_kinds"

    slug: Mapped[str] = mapped_column(String(30), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(40))
    name_en: Mapped[str] = mapped_column(String(60))
    position: Mapped[int] = mapped_column(Integer, default=0)

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_zh


# the kinds the hall starts with (migration 0021 and the test database insert them)
DEFAULT_KINDS = (("policy", "政策法规", "Policies and regulations", 1),
                 ("notice", "通知公告", "Notices", 2),
                 ("guide", "办事指南", "Service guides", 3))


class DocStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


STATUS_LABELS = {DocStatus.DRAFT: _l("Draft"), DocStatus.PUBLISHED: _l("Published"),
                 DocStatus.WITHDRAWN: _l("Withdrawn")}


class HallDocument(db.Model):
    __tablename__ = "hall_documents"
    __table_args__ = (status_check(DocStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind_slug: Mapped[str] = mapped_column(ForeignKey("hall_kinds.slug"), index=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(300))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str | None] = mapped_column(Text)
    department: Mapped[Department] = mapped_column(
        Enum(Department, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]), index=True)
    # the issuing regulator's jurisdiction: the city, or one district
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"))
    document_number: Mapped[str | None] = mapped_column(String(80))  # 文号, e.g. 国办发〔2018〕128号
    issued_on: Mapped[date] = mapped_column(Date, index=True)  # the publication date the document states
    status: Mapped[str] = mapped_column(String(20), default=DocStatus.DRAFT, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # SQL search: the normalised, segmented text and its inverted-index keys (portal.search)
    search_text: Mapped[str] = mapped_column(Text, default="")
    search_tokens: Mapped[str] = mapped_column(Text, default="")
    # the transactional outbox of the Meilisearch index: set with every change, cleared once sent
    index_pending: Mapped[bool] = mapped_column(Boolean, default=True, index=True)

    kind: Mapped[DocumentKind] = relationship()
    jurisdiction: Mapped["Division"] = relationship()  # noqa: F821
    attachments: Mapped[list["HallAttachment"]] = relationship(
        back_populates="document", order_by="HallAttachment.id", cascade="all, delete-orphan")

    def title(self, language: str) -> str:
        return self.title_en if language == "en" and self.title_en else self.title_zh

    def body(self, language: str) -> str:
        return self.body_en if language == "en" and self.body_en else self.body_zh


class HallAttachment(db.Model):
    __tablename__ = "hall_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("hall_documents.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))  # as uploaded, offered again on download
    stored_name: Mapped[str] = mapped_column(String(60))  # the random name under UPLOAD_DIR/hall
    extension: Mapped[str] = mapped_column(String(10))  # pdf, docx, xlsx or jpg: what the content proved to be
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    document: Mapped[HallDocument] = relationship(back_populates="attachments")

    @property
    def title(self) -> str:
        """The uploaded name without its extension; pages show the proven kind (PDF, DOCX …) beside it."""
        return self.filename.rsplit(".", 1)[0] if "." in self.filename[1:] else self.filename
