"""The one audit trail: who did what to which object, when, with the values before and after."""
from datetime import datetime

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .types import UTCDateTime, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(60), index=True)
    object_id: Mapped[str | None] = mapped_column(String(60), index=True)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(45))


def snapshot(obj, fields) -> dict:
    """The audited fields of obj as JSON-safe values."""
    return {f: _json_safe(getattr(obj, f)) for f in fields}


def _json_safe(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def record(action: str, obj=None, *, before: dict | None = None, after: dict | None = None,
           actor=None, organisation_id: int | None = None, object_type: str | None = None,
           object_id=None) -> AuditEntry:
    """Add an audit entry to the session; the caller commits it together with the change."""
    if actor is None and has_request_context() and current_user and current_user.is_authenticated:
        actor = current_user
    if obj is not None and getattr(obj, "id", None) is None:
        db.session.flush()  # a new object needs its id; a stored one's change goes out with the next flush
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        organisation_id=organisation_id,
        action=action,
        object_type=object_type or (obj.__tablename__ if obj is not None else "system"),
        object_id=str(object_id if object_id is not None else getattr(obj, "id", "")) or None,
        before=before,
        after=after,
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry
