"""Filing a report from the public form, routing, deadlines, bad input, anti-abuse."""
import io
import re

from sqlalchemy import func, select

from participation.reports import services
from participation.reports.models import Category, Report, ReportPhoto
from participation.reports.photos import photo_dir
from portal.accounts.models import Department
from portal.calendar.services import deadline
from portal.extensions import db
from portal.outbox import OutboxMessage
from tests.participation.helpers import BEIJING, HUBIN, LINGBAO, bomb_png, has_exif, photo_bytes, report_form


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Report.id)))


def test_citizen_files_report_with_gps_photo_and_gets_code_and_secret_link(client, app):
    response = client.post("/reports/new", data=report_form(contact_email="citizen@example.cn"),
                           content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    code = re.search(r'id="tracking-code">([A-Z2-9]{8})<', page).group(1)
    follow = re.search(r'id="follow-link"><a href="([^"]+)"', page).group(1)
    assert "/reports/f/" + code + "/" in follow
    with app.app_context():
        report = db.session.scalar(select(Report).where(Report.tracking_code == code))
        # no pin, no address: the place came from the photo's GPS
        assert (report.lat, report.lon) == HUBIN
        assert report.district_code == "411202"
        assert report.department == Department.URBAN  # household waste → 城管局
        assert report.accept_due == deadline(report.created_at, 1)
        assert report.finish_due == deadline(report.created_at, 10)
        stored = (photo_dir() / report.photos[0].filename).read_bytes()
        assert not has_exif(stored)
        photo_id = report.photos[0].id
        assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "citizen@example.cn"))
    served = client.get(f"/reports/photos/{photo_id}")
    assert served.status_code == 200 and not has_exif(served.data)
    # the secret link opens the reporter's page; a wrong secret does not
    assert client.get(follow.replace("http://wufei.test", "")).status_code == 200
    assert client.get(f"/reports/f/{code}/wrong").status_code == 404
    # the secret is shown once: a second visit to the confirmation goes to the public status page
    assert client.get(f"/reports/submitted/{code}").status_code == 302


def test_photo_of_unmoderated_report_is_not_served_to_strangers(client, app, file_report):
    report, _secret = file_report()
    photo_id = report.photos[0].id
    assert client.get(f"/reports/photos/{photo_id}").status_code == 404


def test_place_from_typed_address_without_map(client, app):
    data = report_form(category="construction", district_code="411282", address="灵宝市函谷关镇路口",
                       photos=[(io.BytesIO(photo_bytes()), "no-gps.jpg")])
    assert client.post("/reports/new", data=data, content_type="multipart/form-data").status_code == 302
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert report.district_code == "411282" and report.lat is None
        assert report.department == Department.HOUSING


def test_png_and_heic_photos_are_accepted_and_reencoded(client, app):
    import pillow_heif
    from PIL import Image

    heic = io.BytesIO()
    pillow_heif.register_heif_opener()
    Image.new("RGB", (64, 48), "green").save(heic, "HEIF")
    data = report_form(lat=str(HUBIN[0]), lon=str(HUBIN[1]), photos=[
        (io.BytesIO(photo_bytes(fmt="PNG")), "a.png"), (io.BytesIO(heic.getvalue()), "b.heic")])
    assert client.post("/reports/new", data=data, content_type="multipart/form-data").status_code == 302
    with app.app_context():
        photos = db.session.scalars(select(ReportPhoto)).all()
        assert len(photos) == 2
        for photo in photos:
            assert (photo_dir() / photo.filename).read_bytes()[:3] == b"\xff\xd8\xff"  # JPEG


def _refused(client, app, data, field_text):
    response = client.post("/reports/new", data=data, content_type="multipart/form-data",
                           headers={"Accept-Language": "en"})
    assert response.status_code in (400, 422)
    assert field_text in response.get_data(as_text=True)
    assert _count(app) == 0


