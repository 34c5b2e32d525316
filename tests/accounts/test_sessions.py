"""Honest sessions, through the test client's real cookies: signing out and changing the password end the
user's other sessions, an administrator can end them all, a TOTP code is accepted once, and a refused
sign-in never tells whether the account exists."""
import re
import threading
import time

import pyotp
import pytest
from sqlalchemy import select

from portal.accounts import services
from portal.accounts.models import User
from portal.audit import AuditEntry
from portal.errors import DomainError
from portal.extensions import db
from portal.outbox import OutboxMessage
from tests.factories import PASSWORD, login

EN = {"Accept-Language": "en"}


def _sign_in(client, email, password=PASSWORD):
    return client.post("/accounts/login", data={"login": email, "password": password}, headers=EN)


def _signed_in(client) -> bool:
    return client.get("/accounts/profile").status_code == 200


def _browsers(app, n):
    return [app.test_client() for _ in range(n)]


def test_signing_out_ends_the_users_sessions_in_every_browser(app, factory):
    factory.user(email="li@example.cn")
    factory.user(email="wang@example.cn")
    phone, desk, colleague = _browsers(app, 3)
    _sign_in(phone, "li@example.cn"), _sign_in(desk, "li@example.cn"), _sign_in(colleague, "wang@example.cn")
    assert _signed_in(phone) and _signed_in(desk) and _signed_in(colleague)

    assert phone.post("/accounts/logout").status_code == 302
    assert not _signed_in(phone) and not _signed_in(desk)
    assert desk.get("/accounts/profile").location.startswith("/accounts/login")
    assert _signed_in(colleague)  # another user's session goes on
    assert _sign_in(desk, "li@example.cn").status_code == 302 and _signed_in(desk)  # and signing in again works


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app, factory):
    factory.user(email="li@example.cn")
    phone, desk = _browsers(app, 2)
    _sign_in(phone, "li@example.cn"), _sign_in(desk, "li@example.cn")
    changed = desk.post("/accounts/profile", data={
        "password-current_password": PASSWORD, "password-new_password": "another pass",
        "password-confirm": "another pass", "password-submit": "y"})
    assert changed.status_code == 302
    assert _signed_in(desk)
    assert not _signed_in(phone)


def test_a_password_reset_ends_every_session(app, client, factory):
    factory.user(email="li@example.cn")
    (phone,) = _browsers(app, 1)
    _sign_in(phone, "li@example.cn")
    client.post("/accounts/forgot", data={"login": "li@example.cn"})
    with app.app_context():
        body = db.session.scalar(select(OutboxMessage.body))
    link = re.search(r"http://wufei\.test(/accounts/reset/\S+)", body).group(1)
    assert client.post(link, data={"password": "new password 1", "confirm": "new password 1"}).status_code == 302
    assert not _signed_in(phone)


def _enrolled_regulator(app, factory, email="reg@example.cn"):
    """A regulator signed in fully once (password and code) in a browser of their own; that browser."""
    regulator = factory.regulator(email=email)
    (desk,) = _browsers(app, 1)
    _sign_in(desk, email)
    assert desk.post("/accounts/totp", data={"code": pyotp.TOTP(regulator.totp_secret).now()}).status_code == 302
    assert desk.get("/accounts/review").status_code == 200
    return regulator, desk


def test_signing_out_a_session_still_waiting_for_the_code_ends_only_that_one(app, factory):
    """The password alone must not let anyone sign the real user out of their other sessions."""
    _regulator, desk = _enrolled_regulator(app, factory)
    (intruder,) = _browsers(app, 1)
    assert "/accounts/totp" in _sign_in(intruder, "reg@example.cn").location
    assert 'action="/accounts/logout"' in intruder.get("/accounts/totp").text  # the code page offers a way out
    assert intruder.post("/accounts/logout").status_code == 302
    assert intruder.get("/accounts/totp").location.startswith("/accounts/login")
    assert desk.get("/accounts/review").status_code == 200


