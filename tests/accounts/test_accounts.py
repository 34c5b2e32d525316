"""Accounts on the web: sign-up, sign-in with lockout, password reset, TOTP for regulators, profile,
API tokens (web and `wufei tokens create`)."""
import base64
import io
import re

import pyotp
from PIL import Image
from sqlalchemy import func, select

from portal.accounts.models import ApiToken, User
from portal.cli import main
from portal.extensions import db
from portal.outbox import OutboxMessage
from tests.documents import qr_codes
from tests.factories import PASSWORD, login

EN = {"Accept-Language": "en"}


def _db(app, statement):
    with app.app_context():
        return db.session.scalar(statement)


def _sign_in(client, login_name, password, **kwargs):
    return client.post("/accounts/login", data={"login": login_name, "password": password}, **kwargs)


def test_signup_signs_in_and_leads_to_enterprise_registration(app, client):
    response = client.post("/accounts/signup", data={
        "name": "王经理", "email": "Wang@Example.cn", "mobile": "13912345678", "password": "s3cret-pass",
        "confirm": "s3cret-pass", "locale": "en"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/accounts/organisations/register")
    page = client.get("/accounts/organisations/register")
    assert page.status_code == 200
    assert 'lang="en"' in page.text  # the chosen language applies at once
    user = _db(app, select(User).where(User.email == "wang@example.cn"))
    assert user.mobile == "13912345678" and user.locale == "en"


def test_signup_refuses_bad_input_and_saves_nothing(app, client):
    response = client.post("/accounts/signup", headers=EN, data={
        "name": "x", "email": "not-an-email", "mobile": "12345", "password": "short", "confirm": "other",
        "locale": "en"})
    assert response.status_code == 422
    for field in ("email", "mobile", "password", "confirm"):
        assert f'id="{field}-error"' in response.text
    assert "A mobile number has 11 digits" in response.text
    assert _db(app, select(func.count(User.id))) == 0


def test_signup_refuses_a_taken_email(app, client, factory):
    factory.user(email="taken@example.cn")
    response = client.post("/accounts/signup", headers=EN, data={
        "name": "x", "email": "taken@example.cn", "password": "long enough", "confirm": "long enough",
        "locale": "en"})
    assert response.status_code == 422
    assert "An account with this e-mail address exists already." in response.text


def test_login_with_email_or_mobile_and_next(client, factory):
    factory.user(email="li@example.cn", mobile="13800000001")
    response = _sign_in(client, "LI@example.cn", PASSWORD)
    assert response.status_code == 302
    client.post("/accounts/logout")
    response = client.post("/accounts/login?next=/accounts/profile",
                           data={"login": "13800000001", "password": PASSWORD})
    assert response.headers["Location"].endswith("/accounts/profile")
    assert client.get("/accounts/profile").status_code == 200


def test_login_ignores_an_offsite_next(client, factory):
    factory.user(email="li@example.cn")
    response = client.post("/accounts/login?next=https://evil.example/x",
                           data={"login": "li@example.cn", "password": PASSWORD})
    assert "evil.example" not in response.headers["Location"]


def test_wrong_password_is_a_form_error(client, factory):
    factory.user(email="li@example.cn")
    response = _sign_in(client, "li@example.cn", "wrong", headers=EN)
    assert response.status_code == 422
    assert "Wrong e-mail, mobile number or password." in response.text
    assert client.get("/accounts/profile").status_code == 302  # still signed out


def test_account_locks_after_five_failures(app, client, factory):
    user = factory.user(email="li@example.cn")
    for _attempt in range(5):
        assert _sign_in(client, "li@example.cn", "wrong", headers=EN).status_code == 422
    response = _sign_in(client, "li@example.cn", PASSWORD, headers=EN)
    assert response.status_code == 422
    assert "sign-in is paused for 15 minutes" in response.text  # the right password does not get in
    assert _db(app, select(User.locked_until).where(User.id == user.id)) is not None
    assert client.get("/accounts/profile").status_code == 302


def test_logout_ends_the_session(client, factory):
    login(client, factory.user())
    assert client.get("/accounts/profile").status_code == 200
    assert client.post("/accounts/logout").status_code == 302
    assert client.get("/accounts/profile").status_code == 302


def test_password_reset_through_the_outbox_link(app, client, factory):
    factory.user(email="li@example.cn")
    response = client.post("/accounts/forgot", data={"login": "li@example.cn"}, headers=EN)
    assert response.status_code == 200
    confirmation = response.text
    assert "we have sent it a link" in confirmation
    # an unknown address gets the very same answer (no account probing) and no mail
    unknown = client.post("/accounts/forgot", data={"login": "nobody@example.cn"}, headers=EN)
    assert "we have sent it a link" in unknown.text
    with app.app_context():
        messages = db.session.scalars(select(OutboxMessage)).all()
    assert [m.recipient for m in messages] == ["li@example.cn"]
    path = re.search(r"http://wufei\.test(/accounts/reset/\S+)", messages[0].body).group(1)

    assert client.get(path).status_code == 200
    mismatch = client.post(path, data={"password": "new password 1", "confirm": "other"})
    assert mismatch.status_code == 422
    response = client.post(path, data={"password": "new password 1", "confirm": "new password 1"})
    assert response.headers["Location"].endswith("/accounts/login")
    assert _sign_in(client, "li@example.cn", PASSWORD).status_code == 422
    assert _sign_in(client, "li@example.cn", "new password 1").status_code == 302
    # the link is single-use: the password it was issued for has changed
    client.post("/accounts/logout")
    assert client.get(path).headers["Location"].endswith("/accounts/forgot")


def test_invalid_reset_link_sends_back_to_the_form(client):
    response = client.get("/accounts/reset/garbage")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/accounts/forgot")


def test_regulator_needs_totp_before_any_protected_page(app, client, factory):
    regulator = factory.regulator(email="reg@example.cn", jurisdiction="411282")
    response = _sign_in(client, "reg@example.cn", PASSWORD)
    assert "/accounts/totp" in response.headers["Location"]
    # signed in but without the second factor: every protected page sends to the TOTP step
    for url in ("/accounts/review", "/accounts/profile"):
        blocked = client.get(url)
        assert blocked.status_code == 302 and "/accounts/totp" in blocked.headers["Location"]

    enrol = client.get("/accounts/totp")
    assert enrol.status_code == 200
    assert regulator.totp_secret in enrol.text
    assert _decode_qr(enrol.text) == pyotp.TOTP(regulator.totp_secret).provisioning_uri(
        name="reg@example.cn", issuer_name="wufei")

    wrong = client.post("/accounts/totp", data={"code": "000000"}, headers=EN)
    assert wrong.status_code == 422
    code = pyotp.TOTP(regulator.totp_secret).now()
    assert client.post("/accounts/totp", data={"code": code}).status_code == 302
    assert client.get("/accounts/review").status_code == 200
    assert _db(app, select(User.totp_enabled).where(User.id == regulator.id)) is True

    # once enrolled, the next sign-in asks for a code but no longer shows the secret
    client.post("/accounts/logout")
    _sign_in(client, "reg@example.cn", PASSWORD)
    again = client.get("/accounts/totp")
    assert regulator.totp_secret not in again.text
    assert client.get("/accounts/review").status_code == 302


def _decode_qr(html: str) -> str:
    """What an authenticator app reads from the page's QR code."""
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1))
    return qr_codes(Image.open(io.BytesIO(png)))[0]


