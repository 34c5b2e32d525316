"""The information hall's pages: the public list, search and documents (/hall/), and the issuers' desk."""
from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import auth
from ..admin.forms import DEPARTMENT_LABELS
from ..auth import login_required
from ..errors import DomainError, Forbidden, put_errors
from ..extensions import db
from ..inputs import page_arg
from . import search, services
from .files import MEDIA_TYPES, attachment_path, download_name
from .forms import AttachmentForm, DocumentForm, HallFilterForm, StepForm
from .models import STATUS_LABELS, DocStatus, HallDocument
from .states import WORKFLOW

bp = Blueprint("hall", __name__, url_prefix="/hall")
PER_PAGE = 20


def language() -> str:
    return get_locale().language


@bp.app_context_processor
def _hall_helpers():
    return {"hall_language": language, "department_label": lambda d: DEPARTMENT_LABELS.get(d, d),
            "hall_status_label": lambda s: STATUS_LABELS.get(DocStatus(s), s)}


class SearchPage:
    """One page of search hits with what the pager macro reads."""

    def __init__(self, result: search.Result, page: int, per_page: int):
        self.items, self.total, self.page, self.backend = result.items, result.total, page, result.backend
        self.pages = max(1, -(-self.total // per_page))
        self.has_prev, self.has_next = page > 1, page < self.pages
        self.prev_num, self.next_num = page - 1, page + 1


@bp.get("/")
def index():
    """Published documents, newest first, or the best matches of a search; filters by kind, department, year."""
    form = HallFilterForm(formdata=request.args)
    form.kind.choices = [("", _("All kinds"))] + [(k.slug, k.name(language())) for k in services.kinds()]
    valid = form.validate()
    data = {name: (f.data if not f.errors else None) for name, f in form._fields.items()}
    filters = search.Filters(kind=data["kind"] or None, department=data["department"] or None, year=data["year"])
    page = page_arg(request.args)
    result = search.search((data["q"] or "").strip(), filters, page, PER_PAGE)
    return render_template("hall/index.html", form=form, page=SearchPage(result, page, PER_PAGE),
                           kinds={k.slug: k for k in services.kinds()}, query=(data["q"] or "").strip(),
                           writer=current_user.is_authenticated and services.may_write(current_user)
                           ), 200 if valid else 422


@bp.get("/<int:document_id>")
def detail(document_id: int):
    document = services.get_published(document_id, _user())
    issuer = _user() is not None and services.is_issuer(document, _user())
    return render_template("hall/detail.html", document=document, issuer=issuer, step_form=StepForm(),
                           attachment_form=AttachmentForm(),
                           actions=WORKFLOW.allowed_actions(document, _user()) if issuer else [])


@bp.get("/<int:document_id>/attachments/<int:attachment_id>")
def attachment(document_id: int, attachment_id: int):
    found = services.get_attachment(document_id, attachment_id, _user())
    return send_file(attachment_path(found.stored_name), mimetype=MEDIA_TYPES[found.extension], as_attachment=True,
                     download_name=download_name(found.filename, found.extension), max_age=0)


def _user():
    return current_user if current_user.is_authenticated else None


# --- the issuers' desk ---------------------------------------------------------------------------------------

def _require_writer() -> None:
    if not services.may_write(current_user):
        raise Forbidden(_("Only regulators publish documents in the information hall."))


@bp.get("/manage")
@login_required
def manage():
    _require_writer()
    page = db.paginate(services.documents_for_staff(current_user), per_page=PER_PAGE, max_per_page=100)
    return render_template("hall/manage.html", page=page, kinds={k.slug: k for k in services.kinds()})


def _document_form(document: HallDocument | None = None) -> DocumentForm:
    form = DocumentForm(obj=document if request.method == "GET" else None)
    if document is not None and request.method == "GET":
        form.kind.data = document.kind_slug
        form.department.data = str(document.department)
    form.kind.choices = [(k.slug, k.name(language())) for k in services.kinds()]
    return form


def _document_data(form: DocumentForm) -> services.DocumentData:
    return services.DocumentData(kind=form.kind.data, title_zh=form.title_zh.data or "", body_zh=form.body_zh.data or "",
                                 issued_on=form.issued_on.data, title_en=form.title_en.data, body_en=form.body_en.data,
                                 document_number=form.document_number.data, department=form.department.data)


def _render_form(form: DocumentForm, document: HallDocument | None):
    return render_template("hall/form.html", form=form, document=document,
                           choose_department=auth.is_admin(current_user)), 422 if form.errors else 200


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _require_writer()
    form = _document_form()
    if form.validate_on_submit():
        try:
            document = services.create_document(current_user, _document_data(form))
        except DomainError as exc:
            db.session.rollback()
            put_errors(form, exc, "title_zh")
        else:
            db.session.commit()
            flash(_("Draft saved. Attach files, then publish it."), "success")
            return redirect(url_for(".detail", document_id=document.id))
    return _render_form(form, None)


@bp.route("/<int:document_id>/edit", methods=["GET", "POST"])
@login_required
def edit(document_id: int):
    document = services.get_published(document_id, current_user)
    services.require_editable(current_user, document)
    form = _document_form(document)
    if form.validate_on_submit():
        try:
            services.update_document(current_user, document, _document_data(form))
        except DomainError as exc:
            db.session.rollback()
            if exc.status != 422:
                raise
            put_errors(form, exc, "title_zh")
        else:
            db.session.commit()
            flash(_("Draft saved."), "success")
            return redirect(url_for(".detail", document_id=document.id))
    return _render_form(form, document)


@bp.post("/<int:document_id>/<any(publish, withdraw, redraft):action>")
@login_required
def step(document_id: int, action: str):
    document = services.get_published(document_id, current_user)
    if not StepForm().validate_on_submit():
        raise DomainError(_("The form has expired. Please try again."), status=400, code="bad_request")
    services.take_step(current_user, document, action)
    db.session.commit()
    flash({"publish": _("Published."), "withdraw": _("Withdrawn."), "redraft": _("Back to draft.")}[action], "success")
    return redirect(url_for(".detail", document_id=document.id))


@bp.post("/<int:document_id>/attachments")
@login_required
def attach(document_id: int):
    document = services.get_published(document_id, current_user)
    services.require_issuer(current_user, document)
    form = AttachmentForm()
    if form.validate_on_submit():
        try:
            services.add_attachment(current_user, document, form.attachment.data.stream, form.attachment.data.filename)
        except DomainError as exc:
            db.session.rollback()
            if exc.status != 422:
                raise
            put_errors(form, exc, "attachment")
        else:
            db.session.commit()
            flash(_("Attached."), "success")
            return redirect(url_for(".detail", document_id=document.id))
    return render_template("hall/detail.html", document=document, issuer=True, step_form=StepForm(),
                           attachment_form=form, actions=WORKFLOW.allowed_actions(document, current_user)), 422


@bp.post("/<int:document_id>/attachments/<int:attachment_id>/delete")
@login_required
def detach(document_id: int, attachment_id: int):
    found = services.get_attachment(document_id, attachment_id, current_user)
    if not StepForm().validate_on_submit():
        raise DomainError(_("The form has expired. Please try again."), status=400, code="bad_request")
    services.remove_attachment(current_user, found)
    db.session.commit()
    flash(_("Attachment removed."), "success")
    return redirect(url_for(".detail", document_id=document_id))
