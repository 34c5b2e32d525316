"""Platform administration: only admins get in, every change is audited, every list filters."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.accounts import services as accounts
from portal.accounts.models import OrgStatus, Regulator, Role, User
from portal.audit import AuditEntry
from portal.errors import DomainError
from portal.extensions import db
from portal.outbox import OutboxMessage
from tests.factories import PASSWORD, login


@pytest.fixture
def admin(factory):
    return factory.user(email="root@example.cn", name="管理员", admin=True)


@pytest.fixture
def admin_client(client, admin):
    login(client, admin)
    return client


@pytest.fixture
def objects(app, factory, admin):
    """One of everything an admin page can show, so that every detail page has something to open."""
    owner = factory.user(email="owner@example.cn", name="企业管理员")
    org = factory.org(name="灵宝测试金矿", admin=owner, is_generator=True)
    with app.app_context():
        entry = AuditEntry(action="organisation.updated", object_type="organisations", object_id=str(org.id),
                           actor_id=admin.id, before={"name": "旧名称"}, after={"name": "灵宝测试金矿"})
        message = OutboxMessage(recipient="owner@example.cn", subject="验证通知", body="您的企业已通过验证。")
        db.session.add_all([entry, message])
        db.session.commit()
        ids = {"user_id": owner.id, "org_id": org.id, "entry_id": entry.id, "message_id": message.id}
    return ids


def admin_pages(ids):
    return ["/admin/", "/admin/users", f"/admin/users/{ids['user_id']}", "/admin/organisations",
            f"/admin/organisations/{ids['org_id']}", "/admin/audit", f"/admin/audit/{ids['entry_id']}",
            "/admin/outbox", f"/admin/outbox/{ids['message_id']}"]


ACTIONS = ["lock", "unlock", "deactivate", "activate", "grant-admin", "revoke-admin", "remove-regulator",
           "end-sessions"]


def _entries(app, action):
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def _user(app, user_id) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        db.session.expunge(user)
        return user


# --- access ----------------------------------------------------------------------------------------

def test_non_admins_get_403_on_every_admin_page_and_action(client, factory, objects):
    member = factory.user(email="member@example.cn")
    factory.org(admin=member)
    regulator = factory.regulator(email="reg@example.cn")
    for user in (member, regulator, factory.user(email="plain@example.cn")):
        login(client, user)
        for url in admin_pages(objects):
            assert client.get(url).status_code == 403, url
        for action in ACTIONS:
            assert client.post(f"/admin/users/{objects['user_id']}/{action}").status_code == 403
        response = client.post(f"/admin/users/{objects['user_id']}/regulator",
                               data={"department": "ecology", "jurisdiction_code": "411200"})
        assert response.status_code == 403
    with client.application.app_context():
        assert db.session.scalar(select(Regulator).where(Regulator.user_id == objects["user_id"])) is None


def test_anonymous_visitors_are_sent_to_sign_in(client, objects):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert "/accounts/login" in response.headers["Location"]


def test_admin_without_second_factor_is_sent_to_totp(client, admin):
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = str(admin.id), True
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/accounts/totp" in response.headers["Location"]


@pytest.mark.parametrize("lang, marker", [("zh_CN", '<html lang="zh'), ("en", '<html lang="en')])
def test_every_admin_page_renders_in_both_languages(admin_client, objects, lang, marker):
    admin_client.set_cookie("lang", lang)
    for url in admin_pages(objects):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert marker in response.get_data(as_text=True)


def test_dashboard_counts_come_from_the_database(admin_client, factory, objects):
    factory.org(status=OrgStatus.PENDING)
    page = admin_client.get("/admin/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'href="/admin/organisations?status=pending"' in page
    # two organisations in all, one of them pending
    assert "<strong>2</strong> <a href=\"/admin/organisations\">" in page
    assert "<strong>1</strong> <a href=\"/admin/organisations?status=pending\">" in page


# --- user actions ----------------------------------------------------------------------------------

def test_lock_and_unlock_are_audited_and_stop_sign_in(app, admin_client, admin, objects):
    user_id = objects["user_id"]
    assert admin_client.post(f"/admin/users/{user_id}/lock").status_code == 302
    (entry,) = _entries(app, "user.locked")
    assert entry.actor_id == admin.id and entry.object_type == "users" and entry.object_id == str(user_id)
    assert entry.before["locked_until"] is None and entry.after["locked_until"] is not None
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with pytest.raises(DomainError, match="Wrong e-mail"):  # as for any refusal: no hint the account exists
            accounts.authenticate("owner@example.cn", PASSWORD)
    assert admin_client.post(f"/admin/users/{user_id}/unlock").status_code == 302
    (entry,) = _entries(app, "user.unlocked")
    assert entry.before["locked_until"] is not None and entry.after["locked_until"] is None
    with app.test_request_context():
        assert accounts.authenticate("owner@example.cn", PASSWORD).id == user_id


def test_deactivate_and_activate(app, admin_client, objects):
    user_id = objects["user_id"]
    admin_client.post(f"/admin/users/{user_id}/deactivate")
    assert _user(app, user_id).active is False
    (entry,) = _entries(app, "user.deactivated")
    assert (entry.before["active"], entry.after["active"]) == (True, False)
    with app.test_request_context():
        with pytest.raises(DomainError):
            accounts.authenticate("owner@example.cn", PASSWORD)
    admin_client.post(f"/admin/users/{user_id}/activate")
    assert _user(app, user_id).active is True
    assert len(_entries(app, "user.activated")) == 1


def test_grant_and_revoke_platform_admin(app, admin_client, objects):
    user_id = objects["user_id"]
    admin_client.post(f"/admin/users/{user_id}/grant-admin")
    assert _user(app, user_id).is_platform_admin
    (entry,) = _entries(app, "user.admin_granted")
    assert (entry.before["is_platform_admin"], entry.after["is_platform_admin"]) == (False, True)
    admin_client.post(f"/admin/users/{user_id}/revoke-admin")
    assert not _user(app, user_id).is_platform_admin
    assert len(_entries(app, "user.admin_revoked")) == 1


def test_admin_cannot_shut_themselves_out(app, admin_client, admin):
    for action in ("lock", "deactivate", "revoke-admin"):
        response = admin_client.post(f"/admin/users/{admin.id}/{action}", follow_redirects=True,
                                     headers={"Accept-Language": "en"})
        assert response.status_code == 200
        assert "your own" in response.get_data(as_text=True)
    me = _user(app, admin.id)
    assert me.active and me.is_platform_admin and me.locked_until is None
    assert _entries(app, "user.locked") == [] and _entries(app, "user.deactivated") == []


def test_repeating_an_action_says_so_and_changes_nothing(app, admin_client, objects):
    url = f"/admin/users/{objects['user_id']}/activate"
    page = admin_client.post(url, follow_redirects=True, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "active already" in page
    assert _entries(app, "user.activated") == []


def test_make_user_a_regulator_then_change_and_remove(app, admin_client, admin, objects):
    user_id = objects["user_id"]
    response = admin_client.post(f"/admin/users/{user_id}/regulator",
                                 data={"department": "ecology", "jurisdiction_code": "411282"})
    assert response.status_code == 302
    with app.app_context():
        regulator = db.session.scalar(select(Regulator).where(Regulator.user_id == user_id))
        assert (regulator.department, regulator.jurisdiction_code) == ("ecology", "411282")
    (entry,) = _entries(app, "regulator.appointed")
    assert entry.before is None and entry.after["jurisdiction_code"] == "411282"
    assert (entry.object_type, entry.object_id, entry.actor_id) == ("users", str(user_id), admin.id)

    admin_client.post(f"/admin/users/{user_id}/regulator", data={"department": "health", "jurisdiction_code": "411200"})
    (entry,) = _entries(app, "regulator.changed")
    assert entry.before == {"department": "ecology", "jurisdiction_code": "411282", "is_head": False}
    assert entry.after["department"] == "health" and entry.after["jurisdiction_code"] == "411200"

    admin_client.post(f"/admin/users/{user_id}/remove-regulator")
    with app.app_context():
        assert db.session.scalar(select(Regulator).where(Regulator.user_id == user_id)) is None
    (entry,) = _entries(app, "regulator.removed")
    assert entry.before["department"] == "health" and entry.after is None


@pytest.mark.parametrize("data, field", [
    ({"department": "ecology", "jurisdiction_code": "110000"}, "jurisdiction_code"),
    ({"department": "army", "jurisdiction_code": "411200"}, "department"),
    ({"department": "ecology"}, "jurisdiction_code"),
])
def test_bad_regulator_form_names_the_field_and_saves_nothing(app, admin_client, objects, data, field):
    response = admin_client.post(f"/admin/users/{objects['user_id']}/regulator", data=data,
                                 headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Regulator).where(Regulator.user_id == objects["user_id"])) is None
    assert _entries(app, "regulator.appointed") == []


def test_make_regulator_service_refuses_unknown_jurisdiction(ctx, factory):
    from portal.admin import services

    user = factory.user()
    with pytest.raises(DomainError) as caught:
        services.make_regulator(user, None, "ecology", "999999")
    assert set(caught.value.fields) == {"jurisdiction_code"}
    assert user.regulator is None


def test_action_for_unknown_user_is_404(admin_client):
    assert admin_client.post("/admin/users/999999/lock").status_code == 404
    assert admin_client.get("/admin/users/999999").status_code == 404
    assert admin_client.post("/admin/users/1/explode").status_code == 404


# --- filters ---------------------------------------------------------------------------------------

def _rows(page: str, names) -> set:
    """The names shown in the results, which follow the filter form (whose inputs echo the query)."""
    results = page.rsplit("</form>", 1)[-1]
    return {n for n in names if n in results}


def test_user_filters(app, admin_client, factory, admin):
    org = factory.org()
    factory.member(org, role=Role.DRIVER, email="driver@example.cn", name="司机甲")
    factory.member(org, role=Role.ADMIN, email="boss@example.cn", name="老板乙")
    factory.regulator(email="reg@example.cn", name="监管丙")
    factory.user(email="lonely@example.cn", name="散户丁",
                 locked_until=datetime.now(UTC) + timedelta(hours=1))
    factory.user(email="gone@example.cn", name="离职戊", active=False)
    names = ["管理员", "司机甲", "老板乙", "监管丙", "散户丁", "离职戊"]

    def shown(**args):
        response = admin_client.get("/admin/users", query_string=args)
        assert response.status_code == 200
        return _rows(response.get_data(as_text=True), names)

    assert shown() == set(names)
    assert shown(q="example.cn") == set(names)
    assert shown(q="司机") == {"司机甲"}
    assert shown(q="boss@") == {"老板乙"}
    assert shown(role="admin") == {"管理员"}
    assert shown(role="regulator") == {"监管丙"}
    assert shown(role="driver") == {"司机甲"}
    assert shown(role="org_admin") == {"老板乙"}
    assert shown(role="member") == {"司机甲", "老板乙"}
    assert shown(role="none") == {"散户丁", "离职戊"}
    assert shown(locked="yes") == {"散户丁"}
    assert "散户丁" not in shown(locked="no")
    assert shown(active="no") == {"离职戊"}
    assert shown(q="100%_") == set()


def test_invalid_filter_is_a_form_error_not_a_500(admin_client):
    response = admin_client.get("/admin/users?role=emperor", headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert 'id="role-error"' in response.get_data(as_text=True)
    assert admin_client.get("/admin/organisations?district=999999").status_code == 400
    assert admin_client.get("/admin/outbox?state=lost").status_code == 400
    assert admin_client.get("/admin/users?page=abc").status_code == 200


def test_users_list_is_paginated(app, admin_client, factory):
    for n in range(30):
        factory.user(email=f"p{n:02d}@example.cn", name=f"分页{n:02d}")
    first = admin_client.get("/admin/users").get_data(as_text=True)
    second = admin_client.get("/admin/users?page=2").get_data(as_text=True)
    assert 'rel="next"' in first and 'rel="prev"' in second
    assert first.count("分页") == 25 and second.count("分页") == 5


def test_organisation_filters(admin_client, factory):
    factory.org(name="灵宝金矿", district="411282", is_generator=True)
    factory.org(name="湖滨医院", district="411202", is_generator=True, status=OrgStatus.PENDING)
    factory.org(name="陕州处置中心", district="411203", is_receiver=True, status=OrgStatus.REJECTED)
    factory.org(name="安达运输", district="411202", is_transporter=True)
    names = ["灵宝金矿", "湖滨医院", "陕州处置中心", "安达运输"]

    def shown(**args):
        response = admin_client.get("/admin/organisations", query_string=args)
        assert response.status_code == 200
        return _rows(response.get_data(as_text=True), names)

    assert shown() == set(names)
    assert shown(status="pending") == {"湖滨医院"}
    assert shown(status="verified") == {"灵宝金矿", "安达运输"}
    assert shown(district="411202") == {"湖滨医院", "安达运输"}
    assert shown(capability="is_receiver") == {"陕州处置中心"}
    assert shown(capability="is_generator", district="411202") == {"湖滨医院"}
    assert shown(q="金矿") == {"灵宝金矿"}


def _add_entry(app, **fields):
    with app.app_context():
        db.session.add(AuditEntry(**fields))
        db.session.commit()


def test_audit_log_filters(app, admin_client, factory):
    alice = factory.user(email="alice@example.cn", name="审核员甲")
    bob = factory.user(email="bob@example.cn", name="操作员乙")
    day = datetime(2024, 5, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    _add_entry(app, action="user.locked", object_type="users", object_id="7", actor_id=alice.id, at=day,
               before={"active": True}, after={"active": True, "locked_until": "2124-05-10"})
    _add_entry(app, action="organisation.verified", object_type="organisations", object_id="3",
               actor_id=bob.id, at=day + timedelta(days=2))
    _add_entry(app, action="user.unlocked", object_type="users", object_id="8", actor_id=bob.id,
               at=day + timedelta(days=5))
    actions = ["user.locked", "organisation.verified", "user.unlocked"]

    def shown(**args):
        response = admin_client.get("/admin/audit", query_string=args)
        assert response.status_code == 200
        return _rows(response.get_data(as_text=True), actions)

    assert shown() == set(actions)
    assert shown(action="user.") == {"user.locked", "user.unlocked"}
    assert shown(action="organisation.verified") == {"organisation.verified"}
    assert shown(object_type="users") == {"user.locked", "user.unlocked"}
    assert shown(object_type="users", object_id="8") == {"user.unlocked"}
    assert shown(actor="alice@example.cn") == {"user.locked"}
    assert shown(actor="操作员") == {"organisation.verified", "user.unlocked"}
    assert shown(actor=str(bob.id)) == {"organisation.verified", "user.unlocked"}
    assert shown(date_from="2024-05-11") == {"organisation.verified", "user.unlocked"}
    assert shown(date_to="2024-05-12") == {"user.locked", "organisation.verified"}
    assert shown(date_from="2024-05-12", date_to="2024-05-12") == {"organisation.verified"}


def test_audit_date_filter_uses_local_days(app, admin_client):
    # 23:30 UTC on 9 May is 07:30 on 10 May in Shanghai
    _add_entry(app, action="late.night", object_type="system", at=datetime(2024, 5, 9, 23, 30, tzinfo=UTC))
    page = admin_client.get("/admin/audit?date_from=2024-05-10&date_to=2024-05-10").get_data(as_text=True)
    assert "late.night" in page
    page = admin_client.get("/admin/audit?date_to=2024-05-09").get_data(as_text=True)
    assert "late.night" not in page


@pytest.mark.parametrize("query, field", [("date_from=2024-13-40", "date_from"),
                                          ("date_from=2024-05-10&date_to=2024-05-01", "date_to"),
                                          ("object_type=nonsense", "object_type")])
def test_bad_audit_filter_names_the_field(admin_client, query, field):
    response = admin_client.get(f"/admin/audit?{query}", headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)


def test_audit_entries_show_before_and_after_readably(app, admin_client, admin, objects):
    admin_client.post(f"/admin/users/{objects['user_id']}/deactivate")
    (entry,) = _entries(app, "user.deactivated")
    for url in ("/admin/audit?action=user.deactivated", f"/admin/audit/{entry.id}"):
        page = admin_client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "<th scope=\"col\">Before</th>" in page and "<th scope=\"col\">After</th>" in page
        # the changed field is marked, with its value before and after in words
        row = page[page.index(">active"):]
        row = row[:row.index("</tr>")]
        assert "changed" in row and "yes" in row and "no" in row
        assert "管理员" in page  # the actor by name, not by number


def test_outbox_filters_and_message(app, admin_client):
    with app.app_context():
        db.session.add_all([
            OutboxMessage(recipient="a@example.cn", subject="重置密码", body="链接……"),
            OutboxMessage(recipient="13800000000", channel="sms", subject="验证码", body="123456"),
            OutboxMessage(recipient="b@example.cn", subject="已发送通知", body="……", sent_at=datetime.now(UTC)),
            OutboxMessage(recipient="c@example.cn", subject="投递失败", body="……", error="550 no such user"),
        ])
        db.session.commit()
        failed_id = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.subject == "投递失败"))
    subjects = ["重置密码", "验证码", "已发送通知", "投递失败"]

    def shown(**args):
        response = admin_client.get("/admin/outbox", query_string=args)
        assert response.status_code == 200
        return _rows(response.get_data(as_text=True), subjects)

    assert shown() == set(subjects)
    assert shown(channel="sms") == {"验证码"}
    assert shown(state="sent") == {"已发送通知"}
    assert shown(state="unsent") == {"重置密码", "验证码"}
    assert shown(state="failed") == {"投递失败"}
    assert shown(q="a@example") == {"重置密码"}
    page = admin_client.get(f"/admin/outbox/{failed_id}").get_data(as_text=True)
    assert "550 no such user" in page and "c@example.cn" in page
    assert admin_client.get("/admin/outbox/999999").status_code == 404


def test_organisation_detail_shows_members_and_history(app, admin_client, objects):
    page = admin_client.get(f"/admin/organisations/{objects['org_id']}").get_data(as_text=True)
    assert "企业管理员" in page and "organisation.updated" in page
