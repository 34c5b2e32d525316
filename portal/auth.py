"""Every permission check of the portal: role level and object level.

Views, API endpoints and services call these; nothing else decides who may see or change what.
A check that fails for an object the user should not even know about raises NotFound (404), so that
identifiers cannot be probed; a check on a visible object the user may not change raises Forbidden.
"""
from functools import wraps

from flask import g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from sqlalchemy import false, select

from .accounts.models import Membership, Organisation, Role, User
from .errors import Forbidden, NotFound
from .extensions import db
from .jurisdiction import area_prefix, in_jurisdiction, jurisdiction_code

TOTP_SESSION_KEY = "totp_ok"
# The user's session_version when this session signed in; a session holding an older one has been ended.
# A session from before versions existed holds none and counts as 0: the user's next sign-out ends it.
SESSION_VERSION_KEY = "sv"


def is_admin(user) -> bool:
    return bool(user and user.is_authenticated and user.is_platform_admin)


def regulator_of(user):
    """The user's Regulator record, or None for everyone who is not a regulator."""
    return user.regulator if user and user.is_authenticated else None


def jurisdiction_covers(user, district_code: str | None) -> bool:
    """True when a regulator's jurisdiction (the city, or one district) includes district_code. A regulator
    of another area has no jurisdiction here: it only reads the transfers into its area (destination_covers)."""
    regulator = regulator_of(user)
    if regulator is None or not in_jurisdiction(regulator.jurisdiction_code):
        return False
    return regulator.jurisdiction_code in (jurisdiction_code(), district_code)


def outside_regulator(user):
    """The Regulator record of a regulator whose area (any division of China) lies outside the city."""
    regulator = regulator_of(user)
    return regulator if regulator is not None and not in_jurisdiction(regulator.jurisdiction_code) else None


def destination_covers(user, district_code: str | None) -> bool:
    """True when district_code lies in the area of a regulator from outside the city: the regulators of a
    destination see, read-only, the transfers that arrive in their area."""
    regulator = outside_regulator(user)
    return bool(regulator and district_code and district_code.startswith(area_prefix(regulator.jurisdiction_code)))


def oversees_city(user) -> bool:
    """Admins and the regulators of the city or one of its districts: those with a jurisdiction here (the
    dashboards' audience); a regulator of another area only reads what arrives in it."""
    return is_admin(user) or (regulator_of(user) is not None and outside_regulator(user) is None)


def membership(user, organisation_id: int | None) -> Membership | None:
    if not (user and user.is_authenticated and organisation_id):
        return None
    return next((m for m in user.memberships if m.organisation_id == organisation_id), None)


def is_member(user, organisation_id: int | None) -> bool:
    return membership(user, organisation_id) is not None


def is_org_admin(user, organisation_id: int | None) -> bool:
    m = membership(user, organisation_id)
    return m is not None and m.role == Role.ADMIN


def is_org_office(user, organisation_id: int | None) -> bool:
    """Admins and staff file the organisation's paperwork (declarations); drivers do not."""
    m = membership(user, organisation_id)
    return m is not None and m.role in (Role.ADMIN, Role.STAFF)


def can_view_org(user, org: Organisation) -> bool:
    return is_admin(user) or is_member(user, org.id) or jurisdiction_covers(user, org.district_code)


def can_view_org_data(user, organisation_id: int, district_code: str | None) -> bool:
    """May the user read an object owned by an organisation located in district_code?"""
    return is_admin(user) or is_member(user, organisation_id) or jurisdiction_covers(user, district_code)


def can_manage_org(user, org: Organisation) -> bool:
    return is_admin(user) or is_org_admin(user, org.id)


def can_review_org(user, org: Organisation) -> bool:
    """Regulators of the organisation's district (or the city) and platform admins verify enterprises."""
    return is_admin(user) or jurisdiction_covers(user, org.district_code)


def can_handle_case(user, department, district_code: str | None) -> bool:
    """A case routed to a department (a public report): its regulators in that district, and admins."""
    regulator = regulator_of(user)
    return is_admin(user) or (regulator is not None and regulator.department == department
                              and jurisdiction_covers(user, district_code))


def require_view_org(user, org: Organisation | None) -> Organisation:
    if org is None or not can_view_org(user, org):
        raise NotFound(_l("Organisation not found."))
    return org


def require_manage_org(user, org: Organisation | None) -> Organisation:
    require_view_org(user, org)
    if not can_manage_org(user, org):
        raise Forbidden(_l("Only the organisation's administrators may do this."))
    return org


def require_review_org(user, org: Organisation | None) -> Organisation:
    require_view_org(user, org)
    if not can_review_org(user, org):
        raise Forbidden(_l("Only a regulator of the organisation's district may review it."))
    return org


def require_verified(org: Organisation | None) -> Organisation:
    """Unverified organisations cannot list, offer or sign."""
    if org is None or not org.is_verified:
        raise Forbidden(_l("Your organisation has not been verified by the regulator yet."), code="unverified")
    return org


def orgs_visible_to(user):
    """A select() of the organisations the user may see: all, a jurisdiction, or its own."""
    query = select(Organisation)
    if is_admin(user):
        return query
    if outside_regulator(user) is not None:
        return query.where(false())
    regulator = regulator_of(user)
    if regulator is not None:
        return query if regulator.jurisdiction_code == jurisdiction_code() else query.where(
            Organisation.district_code == regulator.jurisdiction_code)
    ids = [m.organisation_id for m in user.memberships] if user.is_authenticated else []
    return query.where(Organisation.id.in_(ids))


