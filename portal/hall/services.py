"""Writing, publishing and withdrawing hall documents, and what the public reads of them.

Services never commit; the view or command that calls them does. Every change is audited; every change
refreshes the SQL search text in the same transaction and flags the document for the Meilisearch index."""
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import select

from .. import audit, auth
from ..accounts.models import Department
from ..clock import china_today
from ..errors import Conflict, DomainError, Forbidden, NotFound
from ..extensions import db
from ..jobs import enqueue
from ..jurisdiction import jurisdiction_code
from ..types import utcnow
from . import search
from .files import attachment_path, store_attachment
from .models import DEFAULT_KINDS, DocStatus, DocumentKind, HallAttachment, HallDocument
from .states import WORKFLOW, is_issuer

AUDITED = ("kind_slug", "title_zh", "title_en", "body_zh", "body_en", "department", "document_number", "issued_on")
MAX_ATTACHMENTS = 10
FIRST_YEAR = 1949  # documents of the People's Republic; older dates are typing mistakes


@dataclass
class DocumentData:
    kind: str
    title_zh: str
    body_zh: str
    issued_on: date | None
    title_en: str | None = None
    body_en: str | None = None
    document_number: str | None = None
    department: str | None = None  # administrators choose it; a regulator issues for its own department


# --- kinds ------------------------------------------------------------------------------------------------

def kinds() -> list[DocumentKind]:
    return list(db.session.scalars(select(DocumentKind).order_by(DocumentKind.position, DocumentKind.slug)))


def ensure_default_kinds() -> None:
    """The three kinds the hall starts with, for a database built by create_all (migration 0021 inserts them)."""
    known = set(db.session.scalars(select(DocumentKind.slug)))
    for slug, name_zh, name_en, position in DEFAULT_KINDS:
        if slug not in known:
            db.session.add(DocumentKind(slug=slug, name_zh=name_zh, name_en=name_en, position=position))
    db.session.flush()


# --- who may write ----------------------------------------------------------------------------------------

def may_write(user) -> bool:
    """Regulators and administrators write hall documents (each for what it may issue)."""
    return auth.is_admin(user) or auth.regulator_of(user) is not None


def _issuer_of(user, department: str | None) -> tuple[Department, str]:
    """The department and jurisdiction a new document of this user is issued by."""
    regulator = auth.regulator_of(user)
    if regulator is not None and not auth.is_admin(user):
        return regulator.department, regulator.jurisdiction_code
    if not auth.is_admin(user):
        raise Forbidden(_("Only regulators publish documents in the information hall."))
    try:
        return Department(department or ""), jurisdiction_code()
    except ValueError:
        message = _("Choose the issuing department.")
        raise DomainError(message, fields={"department": message}) from None


def require_issuer(user, document: HallDocument) -> None:
    if not is_issuer(document, user):
        raise Forbidden(_("Only the issuing department's regulators change its documents."))


def documents_for_staff(user):
    """The documents a writer manages: an administrator all, a regulator its department's in its jurisdiction."""
    query = select(HallDocument).order_by(HallDocument.updated_at.desc(), HallDocument.id.desc())
    if auth.is_admin(user):
        return query
    regulator = auth.regulator_of(user)
    if regulator is None:
        raise Forbidden(_("Only regulators publish documents in the information hall."))
    return query.where(HallDocument.department == regulator.department,
                       HallDocument.jurisdiction_code == regulator.jurisdiction_code)


def get_for_staff(user, document_id: int) -> HallDocument:
    document = db.session.get(HallDocument, document_id)
    if document is None or not (document.status == DocStatus.PUBLISHED or is_issuer(document, user)):
        raise NotFound(_("Not found."))
    return document


# --- writing ----------------------------------------------------------------------------------------------

def _validate(data: DocumentData) -> dict:
    errors = {}
    if db.session.get(DocumentKind, data.kind or "") is None:
        errors["kind"] = _("Choose the kind of document.")
    for name, limit in (("title_zh", 200), ("title_en", 300), ("document_number", 80)):
        value = (getattr(data, name) or "").strip()
        if len(value) > limit:
            errors[name] = _("At most %(n)s characters.", n=limit)
    if not (data.title_zh or "").strip():
        errors["title_zh"] = _("Enter the title in Chinese.")
    if not (data.body_zh or "").strip():
        errors["body_zh"] = _("Enter the text in Chinese.")
    elif len(data.body_zh) > 100_000 or len(data.body_en or "") > 100_000:
        errors["body_zh"] = _("At most %(n)s characters.", n=100_000)
    if data.issued_on is None:
        errors["issued_on"] = _("Enter the publication date.")
    elif not date(FIRST_YEAR, 1, 1) <= data.issued_on <= china_today():
        errors["issued_on"] = _("The publication date must lie between %(first)s and today.", first=FIRST_YEAR)
    if errors:
        raise DomainError(next(iter(errors.values())), fields=errors)
    return {"kind_slug": data.kind, "title_zh": data.title_zh.strip(), "title_en": (data.title_en or "").strip() or None,
            "body_zh": data.body_zh.strip(), "body_en": (data.body_en or "").strip() or None,
            "document_number": (data.document_number or "").strip() or None, "issued_on": data.issued_on}


