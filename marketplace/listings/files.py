"""Uploaded photos and lab reports of listings: checked, re-encoded or sniffed, stored under UPLOAD_DIR.

Photos are decoded only after their pixel count is checked, re-encoded as JPEG without any metadata
(EXIF, GPS, ICC) and given a thumbnail; a lab report must really be a PDF (kept as sent) or an image
(re-encoded the same way), by its bytes. Every upload of a form is checked before any is stored."""
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal import images

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_SIDE = 1600
THUMB_SIDE = 320
MAX_PHOTOS = 6
MAX_REPORT_BYTES = 10 * 1024 * 1024
REPORT_MAX_SIDE = 2400  # a scanned page stays legible
# what a stored lab report is served as; "png" for reports stored before images were re-encoded
REPORT_MIMETYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}


@dataclass
class CleanPhoto:
    data: bytes
    thumbnail: bytes
    width: int
    height: int


def clean_photo(stream, field: str = "photos") -> CleanPhoto:
    """A validated photo, upright, scaled, re-encoded without metadata, with its thumbnail."""
    raw = images.read_upload(stream, MAX_PHOTO_BYTES, field,
                             _l("A photo may be at most %(mb)s MB.", mb=MAX_PHOTO_BYTES // (1024 * 1024)))
    image = images.upright_rgb(images.open_image(raw, field))
    data, width, height = images.to_jpeg(image, MAX_SIDE)
    thumbnail, _w, _h = images.to_jpeg(image, THUMB_SIDE)
    return CleanPhoto(data, thumbnail, width, height)


def upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "listings"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_photo(photo: CleanPhoto) -> tuple[str, str]:
    """Write photo and thumbnail under unguessable names; returns both names."""
    name = secrets.token_hex(16)
    (upload_dir() / f"{name}.jpg").write_bytes(photo.data)
    (upload_dir() / f"{name}_t.jpg").write_bytes(photo.thumbnail)
    return f"{name}.jpg", f"{name}_t.jpg"


@dataclass
class CleanReport:
    data: bytes
    extension: str


def clean_lab_report(stream, field: str = "lab_report") -> CleanReport:
    """A lab report that is a PDF or an image by its content (not its name), images without metadata."""
    raw = images.read_upload(stream, MAX_REPORT_BYTES, field,
                             _l("A lab report may be at most %(mb)s MB.", mb=MAX_REPORT_BYTES // (1024 * 1024)))
    data, extension = images.clean_document(raw, field, _l("A lab report must be a PDF file or a JPEG, PNG or "
                                                           "WebP image."), REPORT_MAX_SIDE)
    return CleanReport(data, extension)


def store_lab_report(report: CleanReport) -> str:
    """Write a checked lab report under an unguessable name; returns the name."""
    name = f"{secrets.token_hex(16)}.{report.extension}"
    (upload_dir() / name).write_bytes(report.data)
    return name
