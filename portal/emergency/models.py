"""Emergency plans, their templates, the reference data a response draws on (resources, sensitive places,
handling guidance, grading rules) and incidents with their versioned response schemes."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Organisation, User
from ..extensions import db
from ..types import UTCDateTime, utcnow
from ..workflow import status_check

PLAN_KINDS = ("enterprise", "district", "city")
PLAN_STATUSES = ("draft", "submitted", "returned", "filed")
# HJ 941-2018's three grades of an enterprise's environmental risk
RISK_LEVELS = ("general", "larger", "major")
E_CLASSES = ("E1", "E2", "E3")
# 国办函〔2014〕119号: 特别重大 Ⅰ, 重大 Ⅱ, 较大 Ⅲ, 一般 Ⅳ
EVENT_LEVELS = ("I", "II", "III", "IV")
EVENT_CRITERIA = ("deaths", "poisoned", "evacuated", "loss_yuan")
EVENT_TYPES = ("leak", "fire_explosion", "illegal_dumping", "transport_accident", "water_pollution", "other")
INCIDENT_STATUSES = ("open", "issued", "closed")
SCHEME_STATUSES = ("draft", "issued", "superseded")
RESOURCE_KINDS = ("store", "team", "equipment")
PLACE_KINDS = ("water_source", "school", "hospital", "residential")
HAZARD_LETTERS = ("T", "C", "I", "R", "In")


def kind_check(kinds, column: str = "kind") -> CheckConstraint:
    """A CHECK listing a classifying column's values; named *_known, since *_valid marks a workflow's states."""
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    return CheckConstraint(f"{column} IN ({listed})", name=f"{column}_known")


class PlanTemplate(db.Model):
    """The sections a plan of one kind is written in, managed by admins (模板管理)."""

    __tablename__ = "emergency_plan_templates"
    __table_args__ = (kind_check(PLAN_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(200))
    sections: Mapped[list] = mapped_column(JSON)  # [{"key": "s1", "title": "…"}], in the plan's order
    source: Mapped[str | None] = mapped_column(Text)  # where the structure comes from
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EmergencyPlan(db.Model):
    """An enterprise's plan filed for 备案, or a government (district, city) plan with its response levels."""

    __tablename__ = "emergency_plans"
    __table_args__ = (status_check(PLAN_STATUSES), kind_check(PLAN_KINDS))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), index=True)
    title: Mapped[str] = mapped_column(String(200))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("emergency_plan_templates.id"))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    sections: Mapped[dict] = mapped_column(JSON, default=dict)  # template section key → text
    waste_codes: Mapped[str] = mapped_column(String(500), default="")  # comma list, for look-up
    event_types: Mapped[str] = mapped_column(String(200), default="")  # comma list of EVENT_TYPES
    response_levels: Mapped[str] = mapped_column(String(20), default="")  # government plans: comma list of I–IV
    # HJ 941-2018 inputs as the enterprise's risk assessment states them, and the level it concluded
    risk_q: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    risk_m: Mapped[int | None] = mapped_column(Integer)
    risk_e: Mapped[str | None] = mapped_column(String(2))
    risk_level: Mapped[str | None] = mapped_column(String(10))
    reviewed_on: Mapped[date | None] = mapped_column(Date)  # 专家评审
    signed_on: Mapped[date | None] = mapped_column(Date)  # 主要负责人签署发布
    valid_until: Mapped[date | None] = mapped_column(Date, index=True)
    filing_number: Mapped[str | None] = mapped_column(String(60), unique=True)
    return_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # revision reminder sent for this filing

    organisation: Mapped[Organisation | None] = relationship()
    template: Mapped[PlanTemplate | None] = relationship()
    filed_by: Mapped[User | None] = relationship(foreign_keys=[filed_by_id])

    @property
    def code_list(self) -> list[str]:
        return [c for c in self.waste_codes.split(",") if c]

    @property
    def event_type_list(self) -> list[str]:
        return [t for t in self.event_types.split(",") if t]

    @property
    def level_list(self) -> list[str]:
        return [lv for lv in self.response_levels.split(",") if lv]


class RiskGradingRule(db.Model):
    """One cell of HJ 941-2018's Q–M–E matrix, entered by the city from the standard's text (not shipped:
    the material could not verify it)."""

    __tablename__ = "emergency_risk_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    e_class: Mapped[str] = mapped_column(String(2))
    q_min: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    q_max: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))  # exclusive; None: no upper bound
    m_min: Mapped[int] = mapped_column(Integer)
    m_max: Mapped[int | None] = mapped_column(Integer)  # exclusive
    level: Mapped[str] = mapped_column(String(10))


