"""Cases, their timeline and attachments, the duty matrix, the time limits and the in-app notices.

The loop follows the 12345 hotline work order (受理 → 派单 → 办理 → 反馈 → 办结 → 回访 → 评价); see
portal/coordination/data/SOURCES.md for where each rule and time limit comes from."""
import enum
from datetime import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Department
from ..extensions import db
from ..types import UTCDateTime, utcnow
from ..workflow import status_check


def _enum(cls):
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class CaseType(enum.StrEnum):
    ILLEGAL_DUMPING = "illegal_dumping"  # 非法倾倒
    OPEN_BURNING = "open_burning"  # 露天焚烧
    INDUSTRIAL_WASTE = "industrial_waste"  # 工业固体废物违规倾倒、堆放
    HAZARDOUS_WASTE = "hazardous_waste"  # 危险废物违规
    MONITORING_ALERT = "monitoring_alert"  # 监管预警
    INSPECTION = "inspection"  # 检查发现问题
    HOTLINE = "hotline"  # 12345 诉求
    EMERGENCY = "emergency"  # 突发事件处置任务
    MEETING_TASK = "meeting_task"  # 协调会议定事项
    OTHER = "other"


CASE_TYPE_LABELS = {
    CaseType.ILLEGAL_DUMPING: _l("Illegal dumping"),
    CaseType.OPEN_BURNING: _l("Open burning of waste"),
    CaseType.INDUSTRIAL_WASTE: _l("Industrial solid waste dumped or stored unlawfully"),
    CaseType.HAZARDOUS_WASTE: _l("Hazardous waste violation"),
    CaseType.MONITORING_ALERT: _l("Monitoring alert"),
    CaseType.INSPECTION: _l("Inspection finding"),
    CaseType.HOTLINE: _l("12345 hotline request"),
    CaseType.EMERGENCY: _l("Emergency response task"),
    CaseType.MEETING_TASK: _l("Task from a coordination meeting"),
    CaseType.OTHER: lazy_pgettext("case type", "Other"),
}


class Source(enum.StrEnum):
    REPORT = "report"
    ALERT = "alert"
    INSPECTION = "inspection"
    HOTLINE = "hotline"
    MANUAL = "manual"
    EMERGENCY = "emergency"
    MEETING = "meeting"


SOURCE_LABELS = {
    Source.REPORT: _l("Public report"),
    Source.ALERT: _l("Alert"),
    Source.INSPECTION: _l("Inspection"),
    Source.HOTLINE: _l("12345 hotline"),
    Source.MANUAL: _l("Opened by hand"),
    Source.EMERGENCY: _l("Emergency scheme"),
    Source.MEETING: _l("Coordination meeting"),
}


class Urgency(enum.StrEnum):
    URGENT = "urgent"
    ORDINARY = "ordinary"


URGENCY_LABELS = {Urgency.URGENT: _l("Urgent"), Urgency.ORDINARY: _l("Ordinary")}


class Status(enum.StrEnum):
    RECEIVED = "received"  # 受理: waiting for dispatch (new, or returned by a department)
    DISPATCHED = "dispatched"  # 派单: with the lead department, no handler yet
    HANDLING = "handling"  # 办理
    REPLIED = "replied"  # 反馈: the lead department reported its result
    CLOSED = "closed"  # 办结
    VISITED = "visited"  # 回访 done, waiting for the rating
    RATED = "rated"  # 评价
    REJECTED = "rejected"  # 不予受理


