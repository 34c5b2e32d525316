"""Proofs of payment (a bank slip photo or the bank's PDF), checked by content, stored under UPLOAD_DIR.

Images are decoded only after their pixel count is checked and re-encoded as JPEG without metadata;
a PDF is kept as sent once its signature says it is one (portal.images.clean_document). Anything else
is refused before it is stored."""
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


def store_proof(stream) -> str:
    """Check, clean and store a proof file; returns the stored name. Raises DomainError on bad files."""
    raw = images.read_upload(stream, MAX_PROOF_BYTES, FIELD,
                             _l("The proof may be at most %(mb)s MB.", mb=MAX_PROOF_BYTES // (1024 * 1024)))
    data, ext = images.clean_document(raw, FIELD, NOT_A_PROOF, MAX_SIDE, quality=88)
    name = f"{secrets.token_hex(16)}.{ext}"
    (proof_dir() / name).write_bytes(data)
    return name