def require_own_token(user, token):
    """API tokens are personal: only their owner lists or revokes them."""
    if token is None or not (user and user.is_authenticated) or token.user_id != user.id:
        raise NotFound(_l("Not found."))
    return token


def require_view_org_data(user, organisation_id: int, district_code: str | None):
    """Reading an organisation's object (a batch, a site …): 404 for anyone who may not see it."""
    if not can_view_org_data(user, organisation_id, district_code):
        raise NotFound(_l("Not found."))


def require_member_of(user, organisation_id: int, district_code: str | None = None):
    """Changing an organisation's object: only its members; others who may see it get 403, the rest 404."""
    require_view_org_data(user, organisation_id, district_code)
    if not is_member(user, organisation_id):
        raise Forbidden(_l("Only members of the organisation may change this."))


def can_view_shared(user, organisation_ids, district_codes, destination_code: str | None = None) -> bool:
    """A document several organisations share (a transfer manifest): its parties' members, the regulators
    of any of its districts, the regulators of its destination's area outside the city, and admins."""
    return (is_admin(user) or any(is_member(user, org_id) for org_id in organisation_ids)
            or any(jurisdiction_covers(user, code) for code in district_codes)
            or destination_covers(user, destination_code))


def require_view_shared(user, organisation_ids, district_codes, destination_code: str | None = None) -> None:
    if not can_view_shared(user, organisation_ids, district_codes, destination_code):
        raise NotFound(_l("Not found."))


def scope_to_viewer(query, user, organisation_column, district_column):
    """Restrict a select() of organisation-owned rows to those the user may see."""
    if is_admin(user):
        return query
    if outside_regulator(user) is not None:
        return query.where(false())  # no jurisdiction here; its transfers are read through the manifests
    regulator = regulator_of(user)
    if regulator is not None:
        return query if regulator.jurisdiction_code == jurisdiction_code() else query.where(
            district_column == regulator.jurisdiction_code)
    ids = [m.organisation_id for m in user.memberships] if user.is_authenticated else []
    return query.where(organisation_column.in_(ids))


# --- the acting organisation -------------------------------------------------------------------

def current_org() -> Organisation | None:
    """The organisation the user acts for: the API token's, else the one chosen in the session."""
    if "api_org" in g:
        return g.api_org
    if not current_user.is_authenticated or not current_user.memberships:
        return None
    chosen = session.get("org_id")
    m = membership(current_user, chosen) or current_user.memberships[0]
    return m.organisation


def acts_for_verified_org() -> bool:
    """The user acts for an organisation the regulator has verified (the session's or the token's)."""
    org = current_org()
    return org is not None and org.is_verified


def can_read_licences_of(user, org: Organisation) -> bool:
    """Licences are public information: regulators, admins, the holder and any verified enterprise read them
    and ask whether they cover a receipt."""
    return can_view_org(user, org) or acts_for_verified_org()


def current_org_or_403() -> Organisation:
    org = current_org()
    if org is None:
        raise Forbidden(_l("You do not belong to an organisation."))
    return org


# --- sessions and the second factor -------------------------------------------------------------
#
# A browser session names its user once the password is right, but Flask-Login's user loader hands that
# user out only when the session is still current (not ended by a logout or a password change elsewhere)
# and past the second factor where the role requires one. Until then current_user is anonymous: every
# check in this module, in views and in services sees no role at all, without having to ask.

def _needs_second_factor(user: User) -> bool:
    return user.needs_totp and not session.get(TOTP_SESSION_KEY)


def _password_user(user_id) -> User | None:
    """The active user this session signed in with a password, unless the session has been ended since."""
    user = db.session.get(User, int(user_id)) if str(user_id).isdigit() else None
    if user is None or not user.is_active or session.get(SESSION_VERSION_KEY, 0) != user.session_version:
        return None
    return user


def load_session_user(user_id: str) -> User | None:
    """Flask-Login's user loader: the session's user, once fully signed in."""
    user = _password_user(user_id)
    return None if user is None or _needs_second_factor(user) else user


def user_awaiting_second_factor() -> User | None:
    """The user who gave the right password in this session but not yet the code (the TOTP page's user)."""
    user = _password_user(session.get("_user_id"))
    return user if user is not None and _needs_second_factor(user) else None


def start_session(user: User) -> None:
    """A fresh session for the user whose password was right (no fixation, no stale second factor)."""
    session.clear()
    login_user(user)
    session[SESSION_VERSION_KEY] = user.session_version


def pass_second_factor() -> None:
    session[TOTP_SESSION_KEY] = True


def keep_this_session(user: User) -> None:
    """After the user ended their other sessions (a password change), this one goes on."""
    session[SESSION_VERSION_KEY] = user.session_version


# --- view decorators ---------------------------------------------------------------------------

def login_required(view):
    """Signed in, and past the second factor where the user's role requires one."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated:
            return view(*args, **kwargs)
        step = "accounts.totp" if user_awaiting_second_factor() is not None else "accounts.login"
        return redirect(url_for(step, next=request.full_path))
    return wrapped


def regulator_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if regulator_of(current_user) is None and not is_admin(current_user):
            raise Forbidden(_l("This page is for regulators."))
        return view(*args, **kwargs)
    return wrapped


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not is_admin(current_user):
            raise Forbidden(_l("This page is for platform administrators."))
        return view(*args, **kwargs)
    return wrapped


def get_or_404(model, ident):
    obj = db.session.get(model, ident)
    if obj is None:
        raise NotFound(_l("Not found."))
    return obj
