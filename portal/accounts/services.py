"""Account rules: sign-in with lockout, password reset, TOTP, registration and verification of
organisations, members and invitations, API tokens. Services never commit; their callers do."""
import hashlib
import secrets
from datetime import timedelta
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, or_, select, update

from .. import audit, auth
from ..errors import Conflict, DomainError, Forbidden
from ..extensions import db
from ..jobs import enqueue
from ..outbox import send_message
from ..types import utcnow
from ..workflow import Transition, Workflow
from . import uscc
from .files import store_licence
from .models import ApiToken, Invitation, Membership, Organisation, OrgStatus, Role, User

hasher = PasswordHasher()
ORG_FIELDS = ("uscc", "name", "industry", "address", "district_code", "lat", "lon", "contact_name",
              "contact_phone", "contact_email", *Organisation.CAPABILITIES, "status", "rejection_reason")


# --- passwords and sign-in ---------------------------------------------------------------------

def hash_password(password: str) -> str:
    return hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    try:
        return hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def find_user(login: str) -> User | None:
    """A user by e-mail (case-insensitive) or mobile number."""
    login = (login or "").strip()
    return db.session.scalar(select(User).where(or_(func.lower(User.email) == login.lower(), User.mobile == login)))


@cache
def _unmatchable_hash() -> str:
    """A hash no password matches, verified for unknown logins so that they take as long as known ones."""
    return hash_password(secrets.token_urlsafe(32))


def authenticate(login: str, password: str) -> User:
    """The user for these credentials, counting failures and locking the account after too many.

    Every refusal (unknown login, wrong password, locked or deactivated account) is the same error after the
    same work, so that the answer never tells whether an account exists."""
    user = find_user(login)
    now = utcnow()
    password_ok = check_password(user, password) if user is not None else _verify_unmatchable(password)
    locked = user is not None and user.locked_until is not None and user.locked_until > now
    if user is None or locked or not user.is_active or not password_ok:
        if user is not None and not locked:
            _count_failure(user, now)
        raise DomainError(_("Wrong e-mail, mobile number or password. After %(count)s failed attempts in a row, "
                            "sign-in is paused for %(minutes)s minutes.",
                            count=current_app.config["LOGIN_MAX_FAILURES"],
                            minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"]),
                          code="bad_credentials", status=401)
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _verify_unmatchable(password: str) -> bool:
    try:
        return hasher.verify(_unmatchable_hash(), password)
    except (VerificationError, InvalidHashError):
        return False


def _count_failure(user: User, now) -> None:
    user.failed_logins += 1
    if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
        user.locked_until = now + timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
        user.failed_logins = 0
        audit.record("user.locked", user, actor=user)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def password_reset_token(user: User) -> str:
    # The hash fragment makes the link single-use: it stops matching once the password changes.
    return _reset_serializer().dumps({"id": user.id, "h": user.password_hash[-16:]})


def request_password_reset(login: str) -> None:
    """Mail a reset link if the account exists; say nothing either way (no account probing)."""
    user = find_user(login)
    if user is None or not user.email:
        return
    link = f"{current_app.config['BASE_URL']}/accounts/reset/{password_reset_token(user)}"
    send_message(user.email, _("Reset your wufei password"),
                 _("Open this link within one hour to choose a new password:\n%(link)s\n\n"
                   "If you did not ask for this, ignore this message.", link=link), user=user)


def user_for_reset_token(token: str) -> User:
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        data = None
    user = db.session.get(User, data["id"]) if isinstance(data, dict) else None
    if user is None or user.password_hash[-16:] != data.get("h"):
        raise DomainError(_l("This password reset link is invalid or has expired."), code="invalid_token")
    return user


def set_password(user: User, password: str) -> None:
    """The new password ends every session signed in with the old one (the caller may keep its own)."""
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    end_sessions(user)
    audit.record("user.password_changed", user, actor=user)


def end_sessions(user: User) -> None:
    """End every session of the user, wherever it was signed in: each holds the version it started with."""
    user.session_version = User.session_version + 1  # in SQL, so that two ends at once both count
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    """A signed-in user's own change: the current password proves it is still them at the keyboard."""
    if not check_password(user, current or ""):
        message = _l("The current password is wrong.")
        raise DomainError(message, fields={"current_password": message})
    set_password(user, new)


def update_profile(user: User, *, name: str, locale: str | None) -> User:
    before = audit.snapshot(user, ("name", "locale"))
    user.name, user.locale = name.strip(), locale
    audit.record("user.updated", user, before=before, after=audit.snapshot(user, ("name", "locale")), actor=user)
    return user


# --- two-factor authentication -----------------------------------------------------------------

def totp_uri(user: User) -> str:
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.login, issuer_name="wufei")


