"""Label downloads: a batch's sheet and one container's label as PDF, PNG or SVG.

A GET shows or downloads a label and changes nothing, so that links, previews, prefetchers and crawlers never
count as a printout; printing is a POST (with the CSRF token of the page's form), which writes the 'labelled'
ledger event the first time the producer prints a container's label."""
from flask import Blueprint, Response, request
from flask_babel import gettext as _
from flask_login import current_user

from ...auth import login_required
from ...errors import DomainError
from ...extensions import db
from ..batches.services import get_batch, get_container
from .services import LAYOUTS, label_pdf, label_png, label_svg, record_labelled

bp = Blueprint("labels", __name__)

MIMETYPES = {"pdf": "application/pdf", "png": "image/png", "svg": "image/svg+xml"}


def _layout() -> str:
    layout = request.values.get("layout", "sheet")
    if layout not in LAYOUTS:
        message = _("Layout must be sheet or single.")
        raise DomainError(message, fields={"layout": message}, status=400, code="bad_request")
    return layout


def _label_response(body: bytes, file_format: str, filename: str, containers) -> Response:
    """The label file; a POST is a printout and records it, a GET only shows it."""
    printing = request.method == "POST"
    if printing:
        record_labelled(containers, actor=current_user, file_format=file_format)
        db.session.commit()
    response = Response(body, mimetype=MIMETYPES[file_format])
    disposition = "attachment" if printing else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/batches/<int:batch_id>/labels.pdf", methods=["GET", "POST"])
@login_required
def batch_pdf(batch_id: int):
    batch = get_batch(current_user, batch_id)
    layout = _layout()
    containers = list(batch.containers)
    return _label_response(label_pdf(containers, layout=layout), "pdf", f"labels-batch-{batch.id}.pdf", containers)


@bp.route("/containers/<code>/label.<any(pdf, png, svg):file_format>", methods=["GET", "POST"])
@login_required
def container_label(code: str, file_format: str):
    container = get_container(current_user, code)
    if file_format == "pdf":
        body = label_pdf([container], layout=_layout())
    else:
        body = (label_png if file_format == "png" else label_svg)(container)
    return _label_response(body, file_format, f"label-{container.code}.{file_format}", [container])
