"""POST /api/v1/weighings: a device weighs its own organisation's containers and batches, nothing else."""
import base64
import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from portal.extensions import db
from portal.regulatory.ledger.models import LedgerEvent
from portal.regulatory.ledger.services import verify_batch
from portal.regulatory.weighing.models import DeviceToken, WeighingRecord


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        weighings = db.session.scalar(select(func.count()).select_from(WeighingRecord))
        weighed = db.session.scalar(select(func.count()).select_from(LedgerEvent).where(
            LedgerEvent.event_type == "weighed"))
        return weighings, weighed


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x8825] = {1: "N", 2: (34.0, 31.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_device_weighs_its_containers_and_the_ledger_gets_the_net_quantity(app, client, world, device_headers):
    body = {"container_code": world.container_codes[0], "gross_g": 472_500, "tare_g": 22_500, "net_g": 450_000,
            "weighed_at": "2026-06-15T09:30:00+08:00"}
    response = client.post("/api/v1/weighings", json=body, headers=device_headers)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()
    assert (data["net_g"], data["container_code"], data["batch_id"]) == (450_000, world.container_codes[0],
                                                                         world.batch_id)
    with app.app_context():
        event = db.session.get(LedgerEvent, data["ledger_event_id"])
        assert (event.event_type, event.quantity_g, event.organisation_id) == ("weighed", 450_000, world.org_id)
        assert event.occurred_at == datetime(2026, 6, 15, 1, 30, tzinfo=UTC)
        assert event.data["gross_g"] == 472_500 and event.place.startswith("称重间")
        assert verify_batch(world.batch_id) == []
        assert db.session.scalar(select(DeviceToken.last_used_at)) is not None


def test_a_whole_batch_can_be_weighed_by_id(client, world, device_headers):
    response = client.post("/api/v1/weighings", json={"batch_id": world.batch_id, "gross_g": 950_000,
                                                      "tare_g": 50_000}, headers=device_headers)
    assert response.status_code == 201 and response.get_json()["net_g"] == 900_000
    assert response.get_json()["container_code"] is None


@pytest.mark.parametrize(("change", "field"), [
    ({"tare_g": 500_001}, "tare_g"),  # tare above gross
    ({"net_g": 1}, "net_g"),  # inconsistent net
    ({"gross_g": None}, "gross_g"),
    ({"gross_g": -5}, "gross_g"),
    ({"gross_g": 1.5}, "gross_g"),
    ({"gross_g": "heavy"}, "gross_g"),
    ({"gross_g": True}, "gross_g"),
    ({"gross_g": 10**12}, "gross_g"),
    ({"tare_g": 500_000}, "gross_g"),  # net zero: nothing weighed
    ({"weighed_at": "2026-06-15T09:30:00"}, "weighed_at"),  # no offset
    ({"weighed_at": "yesterday"}, "weighed_at"),
    ({"weighed_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}, "weighed_at"),
    ({"batch_id": 1}, "batch_id"),  # both targets
    ({"container_code": None}, "container_code"),  # neither
    ({"photo_base64": "%%%"}, "photo_base64"),
    ({"photo_base64": base64.b64encode(b"GIF89a not really").decode()}, "photo"),
])
def test_each_bad_input_is_refused_naming_the_field_and_nothing_is_stored(app, client, world, device_headers,
                                                                          change, field):
    body = {"container_code": world.container_codes[0], "gross_g": 500_000, "tare_g": 20_000, **change}
    body = {k: v for k, v in body.items() if v is not None}
    response = client.post("/api/v1/weighings", json=body, headers=device_headers)
    assert response.status_code in (400, 422), response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert _counts(app) == (0, 0)


def test_another_organisations_container_or_batch_is_not_found(app, client, world, device_headers):
    for target in ({"container_code": world.other_container}, {"batch_id": world.other_batch_id},
                   {"container_code": "9" * 37}, {"batch_id": 999_999}):
        response = client.post("/api/v1/weighings", json={**target, "gross_g": 10, "tare_g": 1},
                               headers=device_headers)
        assert response.status_code == 404, target
    assert _counts(app) == (0, 0)
    with app.app_context():
        assert verify_batch(world.other_batch_id) == []


@pytest.mark.parametrize("header", [None, "Device wfd_unknown", "Device nonsense", "Basic abc"])
def test_without_a_valid_device_token_nothing_is_recorded(app, client, world, header):
    headers = {"Authorization": header} if header else {}
    response = client.post("/api/v1/weighings", json={"batch_id": world.batch_id, "gross_g": 10, "tare_g": 1},
                           headers=headers)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    assert _counts(app) == (0, 0)


def test_a_user_bearer_token_is_not_a_device_token(client, factory, world):
    with client.application.app_context():
        from portal.accounts.models import Organisation, User

        user, org = db.session.get(User, world.admin_id), db.session.get(Organisation, world.org_id)
        secret = factory.token(user, org)
    response = client.post("/api/v1/weighings", json={"batch_id": world.batch_id, "gross_g": 10, "tare_g": 1},
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


def test_a_photo_is_reencoded_without_its_metadata(app, client, world, device_headers):
    photo = base64.b64encode(_jpeg_with_gps()).decode()
    response = client.post("/api/v1/weighings", headers=device_headers, json={
        "batch_id": world.batch_id, "gross_g": 950_000, "tare_g": 50_000, "photo_base64": photo})
    assert response.status_code == 201 and response.get_json()["has_photo"]
    from pathlib import Path

    with app.app_context():
        record = db.session.scalar(select(WeighingRecord))
        stored = (Path(app.config["UPLOAD_DIR"]) / record.photo_path).read_bytes()
    assert b"SecretCam" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and image.size == (64, 48) and not image.getexif()


def test_a_photo_can_come_as_multipart_and_is_size_limited(app, client, world, device_headers):
    data = {"container_code": world.container_codes[1], "gross_g": "480000", "tare_g": "30000",
            "photo": (io.BytesIO(_jpeg_with_gps()), "scale.jpg")}
    response = client.post("/api/v1/weighings", data=data, headers=device_headers,
                           content_type="multipart/form-data")
    assert response.status_code == 201 and response.get_json()["net_g"] == 450_000
    app.config["WEIGHING_PHOTO_MAX_BYTES"] = 100
    try:
        data["photo"] = (io.BytesIO(_jpeg_with_gps()), "scale.jpg")
        too_big = client.post("/api/v1/weighings", data=data, headers=device_headers,
                              content_type="multipart/form-data")
    finally:
        del app.config["WEIGHING_PHOTO_MAX_BYTES"]
    assert too_big.status_code == 422 and "photo" in too_big.get_json()["error"]["fields"]
    assert _counts(app) == (1, 1)


def test_a_file_named_as_a_photo_is_judged_by_its_bytes(app, client, world, device_headers):
    from pathlib import Path

    folder = Path(app.config["UPLOAD_DIR"]) / "weighings"
    before = sorted(folder.iterdir()) if folder.is_dir() else []
    data = {"container_code": world.container_codes[1], "gross_g": "480000", "tare_g": "30000",
            "photo": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "scale.jpg")}
    response = client.post("/api/v1/weighings", data=data, headers=device_headers,
                           content_type="multipart/form-data")
    assert response.status_code == 422 and "photo" in response.get_json()["error"]["fields"]
    assert _counts(app) == (0, 0)
    assert (sorted(folder.iterdir()) if folder.is_dir() else []) == before


def test_an_idempotency_key_replays_instead_of_weighing_twice(app, client, world, device_headers):
    headers = {**device_headers, "Idempotency-Key": "scale-1-0001"}
    body = {"batch_id": world.batch_id, "gross_g": 950_000, "tare_g": 50_000}
    first = client.post("/api/v1/weighings", json=body, headers=headers)
    again = client.post("/api/v1/weighings", json=body, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_json()["id"] == first.get_json()["id"]
    different = client.post("/api/v1/weighings", json={**body, "tare_g": 1}, headers=headers)
    assert different.status_code == 422
    assert _counts(app) == (1, 1)


def test_users_read_their_weighings_through_the_api(client, factory, world, device_headers):
    client.post("/api/v1/weighings", json={"batch_id": world.batch_id, "gross_g": 10, "tare_g": 1},
                headers=device_headers)
    with client.application.app_context():
        from portal.accounts.models import Organisation, User

        secret = factory.token(db.session.get(User, world.admin_id), db.session.get(Organisation, world.org_id))
        stranger = factory.token(factory.user(), None)
    own = client.get(f"/api/v1/weighings?batch_id={world.batch_id}", headers={"Authorization": f"Bearer {secret}"})
    assert own.get_json()["total"] == 1 and own.get_json()["items"][0]["net_g"] == 9
    other = client.get("/api/v1/weighings", headers={"Authorization": f"Bearer {stranger}"})
    assert other.get_json()["total"] == 0