def verify_totp(user: User, code: str) -> None:
    """Accept a code from the user's authenticator app (the previous or next 30 s step too, for clock drift)
    once only: a code whose step is not newer than the last accepted one is refused, so that a code seen
    over someone's shoulder or replayed from a captured request is worthless. The first code accepted
    completes the enrolment. Raises DomainError on the `code` field."""
    step = _matching_step(user, (code or "").replace(" ", ""))
    if step is None:
        raise _totp_refusal(_l("The code is wrong or has expired."))
    if not _claim_totp_step(user, step):
        raise _totp_refusal(_l("This code has been used already. Wait for the next code from your app."))
    if not user.totp_enabled:
        user.totp_enabled = True
        audit.record("user.totp_enabled", user, actor=user)


def _matching_step(user: User, code: str) -> int | None:
    """The time step whose code this is, within one step of now; None for a wrong or expired code."""
    if not user.totp_secret or not code.isdigit():
        return None
    try:
        return pyotp.TOTP(user.totp_secret).verify_and_get_timecode(code, valid_window=1)
    except pyotp.OTPVerificationError:
        return None


def _totp_refusal(message) -> DomainError:
    return DomainError(message, fields={"code": message}, code="totp_refused", status=422)


def _claim_totp_step(user: User, step: int) -> bool:
    """Record step as the last one used, unless it (or a later one) was used already. One conditional
    UPDATE, so that two requests racing with the same code cannot both win."""
    claimed = db.session.execute(
        update(User).where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step))
    return claimed.rowcount == 1


# --- users and organisations -------------------------------------------------------------------

def create_user(*, name: str, password: str, email: str | None = None, mobile: str | None = None,
                locale: str | None = None) -> User:
    email = email.strip().lower() if email else None
    mobile = mobile.strip() if mobile else None
    if not email and not mobile:
        raise DomainError(_l("Give an e-mail address or a mobile number."),
                          fields={"email": _l("Give an e-mail address or a mobile number.")})
    if email and find_user(email):
        raise Conflict(_l("An account with this e-mail address exists already."),
                       fields={"email": _l("An account with this e-mail address exists already.")})
    if mobile and find_user(mobile):
        raise Conflict(_l("An account with this mobile number exists already."),
                       fields={"mobile": _l("An account with this mobile number exists already.")})
    user = User(name=name.strip(), email=email, mobile=mobile, locale=locale, password_hash=hash_password(password))
    db.session.add(user)
    audit.record("user.created", user, after={"email": email, "mobile": mobile, "name": user.name})
    return user


def uscc_error(code: str):
    """The message for an invalid 统一社会信用代码, in the current language, or None when valid."""
    return {
        "length": _l("A unified social credit code has exactly 18 characters."),
        "characters": _l("A unified social credit code uses only digits and the capital letters "
                         "A–Y without I, O, S, V and Z."),
        "check": _l("The check character of this unified social credit code is wrong; please check the code."),
    }.get(uscc.problem(code))


def validate_uscc(code: str) -> str:
    if message := uscc_error(code):
        raise DomainError(message, fields={"uscc": message}, code="invalid_uscc")
    code = uscc.normalise(code)
    if db.session.scalar(select(Organisation.id).where(Organisation.uscc == code)):
        message = _l("An organisation with this unified social credit code is registered already.")
        raise Conflict(message, fields={"uscc": message})
    return code


def register_organisation(user: User, **fields) -> Organisation:
    """Self-registration of an enterprise; the registering user becomes its administrator.
    The organisation stays pending until a regulator of its district verifies it."""
    fields["uscc"] = validate_uscc(fields.get("uscc", ""))
    org = Organisation(status=OrgStatus.PENDING, **fields)
    db.session.add(org)
    db.session.add(Membership(user=user, organisation=org, role=Role.ADMIN))
    audit.record("organisation.registered", org, after=audit.snapshot(org, ORG_FIELDS), organisation_id=None)
    return org


