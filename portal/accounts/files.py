"""Business licences (营业执照) sent with an organisation's registration: a scan or photo, or the PDF of the
electronic licence, checked by content and stored under UPLOAD_DIR/licences. Images are re-encoded without
metadata; a PDF is kept as sent once its signature says it is one (portal.images.clean_document)."""
from flask_babel import lazy_gettext as _l

from portal import images

MAX_LICENCE_BYTES = 10 * 1024 * 1024
MAX_SIDE = 3000  # a licence's small print must stay legible
FIELD = "business_licence"
FOLDER = "licences"
NOT_A_LICENCE = _l("The business licence must be a JPEG, PNG or WebP image or a PDF file.")


def licence_dir():
    return images.upload_dir(FOLDER)


def store_licence(stream) -> str:
    """Check, clean and store a licence file; returns the stored name. Raises DomainError on bad files."""
    return images.store_document(stream, FOLDER, field=FIELD, max_bytes=MAX_LICENCE_BYTES,
                                 too_large=_l("The business licence may be at most %(mb)s MB.",
                                              mb=MAX_LICENCE_BYTES // (1024 * 1024)),
                                 not_a_document=NOT_A_LICENCE, max_side=MAX_SIDE, quality=90)
