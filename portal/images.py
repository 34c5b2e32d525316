"""Uploaded images, checked the same way everywhere: size first, then format and pixel count from the
header alone (Pillow decodes nothing on open), so a decompression bomb is refused before it costs memory;
then re-encoded as JPEG from the pixels only, so no EXIF, GPS or ICC data survives.

Uploaded documents (lab reports, proofs of payment) are a PDF or an image, told apart by their bytes,
never by the file name or the browser's Content-Type: a PDF is kept as sent once its signature says it is
one, an image is cleaned as above, anything else is refused before a byte is stored."""
import io
import re
import secrets
import warnings
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import DomainError

MAX_PIXELS = 40_000_000  # a 40-megapixel phone photo; anything larger is refused
WEB_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
# a PDF starts with its version header and ends with %%EOF, which readers look for in the last KiB
PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
PDF_TAIL = 1024


def refuse(message, field: str):
    raise DomainError(message, fields={field: message})


def read_upload(stream, max_bytes: int, field: str, too_large) -> bytes:
    """The upload's bytes, refused (not truncated) with the message too_large when over max_bytes."""
    raw = stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        refuse(too_large, field)
    if not raw:
        refuse(_l("The file is empty."), field)
    return raw


def open_image(raw: bytes, field: str, *, formats=WEB_FORMATS, not_an_image=None) -> Image.Image:
    """A decoded image of one of the accepted formats, or a DomainError naming the field."""
    not_an_image = not_an_image or _l("This file is not an image we can read (JPEG, PNG or WebP).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            if image.format not in formats:
                refuse(not_an_image, field)
            if image.width * image.height > MAX_PIXELS:
                raise Image.DecompressionBombError("too many pixels")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        refuse(_l("This image is too large to process."), field)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        refuse(not_an_image, field)
    return image


def upright_rgb(image: Image.Image) -> Image.Image:
    """The image turned the way the camera held it, in RGB (what JPEG stores)."""
    return ImageOps.exif_transpose(image).convert("RGB")


def to_jpeg(image: Image.Image, max_side: int, quality: int = 85) -> tuple[bytes, int, int]:
    """A scaled copy as JPEG bytes with its size; saving without exif/icc arguments writes pixels only."""
    copy = image.copy()
    copy.thumbnail((max_side, max_side))
    out = io.BytesIO()
    copy.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue(), copy.width, copy.height


def is_pdf(raw: bytes) -> bool:
    """Whether the bytes are a whole PDF by its signature: the version header first, %%EOF at the end."""
    return PDF_HEADER.match(raw) is not None and b"%%EOF" in raw[-PDF_TAIL:]


def clean_document(raw: bytes, field: str, not_a_document, max_side: int, quality: int = 85) -> tuple[bytes, str]:
    """A PDF as sent, or an image re-encoded as JPEG without metadata, with its file extension;
    a DomainError with not_a_document for any other content, whatever its name said."""
    if raw.startswith(b"%PDF"):
        if not is_pdf(raw):
            refuse(not_a_document, field)
        return raw, "pdf"
    image = upright_rgb(open_image(raw, field, not_an_image=not_a_document))
    return to_jpeg(image, max_side, quality=quality)[0], "jpg"


def upload_dir(folder: str) -> Path:
    """UPLOAD_DIR/folder, created when missing."""
    path = Path(current_app.config["UPLOAD_DIR"]) / folder
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_document(stream, folder: str, *, field: str, max_bytes: int, too_large, not_a_document, max_side: int,
                   quality: int) -> str:
    """Read, check and clean an uploaded document (clean_document) and store it under a random name in
    UPLOAD_DIR/folder; returns the name. Raises DomainError, storing nothing, on a file too large or of another kind."""
    data, ext = clean_document(read_upload(stream, max_bytes, field, too_large), field, not_a_document, max_side,
                               quality=quality)
    name = f"{secrets.token_hex(16)}.{ext}"
    (upload_dir(folder) / name).write_bytes(data)
    return name