STATUS_LABELS = {
    Status.RECEIVED: _l("Received"),
    Status.DISPATCHED: _l("Dispatched"),
    Status.HANDLING: _l("Being handled"),
    Status.REPLIED: _l("Result reported"),
    Status.CLOSED: lazy_pgettext("case", "Closed"),
    Status.VISITED: _l("Call-back done"),
    Status.RATED: _l("Rated"),
    Status.REJECTED: _l("Not accepted"),
}
OPEN_STATUSES = (Status.RECEIVED, Status.DISPATCHED, Status.HANDLING, Status.REPLIED)
# the states the clock runs in: a department holds the case
TIMED_STATUSES = (Status.DISPATCHED, Status.HANDLING)


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (status_check(Status), UniqueConstraint("source", "source_ref"))

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    case_type: Mapped[CaseType] = mapped_column(_enum(CaseType), index=True)
    source: Mapped[Source] = mapped_column(_enum(Source), index=True)
    # the originating record: a report's tracking code, an alert's id, the hotline's order number …
    source_ref: Mapped[str | None] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    district_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    lat: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    lon: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    urgency: Mapped[Urgency] = mapped_column(_enum(Urgency), default=Urgency.ORDINARY)
    status: Mapped[Status] = mapped_column(_enum(Status), default=Status.RECEIVED, index=True)
    lead_department: Mapped[Department | None] = mapped_column(_enum(Department), index=True)
    co_departments: Mapped[list] = mapped_column(JSON, default=list)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # a caller of the hotline or a filer who wants to hear back (never shown beyond the handlers)
    contact_phone: Mapped[str | None] = mapped_column(String(30))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # a department may return the case until then (退单)
    return_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None while the time limit for the case's urgency is missing (the city has to set it)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the platform designated the department after a return: it may not return the case again (潍坊 22)
    designated: Mapped[bool] = mapped_column(Boolean, default=False)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_note: Mapped[str | None] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))

    district = relationship("Division")
    assignee = relationship("User", foreign_keys=[assignee_id])
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    events: Mapped[list["CaseEvent"]] = relationship(back_populates="case", order_by="CaseEvent.id",
                                                     cascade="all, delete-orphan")
    attachments: Mapped[list["CaseAttachment"]] = relationship(back_populates="case", order_by="CaseAttachment.id",
                                                               cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def type_label(self) -> str:
        return str(CASE_TYPE_LABELS[self.case_type])

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def urgency_label(self) -> str:
        return str(URGENCY_LABELS[self.urgency])

    @property
    def source_label(self) -> str:
        return str(SOURCE_LABELS[self.source])

    def on_time(self) -> bool | None:
        """Was the result reported within the limit? None while open or without a limit."""
        if self.due_at is None or self.replied_at is None:
            return None
        return self.replied_at <= self.due_at


class CaseEvent(db.Model):
    """One entry of the case's timeline: a step, a comment or a co-handler's feedback."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(20))
    status: Mapped[Status] = mapped_column(_enum(Status))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    department: Mapped[Department | None] = mapped_column(_enum(Department))
    note: Mapped[str | None] = mapped_column(Text)
    # what the citizen who filed the report may read on the follow page
    public: Mapped[bool] = mapped_column(Boolean, default=False)

    case: Mapped[Case] = relationship(back_populates="events")
    actor = relationship("User")
    attachments: Mapped[list["CaseAttachment"]] = relationship(back_populates="event")


class CaseAttachment(db.Model):
    """A photo (re-encoded, metadata stripped) or a document attached to a timeline entry."""

    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("case_events.id"))
    kind: Mapped[str] = mapped_column(String(10))  # photo or document
    filename: Mapped[str] = mapped_column(String(100), unique=True)
    original_name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="attachments")
    event: Mapped[CaseEvent | None] = relationship(back_populates="attachments")


class DutyRule(db.Model):
    """Duty matrix row: case type × district → lead department and co-handling departments.
    A NULL district is the rule for every district without its own row."""

    __tablename__ = "case_duty_rules"
    __table_args__ = (UniqueConstraint("case_type", "district_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_type: Mapped[CaseType] = mapped_column(_enum(CaseType))
    district_code: Mapped[str | None] = mapped_column(ForeignKey("divisions.code"))
    lead_department: Mapped[Department] = mapped_column(_enum(Department))
    co_departments: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    district = relationship("Division")


class TimeLimit(db.Model):
    """How long a stage may take for one urgency: an amount of working days or hours. A NULL amount is a
    limit the shared material does not give; the city sets it and until then the pages say it is missing."""

    __tablename__ = "case_time_limits"

    urgency: Mapped[Urgency] = mapped_column(_enum(Urgency), primary_key=True)
    stage: Mapped[str] = mapped_column(String(20), primary_key=True)  # handle, return, remind
    amount: Mapped[int | None] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(12), default="working_days")  # working_days or hours
    source: Mapped[str | None] = mapped_column(String(200))


class CaseNotice(db.Model):
    """An in-app notice to one user about a case, read on the cases page."""

    __tablename__ = "case_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    case: Mapped[Case] = relationship()


class CaseMessage(db.Model):
    """A message about a case sent through the outbox (e-mail or SMS); its delivery state is the outbox row's."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox_messages.id"))

    outbox = relationship("OutboxMessage")


class Meeting(db.Model):
    """A coordination meeting (协调会议): participants, agenda, minutes, and decisions that open tasks as cases."""

    __tablename__ = "case_meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    place: Mapped[str | None] = mapped_column(String(200))
    agenda: Mapped[str] = mapped_column(Text)
    minutes: Mapped[str | None] = mapped_column(Text)
    # the room of the city's video-conference system, when one is configured (VIDEO_CONFERENCE_URL)
    video_url: Mapped[str | None] = mapped_column(String(300))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case | None] = relationship()
    participants: Mapped[list["MeetingParticipant"]] = relationship(back_populates="meeting",
                                                                    cascade="all, delete-orphan")
    decisions: Mapped[list["MeetingDecision"]] = relationship(back_populates="meeting", order_by="MeetingDecision.id",
                                                              cascade="all, delete-orphan")


class MeetingParticipant(db.Model):
    __tablename__ = "case_meeting_participants"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("case_meetings.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="participants")
    user = relationship("User")


class MeetingDecision(db.Model):
    """A decision of the meeting; the task it gives a department is a case (source meeting)."""

    __tablename__ = "case_meeting_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("case_meetings.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    department: Mapped[Department] = mapped_column(_enum(Department))
    task_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="decisions")
    task_case: Mapped[Case | None] = relationship()
