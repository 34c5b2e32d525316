"""The organisation's weighing pages: devices, tokens shown once and revoked, records per container/batch."""
import base64
import io
import re

from PIL import Image
from sqlalchemy import select

from portal.accounts.models import Role, User
from portal.audit import AuditEntry
from portal.extensions import db
from portal.regulatory.weighing.models import Device, DeviceToken
from tests.factories import login


def _admin(app, world) -> User:
    with app.app_context():
        user = db.session.get(User, world.admin_id)
        db.session.expunge(user)
        return user


def _weigh(client, headers, **body):
    response = client.post("/api/v1/weighings", json={"gross_g": 100_000, "tare_g": 10_000, **body}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_an_admin_registers_a_device_and_sees_its_token_once(app, client, world):
    login(client, _admin(app, world))
    assert client.get("/weighing/devices/new").status_code == 200
    response = client.post("/weighing/devices/new", data={"kind": "weighbridge", "name": "地磅", "serial": "WB-9",
                                                          "site_id": ""})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = re.search(r"id=\"device-token\">(wfd_[^<]+)<", response.get_data(as_text=True)).group(1)
    with app.app_context():
        device = db.session.scalar(select(Device).where(Device.serial == "WB-9"))
        assert device.organisation_id == world.org_id and device.kind == "weighbridge"
        assert secret not in {t.token_hash for t in device.tokens}  # only the hash is kept
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "device.registered"))
        device_id = device.id
    assert secret not in client.get(f"/weighing/devices/{device_id}").get_data(as_text=True)
    assert "地磅" in client.get("/weighing/devices?kind=weighbridge").get_data(as_text=True)
    assert "地磅" not in client.get("/weighing/devices?kind=scale").get_data(as_text=True)
    _weigh(client, {"Authorization": f"Device {secret}"}, batch_id=world.batch_id)


def test_a_duplicate_serial_or_missing_name_is_a_form_error(app, client, world):
    login(client, _admin(app, world))
    assert client.post("/weighing/devices/new", data={"kind": "scale", "name": "又一台", "serial": "SC-001"}
                       ).status_code == 422
    assert client.post("/weighing/devices/new", data={"kind": "scale", "name": "", "serial": "X"}).status_code == 422
    assert client.post("/weighing/devices/new", data={"kind": "crane", "name": "x", "serial": "X"}).status_code == 422
    with app.app_context():
        assert len(db.session.scalars(select(Device)).all()) == 1


def test_staff_see_devices_but_cannot_register_or_revoke(app, client, factory, world):
    with app.app_context():
        from portal.accounts.models import Organisation

        org = db.session.get(Organisation, world.org_id)
        db.session.expunge(org)
    staff = factory.member(org, role=Role.STAFF)
    login(client, staff)
    assert "一号台秤" in client.get("/weighing/devices").get_data(as_text=True)
    assert client.get("/weighing/devices/new").status_code == 403
    with app.app_context():
        token_id = db.session.scalar(select(DeviceToken.id))
    assert client.post(f"/weighing/devices/{world.device_id}/tokens/{token_id}/revoke").status_code == 403
    assert client.post(f"/weighing/devices/{world.device_id}/tokens").status_code == 403


def test_a_revoked_token_stops_working_and_a_new_one_does(app, client, world, device_headers):
    login(client, _admin(app, world))
    with app.app_context():
        token_id = db.session.scalar(select(DeviceToken.id))
    assert client.post(f"/weighing/devices/{world.device_id}/tokens/{token_id}/revoke").status_code == 302
    refused = client.post("/api/v1/weighings", json={"batch_id": world.batch_id, "gross_g": 2, "tare_g": 1},
                          headers=device_headers)
    assert refused.status_code == 401
    page = client.post(f"/weighing/devices/{world.device_id}/tokens").get_data(as_text=True)
    secret = re.search(r"id=\"device-token\">(wfd_[^<]+)<", page).group(1)
    _weigh(client, {"Authorization": f"Device {secret}"}, batch_id=world.batch_id)


def test_another_organisation_cannot_see_the_device_records_or_photos(app, client, factory, world, device_headers):
    image = io.BytesIO()
    Image.new("RGB", (8, 8)).save(image, "PNG")
    record = _weigh(client, device_headers, batch_id=world.batch_id,
                    photo_base64=base64.b64encode(image.getvalue()).decode())
    stranger = factory.user()
    factory.org(admin=stranger)
    login(client, stranger)
    assert client.get(f"/weighing/devices/{world.device_id}").status_code == 404
    assert client.get(f"/weighing/records/{record['id']}/photo").status_code == 404
    assert "一号台秤" not in client.get("/weighing/records").get_data(as_text=True)
    assert client.post(f"/weighing/devices/{world.device_id}/tokens").status_code == 404
    login(client, _admin(app, world))
    photo = client.get(f"/weighing/records/{record['id']}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"


def test_records_are_listed_per_container_and_per_batch(app, client, world, device_headers):
    first, second = world.container_codes
    _weigh(client, device_headers, container_code=first, gross_g=123_000, tare_g=0)
    _weigh(client, device_headers, container_code=second, gross_g=456_000, tare_g=0)
    _weigh(client, device_headers, batch_id=world.batch_id, gross_g=789_000, tare_g=0)
    login(client, _admin(app, world))
    text = lambda url: client.get(url).get_data(as_text=True)  # noqa: E731
    assert "123 kg" in text(f"/weighing/records?container={first}")
    assert "456 kg" not in text(f"/weighing/records?container={first}")
    by_batch = text(f"/weighing/records?batch={world.batch_id}")
    assert all(q in by_batch for q in ("123 kg", "456 kg", "789 kg"))
    assert "789 kg" in text(f"/weighing/records?device={world.device_id}")
    assert client.get("/weighing/records?batch=abc&device=zz").status_code == 200


def test_device_forms_need_the_csrf_token(app, client, world):
    login(client, _admin(app, world))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/weighing/devices/{world.device_id}/tokens").status_code == 400
        assert client.post("/weighing/devices/new", data={"kind": "scale", "name": "x", "serial": "Y"}
                           ).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        assert len(db.session.scalars(select(DeviceToken)).all()) == 1