def update_organisation(org: Organisation, **fields) -> Organisation:
    if "uscc" in fields and uscc.normalise(fields["uscc"]) == org.uscc:
        fields.pop("uscc")
    if "uscc" in fields:
        if org.status == OrgStatus.VERIFIED:
            # The code is the identity the regulator verified; changing it means a new registration.
            message = _l("A verified organisation cannot change its unified social credit code.")
            raise DomainError(message, fields={"uscc": message})
        fields["uscc"] = validate_uscc(fields["uscc"])
    before = audit.snapshot(org, ORG_FIELDS)
    renamed = "name" in fields and fields["name"] != org.name
    for name, value in fields.items():
        setattr(org, name, value)
    audit.record("organisation.updated", org, before=before, after=audit.snapshot(org, ORG_FIELDS),
                 organisation_id=org.id)
    if renamed:  # the public trace pages name it
        from ..regulatory.trace_snapshots import refresh_organisation

        enqueue(refresh_organisation, org.id, after_commit=True)
    return org


def _notify_org_admins(org: Organisation, subject: str, body: str) -> None:
    for m in org.memberships:
        if m.role == Role.ADMIN and m.user.email:
            send_message(m.user.email, subject, body, user=m.user)


def _reviewer(org: Organisation, user, _org) -> bool:
    return auth.can_review_org(user, org)


def _manager(org: Organisation, user, _org) -> bool:
    return auth.can_manage_org(user, org)


def _with_reason(_org_under_review: Organisation, _user, _org, fields: dict) -> dict:
    reason = (fields.get("reason") or "").strip()
    if not reason:
        message = _l("Give the reason, so that the applicant can correct the application.")
        raise DomainError(message, fields={"reason": message})
    return {"reason": reason}


# An organisation's registration: reviewed by a regulator of its district (or an admin), corrected and
# submitted again by its managers after a return. A reviewer may also withdraw a verification.
ORGANISATION = Workflow("organisation", Organisation, tuple(OrgStatus), [
    Transition("pending", "verify", "verified", "reviewer"),
    Transition("rejected", "verify", "verified", "reviewer"),
    *(Transition(state, "reject", "rejected", "reviewer", _with_reason) for state in tuple(OrgStatus)),
    Transition("rejected", "resubmit", "pending", "manager"),
], parties={"reviewer": _reviewer, "manager": _manager}, label=_l("organisation"),
    refusals={"reviewer": _l("Only a regulator of the organisation's district verifies it."),
              "manager": _l("Only the organisation's administrators may do this.")})


def verify_organisation(org: Organisation, reviewer: User) -> Organisation:
    ORGANISATION.step(org, "verify", reviewer, audit_action="organisation.verified", organisation_id=org.id,
                      values={"rejection_reason": None, "reviewed_at": utcnow(), "reviewed_by_id": reviewer.id})
    _notify_org_admins(org, _("Your organisation has been verified"),
                       _("%(name)s is now verified on wufei.", name=org.name))
    return org


def reject_organisation(org: Organisation, reviewer: User, reason: str) -> Organisation:
    reason = (reason or "").strip()
    ORGANISATION.step(org, "reject", reviewer, fields={"reason": reason}, audit_action="organisation.rejected",
                      organisation_id=org.id,
                      values={"rejection_reason": reason, "reviewed_at": utcnow(), "reviewed_by_id": reviewer.id})
    _notify_org_admins(org, _("Your organisation's registration was returned"),
                       _("Reason: %(reason)s\nPlease correct the details and submit again.", reason=reason))
    return org


def attach_business_licence(org: Organisation, user: User, stream, filename: str | None) -> Organisation:
    """Store the organisation's business licence (营业执照) for its reviewer; a new one replaces the old one
    until the organisation is verified, after which the verified document stays as it was."""
    if org.status == OrgStatus.VERIFIED:
        raise Conflict(_l("The organisation is verified: its business licence can no longer be replaced."))
    stored = store_licence(stream)
    before = {"licence_name": org.licence_name}
    org.licence_file, org.licence_name = stored, (filename or stored)[-200:]
    org.licence_uploaded_at = utcnow()
    audit.record("organisation.licence_uploaded", org, before=before,
                 after={"licence_name": org.licence_name, "licence_uploaded_at": org.licence_uploaded_at.isoformat()},
                 organisation_id=org.id, actor=user)
    return org