class EventLevelRule(db.Model):
    """A threshold of the event grading (国家突发环境事件应急预案 附件1): an event reaching min_value on the
    criterion is at least of this level."""

    __tablename__ = "emergency_event_rules"
    __table_args__ = (UniqueConstraint("level", "criterion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(4))
    criterion: Mapped[str] = mapped_column(String(20))
    min_value: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(Text)


class HazardGuidance(db.Model):
    """Handling guidance of the knowledge base, for a hazard characteristic or a waste code (the more specific
    one is shown first)."""

    __tablename__ = "emergency_guidance"

    id: Mapped[int] = mapped_column(primary_key=True)
    hazard: Mapped[str | None] = mapped_column(String(3), index=True)
    waste_code: Mapped[str | None] = mapped_column(String(12), index=True)
    title: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EmergencyResource(db.Model):
    """A registered material store, response team or piece of equipment, with its place."""

    __tablename__ = "emergency_resources"
    __table_args__ = (kind_check(RESOURCE_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    district_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    lat: Mapped[Decimal] = mapped_column(Numeric(9, 6), index=True)
    lon: Mapped[Decimal] = mapped_column(Numeric(9, 6), index=True)
    details: Mapped[str | None] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(30))

    organisation: Mapped[Organisation | None] = relationship()


class SensitivePlace(db.Model):
    """A water source, school, hospital or residential area registered as a map point."""

    __tablename__ = "emergency_sensitive_places"
    __table_args__ = (kind_check(PLACE_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(14), index=True)
    name: Mapped[str] = mapped_column(String(200))
    district_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    lat: Mapped[Decimal] = mapped_column(Numeric(9, 6), index=True)
    lon: Mapped[Decimal] = mapped_column(Numeric(9, 6), index=True)


class Incident(db.Model):
    """A 突发环境事件 recorded by a regulator: where, what, which wastes and how much."""

    __tablename__ = "emergency_incidents"
    __table_args__ = (status_check(INCIDENT_STATUSES), kind_check(EVENT_TYPES, "event_type"))

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    lat: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    lon: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    district_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    reporter: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    radius_m: Mapped[int] = mapped_column(Integer)  # how far sensitive places are looked for
    # first estimates, for the event-level rules; None: not known yet
    deaths: Mapped[int | None] = mapped_column(Integer)
    poisoned: Mapped[int | None] = mapped_column(Integer)
    evacuated: Mapped[int | None] = mapped_column(Integer)
    loss_yuan: Mapped[int | None] = mapped_column(BigInteger)
    closing_summary: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    wastes: Mapped[list["IncidentWaste"]] = relationship(back_populates="incident", cascade="all, delete-orphan",
                                                         order_by="IncidentWaste.id")
    schemes: Mapped[list["ResponseScheme"]] = relationship(back_populates="incident", cascade="all, delete-orphan",
                                                           order_by="ResponseScheme.version")
    events: Mapped[list["IncidentEvent"]] = relationship(back_populates="incident", cascade="all, delete-orphan",
                                                         order_by="IncidentEvent.id")

    @property
    def current_scheme(self) -> "ResponseScheme | None":
        return self.schemes[-1] if self.schemes else None


class IncidentWaste(db.Model):
    __tablename__ = "emergency_incident_wastes"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("emergency_incidents.id", ondelete="CASCADE"), index=True)
    waste_code: Mapped[str] = mapped_column(String(12), index=True)
    estimated_g: Mapped[int | None] = mapped_column(BigInteger)

    incident: Mapped[Incident] = relationship(back_populates="wastes")


class ResponseScheme(db.Model):
    """One version of the response scheme (处置方案): the facts drafted by the platform, what the regulator
    wrote, and whom it names."""

    __tablename__ = "emergency_schemes"
    __table_args__ = (status_check(SCHEME_STATUSES), UniqueConstraint("incident_id", "version"))

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("emergency_incidents.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    drafted: Mapped[dict] = mapped_column(JSON)  # plans, level, hazards, facilities, resources, places, similar
    response_level: Mapped[str | None] = mapped_column(String(4))
    instructions: Mapped[str] = mapped_column(Text, default="")  # 先期处置, command, reporting, public information
    departments: Mapped[str] = mapped_column(String(200), default="")  # comma list of Department values
    organisation_ids: Mapped[list] = mapped_column(JSON, default=list)  # enterprises named
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    incident: Mapped[Incident] = relationship(back_populates="schemes")
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])

    @property
    def department_list(self) -> list[str]:
        return [d for d in self.departments.split(",") if d]


class IncidentEvent(db.Model):
    """The incident's timeline: recorded, drafted, edited, issued, notes, closed."""

    __tablename__ = "emergency_incident_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("emergency_incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)

    incident: Mapped[Incident] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
