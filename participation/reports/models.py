"""Reports, their photos and public timeline, and the tables admins edit: routing, deadlines, replies."""
import enum
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Enum, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Department
from portal.extensions import db
from portal.types import UTCDateTime, utcnow
from portal.workflow import status_check


def _enum(cls):
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class Category(enum.StrEnum):
    CONSTRUCTION = "construction"
    HOUSEHOLD = "household"
    INDUSTRIAL = "industrial"
    HAZARDOUS = "hazardous"
    BURNING = "burning"
    OTHER = "other"


CATEGORY_LABELS = {
    Category.CONSTRUCTION: _l("Construction waste"),
    Category.HOUSEHOLD: _l("Household waste"),
    Category.INDUSTRIAL: _l("Industrial solid waste"),
    Category.HAZARDOUS: _l("Hazardous waste"),
    Category.BURNING: _l("Burning of waste"),
    Category.OTHER: _l("Other"),
}


class Status(enum.StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"  # 受理
    ASSIGNED = "assigned"  # 派单
    IN_PROGRESS = "in_progress"  # 办理
    RESOLVED = "resolved"  # 办结
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


STATUS_LABELS = {
    Status.SUBMITTED: _l("Submitted"),
    Status.ACCEPTED: _l("Accepted"),
    Status.ASSIGNED: _l("Assigned"),
    Status.IN_PROGRESS: _l("In progress"),
    Status.RESOLVED: _l("Resolved"),
    Status.REJECTED: _l("Not substantiated"),
    Status.DUPLICATE: _l("Duplicate"),
}
OPEN_STATUSES = (Status.SUBMITTED, Status.ACCEPTED, Status.ASSIGNED, Status.IN_PROGRESS)
CLOSED_STATUSES = (Status.RESOLVED, Status.REJECTED, Status.DUPLICATE)


class Moderation(enum.StrEnum):
    PENDING = "pending"
    PUBLIC = "public"
    HIDDEN = "hidden"


STAFF_ACTIONS = ("accept", "assign", "start", "resolve", "return", "reject", "duplicate", "transfer")

ACTION_LABELS = {
    "submit": _l("Report received"),
    "accept": _l("Accepted by the department"),
    "assign": _l("Assigned for handling"),
    "start": _l("Handling started"),
    "resolve": _l("Resolved"),
    "return": _l("Returned for re-dispatch"),
    "reject": _l("Closed as not substantiated"),
    "duplicate": _l("Merged into another report"),
    "transfer": _l("Passed on to another department"),
    "dispute": _l("Resolution disputed by the reporter"),
    "rate": _l("Rated by the reporter"),
    "escalate": _l("Overdue: escalated to the head of the department"),
    "publish": _l("Published"),
}


class Report(db.Model):
    __tablename__ = "reports"
    __table_args__ = (status_check(Status),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(8), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    # Open311 clients look a request up by this token (GET tokens/<token>)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    category: Mapped[Category] = mapped_column(_enum(Category), index=True)
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    lon: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    address: Mapped[str | None] = mapped_column(String(300))
    district_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    department: Mapped[Department] = mapped_column(_enum(Department), index=True)
    status: Mapped[Status] = mapped_column(_enum(Status), default=Status.SUBMITTED, index=True)
    moderation: Mapped[Moderation] = mapped_column(_enum(Moderation), default=Moderation.PENDING, index=True)
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    container_code: Mapped[str | None] = mapped_column(String(60))
    manifest_number: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(10), default="web")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    accept_due: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finish_due: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status_note: Mapped[str | None] = mapped_column(Text)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    rating: Mapped[int | None] = mapped_column(Integer)

    photos: Mapped[list["ReportPhoto"]] = relationship(back_populates="report", order_by="ReportPhoto.id",
                                                       cascade="all, delete-orphan")
    events: Mapped[list["ReportEvent"]] = relationship(back_populates="report", order_by="ReportEvent.id",
                                                       cascade="all, delete-orphan")
    district = relationship("Division")
    duplicate_of: Mapped["Report | None"] = relationship(remote_side=[id])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def category_label(self) -> str:
        return str(CATEGORY_LABELS[self.category])

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


class ReportPhoto(db.Model):
    """A re-encoded JPEG without metadata; kind is what it shows: the report, the result, a dispute."""

    __tablename__ = "report_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="report")
    filename: Mapped[str] = mapped_column(String(80), unique=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    report: Mapped[Report] = relationship(back_populates="photos")


class ReportEvent(db.Model):
    """One step of the public timeline. It names the department, never the officer (who is in the audit)."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(20))
    status: Mapped[Status] = mapped_column(_enum(Status))
    department: Mapped[Department | None] = mapped_column(_enum(Department))
    note: Mapped[str | None] = mapped_column(Text)
    public: Mapped[bool] = mapped_column(Boolean, default=True)

    report: Mapped[Report] = relationship(back_populates="events")

    @property
    def label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))


class RoutingRule(db.Model):
    """Category × district → responsible department; a NULL district is the rule for every district."""

    __tablename__ = "report_routing_rules"
    __table_args__ = (UniqueConstraint("category", "district_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[Category] = mapped_column(_enum(Category))
    district_code: Mapped[str | None] = mapped_column(ForeignKey("divisions.code"))
    department: Mapped[Department] = mapped_column(_enum(Department))

    district = relationship("Division")


class StageDeadline(db.Model):
    """Working days allowed for a stage, counted from submission: accept (受理) and finish (办结)."""

    __tablename__ = "report_stage_deadlines"

    stage: Mapped[str] = mapped_column(String(20), primary_key=True)
    working_days: Mapped[int] = mapped_column(Integer)


class ReplyTemplate(db.Model):
    """A ready-made public note staff pick when closing or answering reports."""

    __tablename__ = "report_reply_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[Department | None] = mapped_column(_enum(Department))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)


DEFAULT_ROUTES = {
    Category.CONSTRUCTION: Department.HOUSING,
    Category.HOUSEHOLD: Department.URBAN,
    Category.INDUSTRIAL: Department.ECOLOGY,
    Category.HAZARDOUS: Department.ECOLOGY,
    Category.BURNING: Department.ECOLOGY,
    Category.OTHER: Department.URBAN,
}
DEFAULT_DEADLINES = {"accept": 1, "finish": 10}