def test_admin_needs_totp_too(client, factory):
    factory.user(email="admin@example.cn", admin=True)
    response = _sign_in(client, "admin@example.cn", PASSWORD)
    assert "/accounts/totp" in response.headers["Location"]


def test_enterprise_user_skips_totp(client, factory):
    user = factory.user(email="li@example.cn")
    factory.org(admin=user)
    response = _sign_in(client, "li@example.cn", PASSWORD)
    assert response.headers["Location"].endswith("/home")
    assert client.get("/home").status_code == 200


def test_profile_changes_name_language_and_password(app, client, factory):
    user = factory.user(email="li@example.cn")
    login(client, user)
    response = client.post("/accounts/profile", data={
        "profile-name": "李四", "profile-locale": "en", "profile-submit": "y"})
    assert response.status_code == 302
    page = client.get("/accounts/profile")
    assert 'lang="en"' in page.text and "李四" in page.text

    wrong = client.post("/accounts/profile", data={
        "password-current_password": "nope", "password-new_password": "another pass",
        "password-confirm": "another pass", "password-submit": "y"})
    assert wrong.status_code == 422
    assert "The current password is wrong." in wrong.text
    ok = client.post("/accounts/profile", data={
        "password-current_password": PASSWORD, "password-new_password": "another pass",
        "password-confirm": "another pass", "password-submit": "y"})
    assert ok.status_code == 302
    client.post("/accounts/logout")
    assert _sign_in(client, "li@example.cn", "another pass").status_code == 302


def test_api_token_created_shown_once_and_revoked(app, client, factory):
    user = factory.user()
    org = factory.org(admin=user, name="灵宝金矿")
    login(client, user)
    response = client.post("/accounts/profile", data={
        "token-name": "ERP", "token-organisation": str(org.id), "token-submit": "y"})
    assert response.status_code == 200
    secret = re.search(r'id="new-token">(wf_[^<]+)<', response.text).group(1)
    listing = client.get("/accounts/profile")
    assert secret not in listing.text and "ERP" in listing.text and secret[:10] in listing.text

    api = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 200
    assert api.json["organisation"]["name"] == "灵宝金矿"

    token_id = _db(app, select(ApiToken.id).where(ApiToken.name == "ERP"))
    assert client.post(f"/accounts/tokens/{token_id}/revoke").status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_token_needs_a_name_and_a_own_organisation(client, factory):
    user = factory.user(locale="en")
    own = factory.org(admin=user)
    other = factory.org()
    login(client, user)
    nameless = client.post("/accounts/profile", data={
        "token-name": "", "token-organisation": str(own.id), "token-submit": "y"})
    assert nameless.status_code == 422 and 'id="token-name-error"' in nameless.text
    foreign = client.post("/accounts/profile", data={
        "token-name": "x", "token-organisation": str(other.id), "token-submit": "y"})
    assert foreign.status_code == 422 and 'id="token-organisation-error"' in foreign.text


def test_cannot_revoke_someone_elses_token(app, client, factory):
    owner = factory.user()
    secret = factory.token(owner, name="owner's")
    token_id = _db(app, select(ApiToken.id))
    login(client, factory.user())
    assert client.post(f"/accounts/tokens/{token_id}/revoke").status_code == 404
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_cli_tokens_create_prints_a_working_token(app, client, factory):
    user = factory.user(email="script@example.cn")
    factory.org(admin=user, name="义马煤业")
    result = app.test_cli_runner().invoke(main, ["tokens", "create", "--email", "script@example.cn",
                                                 "--name", "nightly export"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.json["user"]["email"] == "script@example.cn"
    assert response.json["organisation"]["name"] == "义马煤业"


def test_cli_tokens_create_refuses_an_unknown_user(app):
    result = app.test_cli_runner().invoke(main, ["tokens", "create", "--email", "ghost@example.cn",
                                                 "--name", "x"])
    assert result.exit_code != 0
    assert "no user" in result.output