def _changed(document: HallDocument) -> None:
    """Keep the search text and the index in step with the document, in the caller's transaction."""
    document.kind = db.session.get(DocumentKind, document.kind_slug)
    search.refresh_search_text(document)
    enqueue(search.drain, after_commit=True, in_request=False)


def create_document(user, data: DocumentData) -> HallDocument:
    """A new draft issued by the user's department (an administrator names the department)."""
    values = _validate(data)
    department, jurisdiction = _issuer_of(user, data.department)
    document = HallDocument(**values, department=department, jurisdiction_code=jurisdiction,
                            created_by_id=user.id, status=DocStatus.DRAFT.value)
    db.session.add(document)
    _changed(document)
    db.session.flush()
    audit.record("hall_document.create", document, actor=user, after=audit.snapshot(document, AUDITED))
    return document


def require_editable(user, document: HallDocument) -> None:
    """Only drafts change: a published document is withdrawn and redrafted first, so what was public is on record."""
    require_issuer(user, document)
    if document.status != DocStatus.DRAFT:
        raise Conflict(_("Only a draft can be changed. Withdraw the document and take it back to draft first."),
                       fields={"state": document.status}, code="invalid_transition")


def update_document(user, document: HallDocument, data: DocumentData) -> HallDocument:
    """Change a draft."""
    require_editable(user, document)
    values = _validate(data)
    before = audit.snapshot(document, AUDITED)
    for name, value in values.items():
        setattr(document, name, value)
    _changed(document)
    audit.record("hall_document.update", document, actor=user, before=before, after=audit.snapshot(document, AUDITED))
    return document


def take_step(user, document: HallDocument, action: str) -> HallDocument:
    """publish, withdraw or redraft: 403 → 409 → claim and audit, by the workflow's table."""
    values = {"published_at": utcnow()} if action == "publish" else None
    WORKFLOW.step(document, action, user, values=values)
    document.index_pending = True
    enqueue(search.drain, after_commit=True, in_request=False)
    return document


def add_attachment(user, document: HallDocument, stream, filename: str) -> HallAttachment:
    require_editable(user, document)
    if len(document.attachments) >= MAX_ATTACHMENTS:
        message = _("A document has at most %(n)s attachments.", n=MAX_ATTACHMENTS)
        raise DomainError(message, fields={"attachment": message})
    name = Path(filename or "").name[:200] or "attachment"
    stored, extension, size = store_attachment(stream)
    attachment = HallAttachment(document=document, filename=name, stored_name=stored, extension=extension, size=size)
    db.session.add(attachment)
    db.session.flush()
    audit.record("hall_document.attach", document, actor=user,
                 after={"attachment_id": attachment.id, "filename": name, "extension": extension, "size": size})
    return attachment


def remove_attachment(user, attachment: HallAttachment) -> None:
    document = attachment.document
    require_editable(user, document)
    audit.record("hall_document.detach", document, actor=user,
                 before={"attachment_id": attachment.id, "filename": attachment.filename})
    attachment_path(attachment.stored_name).unlink(missing_ok=True)
    db.session.delete(attachment)


# --- what the public reads --------------------------------------------------------------------------------

def get_published(document_id: int, user=None) -> HallDocument:
    """A published document; its issuers also see it as a draft or withdrawn (a preview), nobody else does."""
    document = db.session.get(HallDocument, document_id)
    if document is None or (document.status != DocStatus.PUBLISHED and not (user and is_issuer(document, user))):
        raise NotFound(_("Not found."))
    return document


def get_attachment(document_id: int, attachment_id: int, user=None) -> HallAttachment:
    document = get_published(document_id, user)
    attachment = db.session.get(HallAttachment, attachment_id)
    if attachment is None or attachment.document_id != document.id:
        raise NotFound(_("Not found."))
    return attachment


def latest(count: int = 5) -> list[HallDocument]:
    return list(db.session.scalars(select(HallDocument).where(HallDocument.status == DocStatus.PUBLISHED.value)
                                   .order_by(HallDocument.issued_on.desc(), HallDocument.id.desc()).limit(count)))


def published_years() -> list[int]:
    """The years that have published documents, newest first (the year filter's choices)."""
    dates = db.session.scalars(select(HallDocument.issued_on).where(HallDocument.status == DocStatus.PUBLISHED.value))
    return sorted({d.year for d in dates}, reverse=True)
