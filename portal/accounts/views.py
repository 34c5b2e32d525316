"""Web pages of accounts and organisations: sign-in, sign-up, 2FA, password reset, profile and API tokens,
registration and verification of organisations, members and invitations."""
import base64
import io

import qrcode
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy import or_, select

from .. import auth
from ..auth import login_required, regulator_required
from ..errors import DomainError, NotFound, attempt
from ..extensions import db, limiter
from ..jurisdiction import jurisdiction_code
from ..views import safe_next
from . import services
from .files import licence_dir
from .forms import (
    LICENCE_HINT,
    ChangePasswordForm,
    ConfirmForm,
    EditOrganisationForm,
    ForgotPasswordForm,
    InvitationSignupForm,
    InviteForm,
    LicenceForm,
    LoginForm,
    MemberRoleForm,
    ProfileForm,
    RegisterOrganisationForm,
    RejectForm,
    ResetPasswordForm,
    ReviewFilterForm,
    SignupForm,
    SwitchOrgForm,
    TokenForm,
    TotpForm,
    county_choices,
)
from .models import ApiToken, Membership, Organisation, OrgStatus, Role, User

bp = Blueprint("accounts", __name__, url_prefix="/accounts")

SIGN_IN_LIMIT = "10 per minute"


def _field_errors(form, exc: DomainError, default: str) -> None:
    """Show a service's refusal on the form fields it names (or on `default`)."""
    fields = exc.fields or {default: exc.message}
    for name, message in fields.items():
        field = form[name] if name in form else form[default]
        field.errors = [*field.errors, str(message)]


def _status(*forms) -> int:
    return 422 if any(f.errors for f in forms) else 200


def _page(query, per_page: int = 20):
    return db.paginate(query, per_page=per_page, max_per_page=100)


# --- signing in and out --------------------------------------------------------------------------

def _landing(user: User) -> str:
    """Each role's home shows its open work; a user who belongs nowhere yet registers its enterprise first."""
    if auth.is_admin(user) or auth.regulator_of(user) is not None or user.memberships:
        return url_for("home.index")
    return url_for(".register_organisation")


def _start_session(user: User) -> None:
    auth.start_session(user)
    if user.memberships:
        session["org_id"] = user.memberships[0].organisation_id


def _after_sign_in(user: User):
    target = safe_next(request.args.get("next"), _landing(user))
    if user.needs_totp:
        return redirect(url_for(".totp", next=target))
    return redirect(target)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), _landing(current_user)))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.login.data.strip(), form.password.data)
        except DomainError as exc:
            db.session.commit()  # the failed attempt counts towards the lockout even though sign-in fails
            _field_errors(form, exc, "login")
        else:
            _start_session(user)
            db.session.commit()
            return _after_sign_in(user)
    return render_template("accounts/login.html", form=form), _status(form)


@bp.post("/logout")
def logout():
    """Signing out ends the user's sessions everywhere. A session still waiting for the second factor only
    ends itself: the password alone must not let anyone sign the real user out."""
    if current_user.is_authenticated:
        services.end_sessions(current_user)
        db.session.commit()
        logout_user()
    session.clear()
    flash(_("You have signed out."))
    return redirect(url_for("core.home"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for(".profile"))
    form = SignupForm()
    if request.method == "GET":
        form.locale.data = str(get_locale())
    if form.validate_on_submit():
        try:
            user = services.create_user(name=form.name.data, email=form.email.data, mobile=form.mobile.data,
                                        password=form.password.data, locale=form.locale.data)
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc, "email")
        else:
            db.session.commit()
            _start_session(user)
            flash(_("Welcome! Register your enterprise so that a regulator can verify it."))
            return redirect(url_for(".register_organisation"))
    return render_template("accounts/signup.html", form=form), _status(form)


