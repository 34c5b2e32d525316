"""Factories for the objects most tests need. Each commits, as a view would."""
import itertools
from contextlib import contextmanager

import pyotp
from flask import has_app_context

from portal.accounts import services
from portal.accounts.models import Membership, Organisation, OrgStatus, Regulator, Role, User
from portal.accounts.uscc import check_character
from portal.auth import SESSION_VERSION_KEY
from portal.extensions import db

PASSWORD = "correct horse 9"
_seq = itertools.count(1)


def make_uscc(n: int | None = None, division: str = "411200") -> str:
    """A valid 统一社会信用代码 for test organisations."""
    body = f"91{division}{(n or next(_seq)):08d}A"
    return body + check_character(body)


class Factory:
    def __init__(self, app):
        self.app = app

    @contextmanager
    def _committing(self):
        """Commit what the block adds; detach it when the block had to open its own app context."""
        if has_app_context():
            added = []
            yield added
            db.session.commit()
            return
        with self.app.app_context():
            added = []
            yield added
            db.session.commit()
            for obj in added:
                db.session.refresh(obj)
            db.session.expunge_all()

    def user(self, email=None, name="测试用户", password=PASSWORD, locale=None, admin=False, **extra) -> User:
        with self._committing() as added:
            user = User(email=email or f"user{next(_seq)}@example.cn", name=name, locale=locale,
                        password_hash=services.hash_password(password), is_platform_admin=admin, **extra)
            if admin:
                user.totp_secret = pyotp.random_base32()
            db.session.add(user)
            added.append(user)
        return user

    def org(self, name=None, district="411282", status=OrgStatus.VERIFIED, admin: User | None = None,
            role=Role.ADMIN, **capabilities) -> Organisation:
        with self._committing() as added:
            org = Organisation(uscc=make_uscc(), name=name or f"测试企业{next(_seq)}", address="三门峡市测试路1号",
                               district_code=district, contact_name="联系人", contact_phone="0398-1234567",
                               status=status, **capabilities)
            db.session.add(org)
            if admin is not None:
                db.session.add(Membership(user_id=admin.id, organisation=org, role=role))
            added.append(org)
        return org

    def member(self, org: Organisation, role=Role.STAFF, **kwargs) -> User:
        user = self.user(**kwargs)
        with self._committing():
            db.session.add(Membership(user_id=user.id, organisation_id=org.id, role=role))
        return user

    def regulator(self, jurisdiction="411200", department="ecology", **kwargs) -> User:
        user = self.user(**kwargs)
        with self._committing() as added:
            db.session.add(Regulator(user_id=user.id, department=department, jurisdiction_code=jurisdiction))
            user = db.session.merge(user)
            user.totp_secret = pyotp.random_base32()
            added.append(user)
        return user

    def token(self, user: User, org: Organisation | None = None, name="test") -> str:
        with self._committing():
            _token, secret = services.create_api_token(db.session.merge(user), name,
                                                       db.session.merge(org) if org else None)
        return secret


def login(client, user: User) -> None:
    """Sign a test client in as user, past the second factor, in a session as current as a sign-in's."""
    with client.application.app_context():
        version = db.session.get(User, user.id).session_version
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
        session["totp_ok"] = True
        session[SESSION_VERSION_KEY] = version