def test_a_totp_code_is_accepted_once(app, factory):
    regulator, _desk = _enrolled_regulator(app, factory)  # the code confirmed the enrolment
    used = pyotp.TOTP(regulator.totp_secret).now()
    (laptop,) = _browsers(app, 1)
    _sign_in(laptop, "reg@example.cn")
    replay = laptop.post("/accounts/totp", data={"code": used}, headers=EN)
    assert replay.status_code == 422
    assert "This code has been used already." in replay.text
    assert "/accounts/totp" in laptop.get("/accounts/review").location

    following = pyotp.TOTP(regulator.totp_secret).at(time.time() + 30)  # the next step, within the window
    assert laptop.post("/accounts/totp", data={"code": following}).status_code == 302
    assert laptop.get("/accounts/review").status_code == 200
    (tablet,) = _browsers(app, 1)  # and that one is spent too
    _sign_in(tablet, "reg@example.cn")
    assert tablet.post("/accounts/totp", data={"code": following}, headers=EN).status_code == 422


def test_one_code_sent_eight_times_at_once_lets_one_in(app, factory):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite serialises writers on a file lock: real concurrency needs PostgreSQL")
    regulator = factory.regulator(email="reg@example.cn")
    code = pyotp.TOTP(regulator.totp_secret).now()
    start, results = threading.Barrier(8), []

    def verify():
        with app.test_request_context():
            user = db.session.get(User, regulator.id)  # each has read "no step used yet" before any claims
            start.wait()
            try:
                services.verify_totp(user, code)
                db.session.commit()
                results.append(True)
            except DomainError:
                db.session.rollback()
                results.append(False)

    threads = [threading.Thread(target=verify) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == [False] * 7 + [True]


def test_a_wrong_code_is_refused_as_wrong(app, factory):
    factory.regulator(email="reg@example.cn")
    (desk,) = _browsers(app, 1)
    _sign_in(desk, "reg@example.cn")
    wrong = desk.post("/accounts/totp", data={"code": "000000"}, headers=EN)
    assert wrong.status_code == 422 and "The code is wrong or has expired." in wrong.text


def _entries(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def _csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_an_admin_signs_a_user_out_everywhere_with_an_audited_post(app, factory, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # the button's form must carry its token
    admin = factory.user(admin=True)
    user = factory.user(email="li@example.cn")
    phone, admin_browser = _browsers(app, 2)
    login(admin_browser, admin)
    with monkeypatch.context() as m:  # signing in through the form needs no token in this test
        m.setitem(app.config, "WTF_CSRF_ENABLED", False)
        _sign_in(phone, "li@example.cn")
    assert _signed_in(phone)

    page = admin_browser.get(f"/admin/users/{user.id}", headers=EN)
    assert f'action="/admin/users/{user.id}/end-sessions"' in page.text and "Sign out everywhere" in page.text
    forged = admin_browser.post(f"/admin/users/{user.id}/end-sessions")
    assert forged.status_code == 400 and _signed_in(phone) and _entries(app, "user.sessions_ended") == []

    done = admin_browser.post(f"/admin/users/{user.id}/end-sessions", data={"csrf_token": _csrf_token(page.text)})
    assert done.status_code == 302
    assert not _signed_in(phone)
    (entry,) = _entries(app, "user.sessions_ended")
    assert entry.actor_id == admin.id and entry.object_id == str(user.id)
    assert admin_browser.get("/admin/").status_code == 200  # the admin's own session goes on


def test_a_deactivated_account_is_signed_out_at_once(app, factory):
    admin = factory.user(admin=True)
    user = factory.user(email="li@example.cn")
    phone, admin_browser = _browsers(app, 2)
    _sign_in(phone, "li@example.cn")
    login(admin_browser, admin)
    assert admin_browser.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    assert not _signed_in(phone)


def test_a_refused_sign_in_is_the_same_for_an_unknown_and_a_locked_account(app, factory):
    factory.user(email="li@example.cn")
    known, unknown = _browsers(app, 2)
    for _attempt in range(5):
        _sign_in(known, "li@example.cn", "wrong")
    locked = _sign_in(known, "li@example.cn")  # the right password, on a locked account
    nobody = _sign_in(unknown, "nobody@example.cn")
    assert locked.status_code == nobody.status_code == 422
    assert "sign-in is paused" in locked.text
    # the whole page is the same but for the address typed in
    assert locked.text.replace("li@example.cn", "…") == nobody.text.replace("nobody@example.cn", "…")
