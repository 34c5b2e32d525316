"""A form sent back with an error keeps every value typed and the photos uploaded: the photos are kept on the
server for the browser that sent them, shown again, and sent with the next submission without choosing them
again."""
import io
import re

from sqlalchemy import select

from participation.reports.models import Report
from participation.reports.photos import photo_dir
from portal.extensions import db
from tests.participation.helpers import HUBIN, has_exif, photo_bytes, report_form


def _kept_tokens(page: str) -> list[str]:
    return re.findall(r'name="held_photo" value="([^"]+)" checked', page)


def test_a_refused_report_keeps_its_photo_and_its_values_until_it_is_sent(client, app):
    data = report_form(description="", address="陕州区大营镇路口", contact_phone="13800000000",
                       photos=[(io.BytesIO(photo_bytes(HUBIN)), "dump.jpg")])
    refused = client.post("/reports/new", data=data, content_type="multipart/form-data")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "陕州区大营镇路口" in page and "13800000000" in page  # the values typed come back
    [token] = _kept_tokens(page)
    shown = client.get(f"/uploads/held/{token}")
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg" and not has_exif(shown.data)
    assert app.test_client().get(f"/uploads/held/{token}").status_code == 404  # only the sender sees it

    # a second refusal (a bad phone number) still keeps it, along with a photo added this time
    again = client.post("/reports/new", content_type="multipart/form-data", data=report_form(
        description="路边有人倾倒建筑垃圾", address="陕州区大营镇路口", contact_phone="12", held_photo=token,
        photos=[(io.BytesIO(photo_bytes()), "more.jpg")]))
    assert again.status_code == 422
    kept = _kept_tokens(again.get_data(as_text=True))
    assert len(kept) == 2 and kept[0] == token

    sent = client.post("/reports/new", content_type="multipart/form-data", data=report_form(
        description="路边有人倾倒建筑垃圾", held_photo=kept, photos=[]))  # no address: the photo places it
    assert sent.status_code == 302
    with app.app_context():
        report = db.session.scalar(select(Report))
        assert len(report.photos) == 2
        assert (report.lat, report.lon) == HUBIN  # the kept photo's GPS still places the report
        assert all((photo_dir() / p.filename).exists() for p in report.photos)
    assert client.get(f"/uploads/held/{token}").status_code == 404  # released once the report is filed


def test_an_unticked_kept_photo_is_left_out_and_a_stranger_token_is_ignored(client, app):
    refused = client.post("/reports/new", content_type="multipart/form-data", data=report_form(description=""))
    [token] = _kept_tokens(refused.get_data(as_text=True))
    other = app.test_client()
    # another browser cannot send a token it does not hold: whatever it files carries no photo of ours
    stolen = other.post("/reports/new", content_type="multipart/form-data",
                        data=report_form(held_photo=token, photos=[]))
    assert not _kept_tokens(stolen.get_data(as_text=True))
    sent = client.post("/reports/new", content_type="multipart/form-data", data=report_form())  # unticked
    assert sent.status_code == 302
    with app.app_context():
        assert [len(r.photos) for r in db.session.scalars(select(Report).order_by(Report.id))][-1] == 1
        assert sum(len(r.photos) for r in db.session.scalars(select(Report))) == 1


def test_a_refused_listing_keeps_its_photo_and_lab_report(app, client, factory):
    from marketplace.listings.models import Listing
    from tests.documents import small_pdf
    from tests.factories import login

    seller = factory.user()
    factory.org(admin=seller, is_generator=True, district="411202")
    login(client, seller)
    form = {"title": "", "waste_code": "SW06", "form": "powder", "quantity": "300", "unit": "t",
            "supply": "one_off", "price": "1000", "currency": "CNY", "district": "411202", "site_id": "",
            "stream": "", "description": "电厂脱硫石膏，含水率低"}
    refused = client.post("/market/listings/new", content_type="multipart/form-data", data={
        **form, "photos": (io.BytesIO(photo_bytes()), "gypsum.jpg"), "lab_report": (io.BytesIO(small_pdf()), "检测报告.pdf")})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "电厂脱硫石膏，含水率低" in page and 'value="300' in page
    [photo] = _kept_tokens(page)
    [report] = re.findall(r'name="held_lab_report" value="([^"]+)" checked', page)
    assert "检测报告.pdf" in page
    sent = client.post("/market/listings/new", content_type="multipart/form-data",
                       data={**form, "title": "脱硫石膏", "held_photo": photo, "held_lab_report": report})
    assert sent.status_code == 302
    with app.app_context():
        listing = db.session.scalars(select(Listing)).one()
        assert len(listing.photos) == 1 and listing.lab_report_name == "检测报告.pdf"


def test_a_refused_batch_keeps_every_value_typed(app, client, factory):
    from tests.factories import login
    from tests.regulatory.batches.helpers import make_generator

    with app.app_context():
        user_id = make_generator(factory).user.id
    from types import SimpleNamespace

    login(client, SimpleNamespace(id=user_id))
    page = client.post("/batches/new", data={
        "waste_code": "999-999-99", "quantity": "1.25", "unit": "t", "form": "liquid", "packaging": "铁桶",
        "main_components": "废矿物油", "harmful_components": "石油烃", "generated_on": "2025-01-02",
        "site_id": "0", "containers": "4", "volume": "1.5"})
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    for value in ('value="999-999-99"', 'value="1.25"', "铁桶", "废矿物油", "石油烃", 'value="2025-01-02"',
                  'value="4"', 'value="1.5"'):
        assert value in text, value
    assert '<span class="unit" id="volume-unit">m³</span>' in text  # the unit beside the input
