"""Proofs of payment (a bank slip photo or the bank's PDF), checked by content, stored under UPLOAD_DIR.

Images are decoded only after their pixel count is checked and re-encoded as JPEG without metadata;
a PDF is kept as sent once its magic bytes say it is one. Anything else is refused before it is stored."""
import io
import secrets
import warnings
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.errors import DomainError

MAX_PROOF_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 2400
FIELD = "proof"


def _refuse(message):
    raise DomainError(message, fields={FIELD: message})


def proof_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "payments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _reencode(raw: bytes) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(raw))
            if image.format not in ("JPEG", "PNG", "WEBP"):
                _refuse(_l("The proof must be a JPEG, PNG or WebP image or a PDF file."))
            if image.width * image.height > MAX_PIXELS:
                raise Image.DecompressionBombError("too many pixels")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _refuse(_l("This image is too large to process."))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        _refuse(_l("The proof must be a JPEG, PNG or WebP image or a PDF file."))
    image = ImageOps.exif_transpose(image).convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88, optimize=True)  # no exif=/icc_profile=: pixels only
    return out.getvalue()


def store_proof(stream) -> str:
    """Check, clean and store a proof file; returns the stored name. Raises DomainError on bad files."""
    raw = stream.read(MAX_PROOF_BYTES + 1)
    if len(raw) > MAX_PROOF_BYTES:
        _refuse(_l("The proof may be at most %(mb)s MB.", mb=MAX_PROOF_BYTES // (1024 * 1024)))
    if not raw:
        _refuse(_l("The file is empty."))
    if raw.startswith(b"%PDF-"):
        data, ext = raw, "pdf"
    else:
        data, ext = _reencode(raw), "jpg"
    name = f"{secrets.token_hex(16)}.{ext}"
    (proof_dir() / name).write_bytes(data)
    return name
