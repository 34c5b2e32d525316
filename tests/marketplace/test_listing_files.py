"""A listing's lab report: a PDF or an image by its bytes (never its name), images stored without metadata,
served with the type its content decided; a refused file leaves nothing stored, not even the photos sent
with it."""
import io
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from marketplace.listings.files import MAX_REPORT_BYTES
from marketplace.listings.models import Listing, ListingPhoto
from portal.extensions import db
from tests.documents import small_pdf
from tests.factories import login

FORM = {"title": "脱硫石膏", "waste_code": "SW06", "form": "powder", "quantity": "300", "unit": "t",
        "supply": "one_off", "price": "1000", "currency": "CNY", "district": "411202", "site_id": "", "stream": ""}


@pytest.fixture
def seller_user(factory):
    user = factory.user()
    factory.org(admin=user, is_generator=True, district="411202")
    return user


def _png_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "SecretCamera"
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "white").save(out, "PNG", exif=exif)
    return out.getvalue()


def _submit(client, report: bytes, name: str, photo: bytes | None = None):
    data = {**FORM, "lab_report": (io.BytesIO(report), name)}
    if photo is not None:
        data["photos"] = (io.BytesIO(photo), "photo.jpg")
    return client.post("/market/listings/new", data=data, content_type="multipart/form-data")


def _stored_files(app) -> list[Path]:
    folder = Path(app.config["UPLOAD_DIR"]) / "listings"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def _listing(app) -> Listing:
    with app.app_context():
        listing = db.session.scalars(select(Listing)).one()
        db.session.expunge(listing)
        return listing


def test_a_pdf_report_is_kept_as_sent_and_served_as_pdf(app, client, seller_user):
    login(client, seller_user)
    pdf = small_pdf()
    assert _submit(client, pdf, "检测报告.pdf").status_code == 302
    listing = _listing(app)
    served = client.get(f"/market/listings/{listing.id}/lab-report")
    assert served.status_code == 200 and served.data == pdf and served.mimetype == "application/pdf"
    assert "attachment" in served.headers["Content-Disposition"]


def test_an_image_report_named_pdf_is_stored_and_served_as_a_clean_jpeg(app, client, seller_user):
    login(client, seller_user)
    assert _submit(client, _png_with_exif(), "report.pdf").status_code == 302
    listing = _listing(app)
    assert listing.lab_report.endswith(".jpg")
    served = client.get(f"/market/listings/{listing.id}/lab-report")
    assert served.mimetype == "image/jpeg" and "report.jpg" in served.headers["Content-Disposition"]
    with Image.open(io.BytesIO(served.data)) as image:
        assert image.format == "JPEG" and not image.getexif()
    assert b"SecretCamera" not in served.data


@pytest.mark.parametrize(("content", "name"), [
    (b"<html><script>alert(1)</script></html>", "report.pdf"),  # a page named as a PDF
    (b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "report.pdf"),  # cut off: no %%EOF
    (b"MZ\x90\x00" + b"\x00" * 64, "report.png"),  # a program named as an image
    (b"GIF89a" + b"\x00" * 32, "report.gif"),  # an image format we do not keep
    (b"%PDF-1.4\n" + b"0" * MAX_REPORT_BYTES + b"\n%%EOF\n", "big.pdf"),
    (b"", "empty.pdf"),
])
def test_a_refused_report_stores_nothing_not_even_the_photo_sent_with_it(app, client, seller_user, content, name):
    login(client, seller_user)
    photo = io.BytesIO()
    Image.new("RGB", (320, 240), "gray").save(photo, "JPEG")
    before = _stored_files(app)
    response = _submit(client, content, name, photo=photo.getvalue())
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Listing)) == 0
        assert db.session.scalar(select(func.count()).select_from(ListingPhoto)) == 0
    assert _stored_files(app) == before
