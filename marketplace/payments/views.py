"""Payment pages: a deal's payment (instructions, proof, confirmation, refunds, receipts), the payee's
bank and Stripe account, and the operators' list of all payments."""
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal import auth
from portal.auth import admin_required, login_required
from portal.errors import DomainError, put_errors
from portal.extensions import db
from portal.types import utcnow

from ..deals.models import Deal
from . import services
from .files import proof_dir
from .forms import (
    PROVIDER_LABELS,
    REFUND_REASON_LABELS,
    REFUND_STATUS_LABELS,
    STATUS_LABELS,
    TRANSFER_LABELS,
    BankAccountForm,
    ConfirmForm,
    DisputeForm,
    OperatorFilterForm,
    ProofForm,
    StartPaymentForm,
)
from .models import Payment, Refund
from .providers import stripe_enabled
from .receipts import LANGS, receipt_pdf

bp = Blueprint("payments", __name__, url_prefix="/payments")


@bp.app_context_processor
def labels():
    return {"payment_status_label": lambda s: STATUS_LABELS.get(s, s),
            "payment_provider_label": lambda p: PROVIDER_LABELS.get(p, p),
            "refund_status_label": lambda s: REFUND_STATUS_LABELS.get(s, s),
            "refund_reason_label": lambda r: REFUND_REASON_LABELS.get(r, r),
            "transfer_status_label": lambda s: TRANSFER_LABELS.get(s, s),
            "payee_has_bank_account": services.payee_has_bank_account,
            "is_payee_member": lambda payment: auth.is_member(current_user, payment.payee_org_id)}


def _payment(payment_id: int) -> Payment:
    return services.require_view_payment(current_user, db.session.get(Payment, payment_id))


def _render_deal(deal: Deal, payment: Payment | None, *, proof_form=None, dispute_form=None, status=200):
    is_payer = payment is not None and auth.is_member(current_user, payment.payer_org_id)
    is_payee = payment is not None and auth.is_member(current_user, payment.payee_org_id)
    return render_template(
        "marketplace/payments/deal.html", deal=deal, payment=payment, is_payer=is_payer, is_payee=is_payee,
        is_operator=auth.is_admin(current_user),
        instructions=services.instructions_for(payment) if payment and payment.provider == "offline" else None,
        proof_form=proof_form or ProofForm(), dispute_form=dispute_form or DisputeForm(),
        confirm_form=ConfirmForm(), start_form=StartPaymentForm(), stripe_enabled=stripe_enabled(),
        checkout=request.args.get("checkout")), status


@bp.get("/deals/<int:deal_id>")
@login_required
def deal_payment(deal_id):
    deal = services.require_view_deal(current_user, db.session.get(Deal, deal_id))
    existed = services.payment_for(deal) is not None
    payment = services.ensure_payment(deal)
    if payment is not None and not existed:
        db.session.commit()
    return _render_deal(deal, payment)


@bp.post("/deals/<int:deal_id>/start")
@login_required
def start(deal_id):
    deal = services.require_view_deal(current_user, db.session.get(Deal, deal_id))
    form = StartPaymentForm()
    if not form.validate_on_submit():
        abort(400)
    payment, instructions = services.start_payment(current_user, deal, form.provider.data)
    db.session.commit()
    if instructions.redirect_url:
        return redirect(instructions.redirect_url, 303)
    return redirect(url_for(".deal_payment", deal_id=deal.id))


@bp.post("/<int:payment_id>/proof")
@login_required
def upload_proof(payment_id):
    payment = _payment(payment_id)
    form = ProofForm()
    if form.validate_on_submit():
        try:
            services.upload_proof(current_user, payment, form.proof.data.stream, form.proof.data.filename)
        except DomainError as exc:
            if exc.code == "no_bank_account":  # the page says why, and what the payee must do
                db.session.rollback()
                return _render_deal(payment.deal, payment, status=409)
            if exc.status in (403, 404, 409):
                raise
            db.session.rollback()
            put_errors(form, exc, "proof")
        else:
            db.session.commit()
            flash(_("Your proof of transfer was uploaded. The payee will confirm the payment."), "success")
            return redirect(url_for(".deal_payment", deal_id=payment.deal_id))
    return _render_deal(payment.deal, payment, proof_form=form, status=422)


