"""Business licences (营业执照) sent with an organisation's registration: a scan or photo, or the PDF of the
electronic licence, checked by content and stored under UPLOAD_DIR/licences. Images are re-encoded without
metadata; a PDF is kept as sent once its signature says it is one (portal.images.clean_document)."""
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal import images

MAX_LICENCE_BYTES = 10 * 1024 * 1024
MAX_SIDE = 3000  # a licence's small print must stay legible
FIELD = "business_licence"
NOT_A_LICENCE = _l("The business licence must be a JPEG, PNG or WebP image or a PDF file.")


def licence_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "licences"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_licence(stream) -> str:
    """Check, clean and store a licence file; returns the stored name. Raises DomainError on bad files."""
    raw = images.read_upload(stream, MAX_LICENCE_BYTES, FIELD,
                             _l("The business licence may be at most %(mb)s MB.",
                                mb=MAX_LICENCE_BYTES // (1024 * 1024)))
    data, ext = images.clean_document(raw, FIELD, NOT_A_LICENCE, MAX_SIDE, quality=90)
    name = f"{secrets.token_hex(16)}.{ext}"
    (licence_dir() / name).write_bytes(data)
    return name
