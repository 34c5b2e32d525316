"""Outgoing mail and SMS. Every message is a row first; a job delivers it when SMTP is configured,
otherwise the row stays in the outbox that admins read (the embedded default)."""
import smtplib
from datetime import datetime
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .jobs import enqueue
from .sms import SmsError, configured_provider
from .types import UTCDateTime, utcnow


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10), default="email")  # email or sms
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)


def send_message(recipient: str, subject: str, body: str, *, channel: str = "email", user=None) -> OutboxMessage:
    """Queue a message in the same transaction as the change that caused it."""
    message = OutboxMessage(channel=channel, recipient=recipient, subject=subject, body=body,
                            user_id=getattr(user, "id", None))
    db.session.add(message)
    db.session.flush()
    if channel == "email" and current_app.config.get("MAIL_SERVER"):
        enqueue(deliver_pending, after_commit=True)
    if channel == "sms" and configured_provider() is not None:
        enqueue(deliver_pending_sms, after_commit=True)
    return message


def deliver_pending() -> int:
    """Send every unsent e-mail of the outbox over SMTP; returns the number sent."""
    config = current_app.config
    pending = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.channel == "email")).all()
    if not pending or not config.get("MAIL_SERVER"):
        return 0
    sent = 0
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        for message in pending:
            mail = EmailMessage()
            mail["From"], mail["To"], mail["Subject"] = config["MAIL_SENDER"], message.recipient, message.subject
            mail.set_content(message.body)
            try:
                smtp.send_message(mail)
                message.sent_at, message.error = utcnow(), None
                sent += 1
            except smtplib.SMTPException as exc:
                message.error = str(exc)
    db.session.commit()
    return sent


def deliver_pending_sms() -> int:
    """Send every unsent SMS of the outbox through the configured provider; returns the number sent. A refusal
    is kept on the row as its error (its delivery state) and the next run tries it again."""
    provider = configured_provider()
    if provider is None:
        return 0
    pending = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.channel == "sms")).all()
    sent = 0
    for message in pending:
        try:
            provider.send(message.recipient, f"{message.subject}: {message.body}")
            message.sent_at, message.error = utcnow(), None
            sent += 1
        except SmsError as exc:
            message.error = str(exc)
    db.session.commit()
    return sent