@bp.get("/<int:payment_id>/proof")
@login_required
def proof(payment_id):
    payment = _payment(payment_id)
    if not payment.proof_file:
        abort(404)
    return send_from_directory(proof_dir(), payment.proof_file, as_attachment=True,
                               download_name=f"{payment.reference}-proof.{payment.proof_file.rsplit('.', 1)[1]}")


@bp.post("/<int:payment_id>/confirm")
@login_required
def confirm(payment_id):
    payment = _payment(payment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.confirm_payment(current_user, payment)
    db.session.commit()
    flash(_("The payment is confirmed."), "success")
    return redirect(url_for(".deal_payment", deal_id=payment.deal_id))


@bp.post("/<int:payment_id>/dispute")
@login_required
def dispute(payment_id):
    payment = _payment(payment_id)
    form = DisputeForm()
    if form.validate_on_submit():
        services.dispute_payment(current_user, payment, form.reason.data)
        db.session.commit()
        flash(_("The payment is marked as disputed; the payer has been asked for a new proof."), "success")
        return redirect(url_for(".deal_payment", deal_id=payment.deal_id))
    return _render_deal(payment.deal, payment, dispute_form=form, status=422)


@bp.post("/refunds/<int:refund_id>/received")
@login_required
def refund_received(refund_id):
    refund = auth.get_or_404(Refund, refund_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.confirm_refund_received(current_user, refund)
    db.session.commit()
    return redirect(url_for(".deal_payment", deal_id=refund.payment.deal_id))


@bp.get("/<int:payment_id>/receipt.pdf")
@login_required
def receipt(payment_id):
    payment = _payment(payment_id)
    lang = request.args.get("lang", "zh")
    if lang not in LANGS or payment.confirmed_at is None:
        abort(404)
    side = "payee" if auth.is_member(current_user, payment.payee_org_id) else "payer"
    pdf = receipt_pdf(payment, side=side, lang=lang, issued_at=utcnow())
    response = current_app.response_class(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="receipt-{payment.reference}-{lang}.pdf"'
    return response


# --- payee profile -------------------------------------------------------------------------------

@bp.route("/payee-profile", methods=["GET", "POST"])
@login_required
def payee_profile():
    org = auth.current_org_or_403()
    auth.require_manage_org(current_user, org)
    profile = services.payee_profile(org.id)
    form = BankAccountForm(obj=None)
    if request.method == "GET" and profile is not None:
        form.account_name.data, form.bank_name.data = profile.bank_account_name, profile.bank_name
        form.account_number.data = profile.bank_account_number
    if form.validate_on_submit():
        services.save_bank_account(current_user, org, account_name=form.account_name.data,
                                   bank_name=form.bank_name.data, account_number=form.account_number.data)
        db.session.commit()
        flash(_("The bank account was saved."), "success")
        return redirect(url_for(".payee_profile"))
    return render_template("marketplace/payments/payee_profile.html", org=org, profile=profile, form=form,
                           stripe_form=ConfirmForm(), stripe_enabled=stripe_enabled(),
                           stripe_return=request.args.get("stripe")), 422 if form.errors else 200


@bp.post("/payee-profile/stripe")
@login_required
def stripe_onboarding():
    org = auth.current_org_or_403()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    url = services.start_stripe_onboarding(current_user, org)
    db.session.commit()
    return redirect(url, 303)


# --- operators -----------------------------------------------------------------------------------

@bp.get("/admin")
@admin_required
def operator_list():
    form = OperatorFilterForm(request.args)
    valid = form.validate()
    query = services.operator_payments(
        status=form.status.data if valid else None, provider=form.provider.data if valid else None,
        reference=form.reference.data if valid else None)
    page = db.paginate(query, per_page=current_app.config.get("MARKETPLACE_PAGE_SIZE", 20), error_out=False)
    return render_template("marketplace/payments/operator.html", form=form, page=page, action_form=ConfirmForm()), \
        200 if valid else 400


@bp.post("/<int:payment_id>/release-transfer")
@admin_required
def release(payment_id):
    payment = auth.get_or_404(Payment, payment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    services.release_transfer(current_user, payment)
    db.session.commit()
    return redirect(url_for(".operator_list"))