def test_not_an_image_is_refused(client, app):
    _refused(client, app, report_form(photos=[(io.BytesIO(b"%PDF-1.4 hello"), "x.jpg")]), "not an image")


def test_decompression_bomb_is_refused(client, app):
    _refused(client, app, report_form(photos=[(io.BytesIO(bomb_png()), "bomb.png")]), "too large")


def test_place_outside_sanmenxia_is_refused(client, app):
    data = report_form(lat=str(BEIJING[0]), lon=str(BEIJING[1]), photos=[(io.BytesIO(photo_bytes()), "a.jpg")])
    _refused(client, app, data, "outside Sanmenxia")


def test_no_place_at_all_is_refused(client, app):
    _refused(client, app, report_form(photos=[(io.BytesIO(photo_bytes()), "a.jpg")]), "Put a pin on the map")


def test_empty_description_and_unknown_category_are_refused(client, app):
    _refused(client, app, report_form(description="  "), "Describe what you saw")
    _refused(client, app, report_form(category="spaceship"), "Not a valid choice")


def test_too_many_photos_are_refused(client, app):
    many = [(io.BytesIO(photo_bytes(HUBIN)), f"{i}.jpg") for i in range(6)]
    _refused(client, app, report_form(photos=many), "at most 5 photos")


def test_report_without_a_photo_is_accepted_and_its_district_comes_from_the_point(client, app):
    # a pin in 灵宝市 while the reporter left the district list on 湖滨区: the point decides
    data = report_form(photos=[], lat=str(LINGBAO[0]), lon=str(LINGBAO[1]), district_code="411202")
    response = client.post("/reports/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert report.photos == []
        assert report.district_code == "411282"
        assert (report.lat, report.lon) == LINGBAO


def test_the_form_says_a_photo_is_optional(client):
    page = client.get("/reports/new", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "you can send the report without one" in page
    assert 'data-districts-url="/reports/districts.geojson"' in page  # the page's point-in-district layer


def test_a_pasted_tracking_code_with_spaces_or_dashes_is_found(client, app, file_report):
    report, _secret = file_report()
    code = report.tracking_code
    for typed in (f"{code[:4]} {code[4:]}", f"{code[:4]}-{code[4:]}".lower(), f" {code[:4]}\u2014{code[4:]} "):
        response = client.get("/reports/track", query_string={"code": typed})
        assert response.status_code == 302, typed
        assert response.headers["Location"].endswith(f"/reports/r/{code}")
    assert client.get(f"/reports/r/{code[:4]}-{code[4:]}").status_code == 200


def test_honeypot_is_refused(client, app):
    _refused(client, app, report_form(website="http://spam.example"), "Leave this field empty")


def test_photo_location_suggests_the_place_without_storing(client, app):
    with app.app_context():
        folder = photo_dir()
    before = len(list(folder.iterdir()))
    response = client.post("/reports/photo-location", data={"photo": (io.BytesIO(photo_bytes(LINGBAO)), "p.jpg")},
                           content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert response.json == {"lat": float(LINGBAO[0]), "lon": float(LINGBAO[1]), "district": "411282"}
    bad = client.post("/reports/photo-location", data={"photo": (io.BytesIO(b"nope"), "p.jpg")},
                      content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert bad.status_code == 422 and "photo" in bad.json["error"]["fields"]
    assert len(list(folder.iterdir())) == before and _count(app) == 0


def test_routing_table_overrides_defaults_per_district(ctx, file_report):
    services.set_route(Category.CONSTRUCTION, "411282", Department.URBAN)
    db.session.commit()
    in_lingbao, _ = file_report(category="construction", point=LINGBAO)
    in_hubin, _ = file_report(category="construction", point=HUBIN)
    assert in_lingbao.department == Department.URBAN
    assert in_hubin.department == Department.HOUSING
    assert file_report(category="burning")[0].department == Department.ECOLOGY


def test_deadline_table_is_used(ctx, file_report):
    services.set_stage_days("finish", 3)
    db.session.commit()
    report, _ = file_report()
    assert report.finish_due == deadline(report.created_at, 3)


def test_seed_defaults_is_idempotent(ctx):
    assert services.seed_defaults() == 8
    assert services.seed_defaults() == 0


def test_rapid_reports_from_one_address_are_rate_limited_and_accepted_ones_kept(app):
    """A fresh app with rate limiting on, sharing the test database."""
    from portal import create_app
    from portal.extensions import limiter

    limited = create_app({**{k: app.config[k] for k in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "BASE_URL",
                                                          "UPLOAD_DIR")},
                          "TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True,
                          "RATELIMIT_STORAGE_URI": "memory://", "REDIS_URL": None, "MEILISEARCH_URL": None})
    try:
        client = limited.test_client()
        statuses = [client.post("/reports/new", data=report_form(), content_type="multipart/form-data").status_code
                    for _ in range(30)]
        accepted = statuses.count(302)
        assert 429 in statuses and accepted >= 1
        assert set(statuses) == {302, 429}
        assert _count(app) == accepted
        # another device behind another address is not blocked by the first one
        other = limited.test_client()
        response = other.post("/reports/new", data=report_form(), content_type="multipart/form-data",
                              environ_base={"REMOTE_ADDR": "10.1.2.3"})
        assert response.status_code == 302
        # Open311 clients are limited too, with the spec's error list
        key_client = limited.test_client()
        posts = [key_client.post("/open311/v2/requests.json", data={"service_code": "household"},
                                 environ_base={"REMOTE_ADDR": "10.9.9.9"}) for _ in range(15)]
        assert posts[0].status_code == 403 and posts[-1].status_code == 429
        assert posts[-1].json[0]["code"] == 429
    finally:
        limiter.reset()
        limiter.enabled = False


def test_status_api_and_cli_escalation(client, app, file_report):
    report, _secret = file_report()
    body = client.get(f"/api/v1/reports/{report.tracking_code}").json
    assert body["status"] == "submitted" and body["timeline"][0]["action"] == "submit"
    assert "contact" not in str(body)
    assert client.get("/api/v1/reports/NOPE2345").status_code == 404
    result = app.test_cli_runner().invoke(args=["reports", "escalate"])
    assert result.exit_code == 0 and "0 reports escalated" in result.output


def test_the_track_field_takes_a_pasted_code_longer_than_eight_characters(client):
    page = client.get("/reports/track").get_data(as_text=True)
    assert 'maxlength="20"' in page and 'maxlength="8"' not in page
    refused = client.get("/reports/track", query_string={"code": "ABC"}, headers={"Accept-Language": "en"})
    assert refused.status_code == 422 and "8 letters and digits" in refused.get_data(as_text=True)


def test_without_a_tile_service_the_maps_need_nothing_outside(client):
    for path in ("/reports/new", "/reports/map"):
        response = client.get(path)
        assert "data-tile-url" not in response.get_data(as_text=True)
        assert "img-src 'self' data: blob:;" in response.headers["Content-Security-Policy"]


def test_a_configured_government_tile_service_is_drawn_beneath_in_gcj02(app, client):
    saved = {k: app.config.get(k) for k in ("MAP_TILE_URL", "MAP_TILE_GCJ02")}
    app.config.update(MAP_TILE_URL="https://tiles.smx.example.gov.cn/{z}/{x}/{y}.png", MAP_TILE_GCJ02=True)
    try:
        response = client.get("/reports/map")
        html = response.get_data(as_text=True)
        assert 'data-tile-url="https://tiles.smx.example.gov.cn/{z}/{x}/{y}.png"' in html
        assert 'data-tile-gcj02="1"' in html
        # the tiles' origin, and only it, is allowed as an image source
        assert "img-src 'self' data: blob: https://tiles.smx.example.gov.cn;" in response.headers[
            "Content-Security-Policy"]
    finally:
        app.config.update(saved)
