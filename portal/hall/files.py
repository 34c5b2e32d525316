"""Attachments of hall documents: PDF, Word (DOCX), Excel (XLSX) and images, checked by their content.

PDFs and images go through portal.images (a PDF must be whole; an image is re-encoded as JPEG, metadata
dropped). DOCX and XLSX are ZIP packages: accepted only when the package holds the part that makes it a
Word or Excel file, so a renamed archive or executable is refused whatever its name says."""
import io
import secrets
import zipfile
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from ..images import clean_document, read_upload, refuse, upload_dir

FOLDER = "hall"
FIELD = "attachment"
MAX_SIDE = 2400  # an image attachment (a scanned notice) stays readable
OFFICE_PARTS = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
MEDIA_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
NOT_A_DOCUMENT = _l("Attach a PDF, Word (DOCX), Excel (XLSX) or image file.")


def _office_extension(raw: bytes) -> str | None:
    """docx or xlsx when the bytes are an Office Open XML package of that kind, else None."""
    if not raw.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    return next((ext for ext, part in OFFICE_PARTS.items() if part in names), None)


def store_attachment(stream) -> tuple[str, str, int]:
    """Check and store an uploaded attachment under a random name; (stored name, extension, size).
    Raises DomainError naming the field, storing nothing, when the file is too large or of another kind."""
    max_bytes = current_app.config["HALL_ATTACHMENT_MAX_BYTES"]
    raw = read_upload(stream, max_bytes, FIELD,
                      _l("The file is larger than %(mb)s MB.", mb=max_bytes // 1_000_000))
    extension = _office_extension(raw)
    if extension is None:
        if raw.startswith(b"PK"):
            refuse(NOT_A_DOCUMENT, FIELD)
        raw, extension = clean_document(raw, FIELD, NOT_A_DOCUMENT, MAX_SIDE)
    name = f"{secrets.token_hex(16)}.{extension}"
    (upload_dir(FOLDER) / name).write_bytes(raw)
    return name, extension, len(raw)


def attachment_path(stored_name: str) -> Path:
    return upload_dir(FOLDER) / stored_name


def download_name(filename: str, extension: str) -> str:
    """The uploaded name with the extension the content proved (an image is served as the JPEG it became)."""
    stem = Path(filename).stem or "attachment"
    return f"{stem}.{extension}"
