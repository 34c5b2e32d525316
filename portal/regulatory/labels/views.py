"""Label downloads: a batch's sheet and one container's label as PDF, PNG or SVG."""
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
    layout = request.args.get("layout", "sheet")
    if layout not in LAYOUTS:
        message = _("Layout must be sheet or single.")
        raise DomainError(message, fields={"layout": message}, status=400, code="bad_request")
    return layout


def _download(body: bytes, file_format: str, filename: str, containers) -> Response:
    record_labelled(containers, actor=current_user, file_format=file_format)
    db.session.commit()
    response = Response(body, mimetype=MIMETYPES[file_format])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/batches/<int:batch_id>/labels.pdf")
@login_required
def batch_pdf(batch_id: int):
    batch = get_batch(current_user, batch_id)
    layout = _layout()
    containers = list(batch.containers)
    return _download(label_pdf(containers, layout=layout), "pdf", f"labels-batch-{batch.id}.pdf", containers)


@bp.get("/containers/<code>/label.<any(pdf, png, svg):file_format>")
@login_required
def container_label(code: str, file_format: str):
    container = get_container(current_user, code)
    if file_format == "pdf":
        body = label_pdf([container], layout=_layout())
    else:
        body = (label_png if file_format == "png" else label_svg)(container)
    return _download(body, file_format, f"label-{container.code}.{file_format}", [container])