def _qr_data_uri(text: str) -> str:
    """A PNG QR code as a data: URI (the CSP allows images from data:, not inline SVG styles)."""
    buffer = io.BytesIO()
    qrcode.make(text, box_size=6, border=2).save(buffer)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@bp.route("/totp", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def totp():
    user = auth.user_awaiting_second_factor()
    if user is None:  # signed out (or ended elsewhere), or past this step already
        if not current_user.is_authenticated:
            return redirect(url_for(".login", next=request.args.get("next")))
        return redirect(safe_next(request.args.get("next"), _landing(current_user)))
    target = safe_next(request.args.get("next"), _landing(user))
    form = TotpForm()
    if form.validate_on_submit():
        try:
            services.verify_totp(user, form.code.data)
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc, "code")
        else:
            db.session.commit()
            auth.pass_second_factor()
            return redirect(target)
    qr = secret = None
    if not user.totp_enabled:
        uri = services.totp_uri(user)
        db.session.commit()  # the secret must survive until the user confirms the first code
        qr, secret = _qr_data_uri(uri), user.totp_secret
    return render_template("accounts/totp.html", form=form, qr=qr, secret=secret), _status(form)


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    sent = False
    if form.validate_on_submit():
        services.request_password_reset(form.login.data.strip())
        db.session.commit()
        sent = True
    return render_template("accounts/forgot_password.html", form=form, sent=sent), _status(form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = services.user_for_reset_token(token)
    except DomainError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for(".forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.set_password(user, form.password.data)
        db.session.commit()
        flash(_("Your password has been changed. Sign in with the new password."))
        return redirect(url_for(".login"))
    return render_template("accounts/reset_password.html", form=form), _status(form)


# --- profile and API tokens ----------------------------------------------------------------------

def _token_org_choices(user: User) -> list:
    choices = [(m.organisation_id, m.organisation.name) for m in user.memberships]
    if not choices or auth.regulator_of(user) is not None or auth.is_admin(user):
        choices.insert(0, (0, _("No organisation (acts as you)")))
    return choices


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    user = current_user
    profile_form = ProfileForm(prefix="profile", obj=user)
    password_form = ChangePasswordForm(prefix="password")
    token_form = TokenForm(prefix="token")
    token_form.organisation.choices = _token_org_choices(user)
    new_secret = None
    if profile_form.submit.data and profile_form.validate():
        services.update_profile(user, name=profile_form.name.data, locale=profile_form.locale.data)
        db.session.commit()
        flash(_("Your profile has been saved."))
        return redirect(url_for(".profile"))
    if password_form.submit.data and password_form.validate():
        try:
            services.change_password(user, password_form.current_password.data, password_form.new_password.data)
        except DomainError as exc:
            _field_errors(password_form, exc, "current_password")
        else:
            db.session.commit()
            auth.keep_this_session(user)  # the change ended the user's other sessions, not this one
            flash(_("Your password has been changed."))
            return redirect(url_for(".profile"))
    if token_form.submit.data and token_form.validate():
        org = db.session.get(Organisation, token_form.organisation.data) if token_form.organisation.data else None
        try:
            _token, new_secret = services.create_api_token(user, token_form.name.data, org)
        except DomainError as exc:
            db.session.rollback()
            _field_errors(token_form, exc, "name")
        else:
            db.session.commit()
            token_form = TokenForm(prefix="token", formdata=None)
            token_form.organisation.choices = _token_org_choices(user)
    tokens = _page(select(ApiToken).where(ApiToken.user_id == user.id)
                   .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    return render_template("accounts/profile.html", profile_form=profile_form, password_form=password_form,
                           token_form=token_form, tokens=tokens, new_secret=new_secret,
                           revoke_form=ConfirmForm()), _status(profile_form, password_form, token_form)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    token = auth.require_own_token(current_user, db.session.get(ApiToken, token_id))
    if ConfirmForm().validate_on_submit():
        services.revoke_api_token(token)
        db.session.commit()
        flash(_("The token %(name)s has been revoked.", name=token.name))
    return redirect(url_for(".profile"))


# --- organisations -------------------------------------------------------------------------------

@bp.route("/organisations/register", methods=["GET", "POST"])
@login_required
def register_organisation():
    form = RegisterOrganisationForm()
    if form.validate_on_submit():
        try:
            org = services.register_organisation(current_user, **form.values())
            licence = form.business_licence.data
            services.attach_business_licence(org, current_user, licence.stream, licence.filename)
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc, "uscc")
        else:
            db.session.commit()
            session["org_id"] = org.id
            flash(_("%(name)s has been registered. A regulator of its district will verify it.", name=org.name))
            return redirect(url_for(".organisation"))
    return render_template("accounts/register_organisation.html", form=form, licence_hint=LICENCE_HINT), _status(form)


def _render_org(org: Organisation, *, reject_form=None, invite_form=None, licence_form=None):
    user = current_user
    members = _page(select(Membership).join(User).where(Membership.organisation_id == org.id)
                    .order_by(Membership.created_at, Membership.id))
    role_forms = {m.id: MemberRoleForm(prefix=f"m{m.id}", formdata=None, role=m.role.value) for m in members}
    acting = auth.current_org()
    switch_form = None
    if len(user.memberships) > 1 and acting is not None and acting.id == org.id:
        switch_form = SwitchOrgForm(formdata=None, organisation_id=org.id)
        switch_form.organisation_id.choices = [(m.organisation_id, m.organisation.name) for m in user.memberships]
    reject_form = reject_form or RejectForm(formdata=None)
    invite_form = invite_form or InviteForm(formdata=None, role=Role.STAFF.value)
    licence_form = licence_form or LicenceForm(formdata=None)
    return render_template(
        "accounts/organisation.html", org=org, members=members, role_forms=role_forms, licence_form=licence_form,
        licence_hint=LICENCE_HINT,
        can_manage=auth.can_manage_org(user, org), can_review=auth.can_review_org(user, org),
        is_member=auth.is_member(user, org.id), invite_form=invite_form, reject_form=reject_form,
        confirm_form=ConfirmForm(formdata=None), switch_form=switch_form,
        # pages of members link to a GET page, also when a refused POST renders this template
        members_endpoint=request.endpoint if request.method == "GET" else "accounts.organisation_detail",
    ), _status(reject_form, invite_form, licence_form)


@bp.get("/organisation")
@login_required
def organisation():
    org = auth.current_org()
    if org is None:
        flash(_("You do not belong to an organisation yet. Register your enterprise, or ask its "
                "administrator for an invitation."), "warning")
        return redirect(url_for(".register_organisation"))
    return _render_org(org)


@bp.get("/organisations/<int:org_id>")
@login_required
def organisation_detail(org_id: int):
    return _render_org(auth.require_view_org(current_user, db.session.get(Organisation, org_id)))


def _managed_org(org_id: int) -> Organisation:
    return auth.require_manage_org(current_user, db.session.get(Organisation, org_id))


def _org_page(org: Organisation) -> str:
    acting = auth.current_org()
    if acting is not None and acting.id == org.id:
        return url_for(".organisation")
    return url_for(".organisation_detail", org_id=org.id)


@bp.route("/organisations/<int:org_id>/edit", methods=["GET", "POST"])
@login_required
def edit_organisation(org_id: int):
    org = _managed_org(org_id)
    form = EditOrganisationForm(obj=org)
    if form.validate_on_submit():
        try:
            services.update_organisation(org, **form.values())
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc, "uscc")
        else:
            db.session.commit()
            flash(_("The details have been saved."))
            return redirect(_org_page(org))
    return render_template("accounts/edit_organisation.html", form=form, org=org), _status(form)


@bp.post("/organisations/<int:org_id>/licence")
@login_required
def upload_licence(org_id: int):
    """The organisation's administrator sends (or, before verification, replaces) its business licence."""
    org = _managed_org(org_id)
    form = LicenceForm()
    if form.validate_on_submit():
        try:
            services.attach_business_licence(org, current_user, form.business_licence.data.stream,
                                             form.business_licence.data.filename)
        except DomainError as exc:
            if exc.status in (403, 404, 409):
                raise
            db.session.rollback()
            _field_errors(form, exc, "business_licence")
        else:
            db.session.commit()
            flash(_("The business licence was uploaded."))
            return redirect(_org_page(org))
    return _render_org(org, licence_form=form)


@bp.get("/organisations/<int:org_id>/licence")
@login_required
def licence(org_id: int):
    """The business licence, for the organisation's members and the regulators who review it."""
    org = auth.require_view_org(current_user, db.session.get(Organisation, org_id))
    if not (auth.is_member(current_user, org.id) or auth.can_review_org(current_user, org)) or not org.licence_file:
        abort(404)
    ext = org.licence_file.rsplit(".", 1)[1]
    response = send_from_directory(licence_dir(), org.licence_file, as_attachment=ext == "pdf",
                                   download_name=f"{org.uscc}-business-licence.{ext}")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/organisations/<int:org_id>/resubmit")
@login_required
def resubmit_organisation(org_id: int):
    org = _managed_org(org_id)
    if ConfirmForm().validate_on_submit():
        attempt(lambda: services.resubmit_organisation(org, current_user),
                 _("The registration has been submitted again for verification."))
    return redirect(_org_page(org))


@bp.post("/organisations/<int:org_id>/invitations")
@login_required
def invite_member(org_id: int):
    org = _managed_org(org_id)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            link = services.invite_member(org, current_user, form.email.data, Role(form.role.data))
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc, "email")
        else:
            db.session.commit()
            flash(_("An invitation has been sent to %(email)s. The link, should you want to pass it on "
                    "yourself: %(link)s", email=form.email.data, link=link))
            return redirect(_org_page(org))
    return _render_org(org, invite_form=form)


