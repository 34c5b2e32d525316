"""Proofs of payment (a bank slip photo or the bank's PDF), checked by content, stored under UPLOAD_DIR.

Images are decoded only after their pixel count is checked and re-encoded as JPEG without metadata;
a PDF is kept as sent once its signature says it is one (portal.images.clean_document). Anything else
is refused before it is stored."""
from flask_babel import lazy_gettext as _l

from portal import images

MAX_PROOF_BYTES = 5 * 1024 * 1024
MAX_SIDE = 2400
FIELD = "proof"
FOLDER = "payments"
NOT_A_PROOF = _l("The proof must be a JPEG, PNG or WebP image or a PDF file.")


def proof_dir():
    return images.upload_dir(FOLDER)


def store_proof(stream) -> str:
    """Check, clean and store a proof file; returns the stored name. Raises DomainError on bad files."""
    return images.store_document(stream, FOLDER, field=FIELD, max_bytes=MAX_PROOF_BYTES,
                                 too_large=_l("The proof may be at most %(mb)s MB.", mb=MAX_PROOF_BYTES // (1024 * 1024)),
                                 not_a_document=NOT_A_PROOF, max_side=MAX_SIDE, quality=88)
