"""The platform's jurisdiction is configuration (JURISDICTION_CODE), not Sanmenxia's code spelled out."""
from decimal import Decimal

import pytest

from portal import create_app
from portal.clock import china_today
from portal.extensions import db
from portal.jurisdiction import jurisdiction_code, manifest_region, valid_jurisdiction_code
from portal.regulatory.manifests.services import allocate_number


def test_sanmenxia_is_the_default(app):
    with app.app_context():
        assert jurisdiction_code() == "411200" and manifest_region() == "4112"


def test_another_jurisdiction_numbers_manifests_with_its_prefix(tmp_path):
    other = create_app({"TESTING": True, "SECRET_KEY": "test", "JURISDICTION_CODE": "110100",
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'beijing.db'}",
                        "UPLOAD_DIR": str(tmp_path / "uploads"), "REDIS_URL": None, "MEILISEARCH_URL": None})
    with other.app_context():
        db.create_all()
        first, second = allocate_number(), allocate_number()
        assert first == f"{china_today().year}1101000001" and second.endswith("000002")
        db.session.rollback()
        db.drop_all()


@pytest.mark.parametrize(("code", "valid"), [("411200", True), ("110100", True), ("410000", False),
                                             ("411282", False), ("4112", False), ("41120a", False)])
def test_only_a_prefecture_code_is_a_jurisdiction(code, valid):
    assert valid_jurisdiction_code(code) is valid


def test_a_misconfigured_jurisdiction_stops_the_start(monkeypatch):
    monkeypatch.setenv("JURISDICTION_CODE", "410000")
    with pytest.raises(ValueError, match="JURISDICTION_CODE"):
        create_app({"TESTING": True})


def test_the_city_box_and_locate_follow_the_configured_jurisdiction(app, client, tmp_path):
    from portal.regulatory.geo import boundary_shipped, city_box, district_at

    with app.app_context():  # Sanmenxia: its shipped boundary, rounded outward to 0.1°
        assert city_box() == ((Decimal("33.5"), Decimal("35.1")), (Decimal("110.3"), Decimal("112.1")))
        assert boundary_shipped() and district_at(34.5227, 110.8804) == "411282"
    assert client.get("/api/v1/divisions/locate?lat=34.5227&lon=110.8804").status_code == 200
    other = create_app({"TESTING": True, "SECRET_KEY": "test", "JURISDICTION_CODE": "410100",
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'zhengzhou.db'}",
                        "UPLOAD_DIR": str(tmp_path / "uploads"), "REDIS_URL": None, "MEILISEARCH_URL": None})
    with other.app_context():
        db.create_all()
        # no boundary of 郑州 is shipped: no box to check against, and a Sanmenxia point is not one of its districts
        assert city_box() is None and not boundary_shipped() and district_at(34.5227, 110.8804) is None
        response = other.test_client().get("/api/v1/divisions/locate?lat=34.5227&lon=110.8804",
                                           headers={"Accept-Language": "en"})
        assert response.status_code == 404 and response.json["district"] is None
        assert "No boundary" in response.json["error"]["message"]
        db.session.remove()
        db.drop_all()
