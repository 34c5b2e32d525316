"""Users, organisations, memberships, regulators, invitations and API tokens."""
import enum
from datetime import datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import Boolean, Enum, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..types import UTCDateTime, utcnow
from ..workflow import status_check


class Role(enum.StrEnum):
    """A member's role inside an organisation."""

    ADMIN = "admin"
    STAFF = "staff"
    DRIVER = "driver"


class OrgStatus(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


def _enum(cls):
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    mobile: Mapped[str | None] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    locale: Mapped[str | None] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The 30-second step of the last code accepted: a code is good once, not again within its window.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # Copied into each session at sign-in; raising it ends every session that holds an older value.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list["Membership"]] = relationship(back_populates="user", cascade="all, delete-orphan")
    regulator: Mapped["Regulator | None"] = relationship(back_populates="user", uselist=False)

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def login(self) -> str:
        return self.email or self.mobile or ""

    @property
    def needs_totp(self) -> bool:
        """Regulators and platform admins must use two-factor authentication."""
        return self.is_platform_admin or self.regulator is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.login}>"


class Organisation(db.Model):
    """An enterprise or institution, identified by its 统一社会信用代码 (USCC)."""

    __tablename__ = "organisations"
    __table_args__ = (status_check(OrgStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    district_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    lat: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    lon: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    contact_name: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(30))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    is_generator: Mapped[bool] = mapped_column(Boolean, default=False)
    is_transporter: Mapped[bool] = mapped_column(Boolean, default=False)
    is_collector: Mapped[bool] = mapped_column(Boolean, default=False)
    is_receiver: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[OrgStatus] = mapped_column(_enum(OrgStatus), default=OrgStatus.PENDING, index=True)
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # the business licence (营业执照) the reviewer checks the registration against: the stored file under
    # UPLOAD_DIR/licences, the name it was sent with, and when
    licence_file: Mapped[str | None] = mapped_column(String(100))
    licence_name: Mapped[str | None] = mapped_column(String(200))
    licence_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list["Membership"]] = relationship(back_populates="organisation", cascade="all, delete-orphan")
    district: Mapped["Division"] = relationship()  # noqa: F821 (defined in portal.regulatory.models)

    CAPABILITIES = ("is_generator", "is_transporter", "is_collector", "is_receiver")

    @property
    def is_verified(self) -> bool:
        return self.status == OrgStatus.VERIFIED

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.uscc}>"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role), default=Role.STAFF)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class Invitation(db.Model):
    """An org admin's invitation; the token travels by mail and is stored only as a hash."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[Role] = mapped_column(_enum(Role))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()


class Department(enum.StrEnum):
    """Regulating departments of a Chinese city government."""

    ECOLOGY = "ecology"  # 生态环境局
    URBAN = "urban"  # 城市管理局
    HOUSING = "housing"  # 住房和城乡建设局
    AGRICULTURE = "agriculture"  # 农业农村局
    HEALTH = "health"  # 卫生健康委员会
    TRANSPORT = "transport"  # 交通运输局
    POLICE = "police"  # 公安局


class Regulator(db.Model):
    """A user who works for a department, with a jurisdiction: the city or one district."""

    __tablename__ = "regulators"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    department: Mapped[Department] = mapped_column(_enum(Department))
    jurisdiction_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"))
    is_head: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(back_populates="regulator")
    jurisdiction: Mapped["Division"] = relationship()  # noqa: F821


class ApiToken(db.Model):
    """A personal API token acting for one organisation; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation | None] = relationship()