def resubmit_organisation(org: Organisation, user: User) -> Organisation:
    ORGANISATION.step(org, "resubmit", user, audit_action="organisation.resubmitted", organisation_id=org.id)
    return org


# --- members and invitations -------------------------------------------------------------------

def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def invite_member(org: Organisation, inviter: User, email: str, role: Role) -> str:
    """Create an invitation and mail its link; returns the link (shown to the inviter as well)."""
    email = email.strip().lower()
    existing = find_user(email)
    if existing and any(m.organisation_id == org.id for m in existing.memberships):
        message = _l("This person is a member already.")
        raise Conflict(message, fields={"email": message})
    secret = secrets.token_urlsafe(32)
    invitation = Invitation(organisation=org, email=email, role=role, token_hash=_token_hash(secret),
                            invited_by_id=inviter.id, expires_at=utcnow() + timedelta(days=7))
    db.session.add(invitation)
    audit.record("member.invited", invitation, after={"email": email, "role": role.value}, organisation_id=org.id)
    link = f"{current_app.config['BASE_URL']}/accounts/invitations/{secret}"
    send_message(email, _("You are invited to %(org)s on wufei", org=org.name),
                 _("%(inviter)s invites you to join %(org)s.\nAccept within 7 days: %(link)s",
                   inviter=inviter.name, org=org.name, link=link))
    return link


def find_invitation(secret: str) -> Invitation:
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == _token_hash(secret or "")))
    if invitation is None or invitation.accepted_at or invitation.revoked_at or invitation.expires_at < utcnow():
        raise DomainError(_l("This invitation is invalid, used or expired."), code="invalid_token", status=404)
    return invitation


def accept_invitation(invitation: Invitation, user: User) -> Membership:
    if user.email != invitation.email:
        raise Forbidden(_l("This invitation was sent to another e-mail address."))
    if any(m.organisation_id == invitation.organisation_id for m in user.memberships):
        raise Conflict(_l("You are a member already."))
    member = Membership(user=user, organisation=invitation.organisation, role=invitation.role)
    db.session.add(member)
    invitation.accepted_at = utcnow()
    audit.record("member.joined", member, actor=user, after={"role": invitation.role.value},
                 organisation_id=invitation.organisation_id)
    return member


def change_member_role(member: Membership, role: Role) -> Membership:
    if member.role == Role.ADMIN and role != Role.ADMIN:
        _keep_one_admin(member)
    before = {"role": member.role.value}
    member.role = role
    audit.record("member.role_changed", member, before=before, after={"role": role.value},
                 organisation_id=member.organisation_id)
    return member


def remove_member(member: Membership) -> None:
    if member.role == Role.ADMIN:
        _keep_one_admin(member)
    audit.record("member.removed", member, before={"user_id": member.user_id, "role": member.role.value},
                 organisation_id=member.organisation_id)
    db.session.delete(member)


def _keep_one_admin(member: Membership) -> None:
    admins = [m for m in member.organisation.memberships if m.role == Role.ADMIN]
    if len(admins) <= 1:
        raise Conflict(_l("An organisation needs at least one administrator."))


# --- API tokens --------------------------------------------------------------------------------

TOKEN_PREFIX = "wf_"


def create_api_token(user: User, name: str, organisation: Organisation | None) -> tuple[ApiToken, str]:
    """A new token; the secret is returned once and only its hash is stored."""
    name = (name or "").strip()
    if not name:
        message = _l("Give the token a name.")
        raise DomainError(message, fields={"name": message})
    if organisation is not None and not any(m.organisation_id == organisation.id for m in user.memberships):
        raise Forbidden(_l("A token can act only for an organisation you belong to."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user=user, organisation=organisation, name=name, prefix=secret[:10],
                     token_hash=_token_hash(secret))
    db.session.add(token)
    audit.record("token.created", token, actor=user, after={"name": name, "prefix": token.prefix},
                 organisation_id=getattr(organisation, "id", None))
    return token, secret


def revoke_api_token(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("token.revoked", token, before={"name": token.name}, organisation_id=token.organisation_id)


def find_api_token(secret: str) -> ApiToken | None:
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(secret)))
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    token.last_used_at = utcnow()
    return token
