"""The application shell: health check, OpenAPI document, error shapes, security headers, language."""
from openapi_spec_validator import validate

from tests.factories import login


def test_healthz_reports_each_component(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"
    assert response.json["search"] in {"sql", "ok"}
    assert response.json["queue"] == "inline"


def test_openapi_document_is_valid_openapi_3(client):
    document = client.get("/api/v1/openapi.json").json
    validate(document)
    assert document["openapi"].startswith("3.")
    assert "/waste-codes" in document["paths"]


def test_api_errors_use_the_documented_shape(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert response.json["error"]["message"]


def test_api_rejects_a_bad_bearer_token(client):
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer wf_not-a-token"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_api_accepts_a_token_and_bounds_page_size(client, factory):
    token = factory.token(factory.user())
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    response = client.get("/api/v1/waste-codes?page_size=1000")
    assert response.status_code == 422  # a well-formed number out of range; "abc" would be a 400
    assert "page_size" in response.json["error"]["fields"]


def test_idempotency_key_replays_a_post_instead_of_repeating_it(app, client, factory):
    from sqlalchemy import func, select

    from portal.accounts.models import Organisation
    from portal.extensions import db
    from tests.factories import make_uscc

    token = factory.token(factory.user())
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "register-once"}
    body = {"uscc": make_uscc(), "name": "义马市测试煤业有限公司", "address": "义马市千秋路1号",
            "district_code": "411281", "contact_name": "王工", "contact_phone": "0398-5800000",
            "is_generator": True}
    first = client.post("/api/v1/organisations", json=body, headers=headers)
    second = client.post("/api/v1/organisations", json=body, headers=headers)
    assert first.status_code == 201, first.json
    assert second.status_code == 201 and second.headers.get("Idempotent-Replayed") == "true"
    assert second.json == first.json
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Organisation)) == 1
    reused = client.post("/api/v1/organisations", json={**body, "name": "另一家"}, headers=headers)
    assert reused.status_code == 422 and reused.json["error"]["code"] == "idempotency_conflict"


def test_html_error_page_in_both_languages(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert b"not found" in response.data
    response = client.get("/no-such-page", headers={"Accept-Language": "zh-CN"})
    assert "未找到".encode() in response.data


def test_security_headers_forbid_inline_script(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert b"<script>" not in response.data and b"style=" not in response.data


def test_language_switcher_sets_a_cookie_and_stays_on_site(client):
    response = client.get("/lang/en?next=/catalogue")
    assert response.status_code == 302 and response.headers["Location"].endswith("/catalogue")
    assert "lang=en" in response.headers["Set-Cookie"]
    page = client.get("/")
    assert b'lang="en"' in page.data
    evil = client.get("/lang/zh_CN?next=https://evil.example/")
    assert evil.headers["Location"] == "/"
    assert b'lang="zh-CN"' in client.get("/").data


def test_signed_in_users_language_preference_wins(client, factory):
    user = factory.user(locale="en")
    login(client, user)
    assert b'lang="en"' in client.get("/", headers={"Accept-Language": "zh-CN"}).data


def test_csrf_is_enforced_on_forms(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/accounts/login", data={"login": "x@example.cn", "password": "x"})
        assert response.status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