def _member_of(org: Organisation, member_id: int) -> Membership:
    member = db.session.get(Membership, member_id)
    if member is None or member.organisation_id != org.id:
        raise NotFound(_("Not found."))
    return member


@bp.post("/organisations/<int:org_id>/members/<int:member_id>/role")
@login_required
def change_member_role(org_id: int, member_id: int):
    org = _managed_org(org_id)
    member = _member_of(org, member_id)
    form = MemberRoleForm(prefix=f"m{member.id}")
    if form.validate_on_submit():
        attempt(lambda: services.change_member_role(member, Role(form.role.data)),
                 _("The role of %(name)s has been changed.", name=member.user.name))
    return redirect(_org_page(org))


@bp.post("/organisations/<int:org_id>/members/<int:member_id>/remove")
@login_required
def remove_member(org_id: int, member_id: int):
    org = _managed_org(org_id)
    member = _member_of(org, member_id)
    if ConfirmForm().validate_on_submit():
        attempt(lambda: services.remove_member(member),
                 _("%(name)s is no longer a member.", name=member.user.name))
    return redirect(_org_page(org) if auth.is_member(current_user, org.id) or auth.is_admin(current_user)
                    else url_for("core.home"))


@bp.post("/switch-organisation")
@login_required
def switch_org():
    form = SwitchOrgForm()
    form.organisation_id.choices = [(m.organisation_id, m.organisation.name) for m in current_user.memberships]
    if form.validate_on_submit():
        session["org_id"] = form.organisation_id.data
        flash(_("You now act for %(name)s.", name=auth.current_org().name))
    return redirect(safe_next(request.args.get("next"), url_for(".organisation")))


