"""What a platform administrator may change about users: lock, deactivate, admin rights, regulator role.

Every change is audited with the values before and after. Services never commit; the admin views do.
"""
from datetime import timedelta

from flask_babel import lazy_gettext as _l

from .. import audit
from ..accounts import services as accounts
from ..accounts.models import Department, Regulator, User
from ..errors import Conflict, DomainError
from ..extensions import db
from ..jurisdiction import jurisdiction_code
from ..regulatory.models import Division, jurisdiction_districts
from ..types import utcnow

# An administrator's lock lasts until another administrator lifts it; a century is "until unlocked".
ADMIN_LOCK = timedelta(days=36500)
USER_FIELDS = ("active", "locked_until", "failed_logins", "is_platform_admin")
REGULATOR_FIELDS = ("department", "jurisdiction_code", "is_head")


def _user_state(user: User) -> dict:
    return audit.snapshot(user, USER_FIELDS)


def _change_user(user: User, actor: User, action: str, **changes) -> User:
    """Apply changes to the user's audited fields and record them with the values before and after."""
    before = _user_state(user)
    for name, value in changes.items():
        setattr(user, name, value)
    audit.record(action, user, before=before, after=_user_state(user), actor=actor)
    return user


def _not_yourself(user: User, actor: User, message) -> None:
    """An administrator cannot shut themselves out (the platform could be left without one)."""
    if actor is not None and user.id == actor.id:
        raise Conflict(message)


def lock_user(user: User, actor: User) -> User:
    _not_yourself(user, actor, _l("You cannot lock your own account."))
    if user.locked_until and user.locked_until > utcnow():
        raise Conflict(_l("This account is locked already."))
    return _change_user(user, actor, "user.locked", locked_until=utcnow() + ADMIN_LOCK)


def unlock_user(user: User, actor: User) -> User:
    if not (user.locked_until and user.locked_until > utcnow()) and not user.failed_logins:
        raise Conflict(_l("This account is not locked."))
    return _change_user(user, actor, "user.unlocked", locked_until=None, failed_logins=0)


def deactivate_user(user: User, actor: User) -> User:
    _not_yourself(user, actor, _l("You cannot deactivate your own account."))
    if not user.active:
        raise Conflict(_l("This account is deactivated already."))
    return _change_user(user, actor, "user.deactivated", active=False)


def activate_user(user: User, actor: User) -> User:
    if user.active:
        raise Conflict(_l("This account is active already."))
    return _change_user(user, actor, "user.activated", active=True)


def grant_platform_admin(user: User, actor: User) -> User:
    """The new administrator must set up two-factor authentication at the next sign-in."""
    if user.is_platform_admin:
        raise Conflict(_l("This user is a platform administrator already."))
    if not user.active:
        raise Conflict(_l("Activate the account before granting administrator rights."))
    return _change_user(user, actor, "user.admin_granted", is_platform_admin=True)


def revoke_platform_admin(user: User, actor: User) -> User:
    _not_yourself(user, actor, _l("You cannot revoke your own administrator rights."))
    if not user.is_platform_admin:
        raise Conflict(_l("This user is not a platform administrator."))
    return _change_user(user, actor, "user.admin_revoked", is_platform_admin=False)


def end_user_sessions(user: User, actor: User) -> User:
    """Sign the user out everywhere (a lost phone, a shared computer); their next request asks to sign in."""
    accounts.end_sessions(user)
    audit.record("user.sessions_ended", user, actor=actor)
    return user


def jurisdiction_choices() -> list[Division]:
    """The city and its county-level units: the jurisdictions a regulator can have."""
    city = db.session.get(Division, jurisdiction_code())
    return [city, *db.session.scalars(jurisdiction_districts())] if city else []


def make_regulator(user: User, actor: User, department: str, jurisdiction_code: str,
                   is_head: bool = False) -> Regulator:
    """Make the user a regulator of a department for the city or one district (or change that)."""
    errors = {}
    if department not in {d.value for d in Department}:
        errors["department"] = _l("Choose a department from the list.")
    if jurisdiction_code not in {d.code for d in jurisdiction_choices()}:
        errors["jurisdiction_code"] = _l("Choose the city or one of its districts.")
    if errors:
        raise DomainError(_l("Some fields are not valid."), fields=errors)
    if not user.active:
        raise Conflict(_l("Activate the account before making it a regulator."))
    regulator = user.regulator
    before = audit.snapshot(regulator, REGULATOR_FIELDS) if regulator else None
    if regulator is None:
        regulator = Regulator(user=user)
        db.session.add(regulator)
    regulator.department = Department(department)
    regulator.jurisdiction_code = jurisdiction_code
    regulator.is_head = is_head
    action = "regulator.changed" if before else "regulator.appointed"
    audit.record(action, regulator, before=before, after=audit.snapshot(regulator, REGULATOR_FIELDS),
                 actor=actor, object_type="users", object_id=user.id)
    return regulator


def remove_regulator(user: User, actor: User) -> User:
    regulator = user.regulator
    if regulator is None:
        raise Conflict(_l("This user is not a regulator."))
    before = audit.snapshot(regulator, REGULATOR_FIELDS)
    db.session.delete(regulator)
    user.regulator = None
    audit.record("regulator.removed", user, before=before, after=None, actor=actor)
    return user
