"""Proofs of payment (a bank slip photo or the bank's PDF), checked by content, stored under UPLOAD_DIR.

Images are decoded only after their pixel count is checked and re-encoded as JPEG without metadata;
a PDF is kept as sent once its magic bytes say it is one. Anything else is refused before it is stored."""
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l

from portal import images

MAX_PROOF_BYTES = 5 * 1024 * 1024
MAX_SIDE = 2400
FIELD = "proof"
NOT_A_PROOF = _l("The proof must be a JPEG, PNG or WebP image or a PDF file.")


def proof_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"]) / "payments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _reencode(raw: bytes) -> bytes:
    image = images.open_image(raw, FIELD, not_an_image=NOT_A_PROOF)
    return images.to_jpeg(images.upright_rgb(image), MAX_SIDE, quality=88)[0]


def store_proof(stream) -> str:
    """Check, clean and store a proof file; returns the stored name. Raises DomainError on bad files."""
    raw = images.read_upload(stream, MAX_PROOF_BYTES, FIELD,
                             _l("The proof may be at most %(mb)s MB.", mb=MAX_PROOF_BYTES // (1024 * 1024)))
    if raw.startswith(b"%PDF-"):
        data, ext = raw, "pdf"
    else:
        data, ext = _reencode(raw), "jpg"
    name = f"{secrets.token_hex(16)}.{ext}"
    (proof_dir() / name).write_bytes(data)
    return name