# --- invitations ---------------------------------------------------------------------------------

def _joined(invitation):
    session["org_id"] = invitation.organisation_id
    flash(_("You have joined %(org)s.", org=invitation.organisation.name))
    return redirect(url_for(".organisation"))


@bp.route("/invitations/<secret>", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def accept_invitation(secret: str):
    invitation = services.find_invitation(secret)
    if auth.user_awaiting_second_factor() is not None:
        return redirect(url_for(".totp", next=request.path))
    if current_user.is_authenticated:
        form = ConfirmForm()
        if form.validate_on_submit():
            services.accept_invitation(invitation, current_user)
            db.session.commit()
            return _joined(invitation)
        return render_template("accounts/accept_invitation.html", invitation=invitation, form=form,
                               mode="confirm", matches=current_user.email == invitation.email)
    if services.find_user(invitation.email) is not None:
        return render_template("accounts/accept_invitation.html", invitation=invitation, mode="login")
    form = InvitationSignupForm()
    if request.method == "GET":
        form.locale.data = str(get_locale())
    if form.validate_on_submit():
        try:
            user = services.create_user(name=form.name.data, email=invitation.email,
                                        password=form.password.data, locale=form.locale.data)
            services.accept_invitation(invitation, user)
        except DomainError as exc:
            db.session.rollback()
            _field_errors(form, exc, "name")
        else:
            db.session.commit()
            _start_session(user)
            return _joined(invitation)
    return render_template("accounts/accept_invitation.html", invitation=invitation, form=form,
                           mode="signup"), _status(form)


# --- verification by regulators ------------------------------------------------------------------

def _review_filters() -> ReviewFilterForm:
    form = ReviewFilterForm(formdata=request.args)
    regulator = auth.regulator_of(current_user)
    only = None if auth.is_admin(current_user) or regulator.jurisdiction_code == jurisdiction_code() \
        else regulator.jurisdiction_code
    form.district.choices = [("", _("All districts"))] + county_choices(only)
    form.validate()
    return form


@bp.get("/review")
@regulator_required
def review_queue():
    form = _review_filters()
    query = auth.orgs_visible_to(current_user)
    status = form.status.data if not form.status.errors else OrgStatus.PENDING.value
    if status != "all":
        query = query.where(Organisation.status == status)
    if form.district.data and not form.district.errors:
        query = query.where(Organisation.district_code == form.district.data)
    if (q := (form.q.data or "").strip()) and not form.q.errors:
        query = query.where(or_(Organisation.name.icontains(q, autoescape=True),
                                Organisation.uscc.icontains(q, autoescape=True)))
    page = _page(query.order_by(Organisation.created_at, Organisation.id))
    return render_template("accounts/review_queue.html", form=form, page=page)


def _reviewed_org(org_id: int) -> Organisation:
    return auth.require_review_org(current_user, db.session.get(Organisation, org_id))


def _after_review():
    return redirect(safe_next(request.form.get("next"), url_for(".review_queue")))


@bp.post("/organisations/<int:org_id>/verify")
@login_required
def verify_organisation(org_id: int):
    org = _reviewed_org(org_id)
    if ConfirmForm().validate_on_submit():
        attempt(lambda: services.verify_organisation(org, current_user), _("%(name)s is now verified.", name=org.name))
    return _after_review()


@bp.post("/organisations/<int:org_id>/reject")
@login_required
def reject_organisation(org_id: int):
    org = _reviewed_org(org_id)
    form = RejectForm()
    if not form.validate_on_submit():
        return _render_org(org, reject_form=form)
    services.reject_organisation(org, current_user, form.reason.data)
    db.session.commit()
    flash(_("%(name)s has been returned to the applicant.", name=org.name))
    return _after_review()
