"""HJ 1276-2022 labels: Chinese text in the PDF, QR codes read back with a real decoder (zxing-cpp), the
'labelled' ledger event, and who may download labels."""
import io
import re
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest
from PIL import Image, ImageDraw

from portal.extensions import db
from portal.regulatory.batches import services
from portal.regulatory.batches.models import Batch
from portal.regulatory.labels.layout import wrap
from portal.regulatory.ledger.services import events_for, verify_batch
from tests.documents import missing_glyphs, pdf_page_sizes_mm, pdf_qr_codes, pdf_text, qr_codes
from tests.factories import login
from tests.regulatory.batches.helpers import make_batch, make_generator

BASE_URL = "http://wufei.test"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def produced(app, factory):
    """A generator's batch of 900-249-08 in three containers: (user id, batch id, container codes, org)."""
    with app.app_context():
        gen = make_generator(factory)
        batch = make_batch(gen, containers=3, quantity="900", unit="kg")
        result = (gen.user.id, batch.id, [c.code for c in batch.containers], gen.org.name, gen.org.district_code)
        db.session.remove()
    return result


def _as_user(client, user_id: int):
    login(client, SimpleNamespace(id=user_id))


def _labelled(app, batch_id):
    with app.app_context():
        return [e.container_id for e in events_for(batch_id, event_type="labelled")]


def test_batch_label_pdf_shows_chinese_text_and_its_qr_codes_decode_to_trace_urls(app, client, produced):
    user_id, batch_id, codes, org_name, _district = produced
    _as_user(client, user_id)
    response = client.get(f"/batches/{batch_id}/labels.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _words(pdf_text(response.data))
    words = ("危险废物", "废物名称", "危险特性", "HW08", "900-249-08", "液态", "数字识别码", "毒性", "易燃性",
             org_name, "300 kg", "矿物油")
    for word in words:
        assert word in text
    for code in codes:
        assert code in text
    # every character printed has its glyph in the embedded font (no missing-glyph box)
    assert missing_glyphs(response.data, text, *words) == set()
    assert sorted(pdf_qr_codes(response.data)) == sorted(f"{BASE_URL}/t/{code}" for code in codes)


def _words(text: str) -> str:
    """The PDF's text with line breaks as spaces (PDFium ends each drawn line with CR LF)."""
    return re.sub(r"\s*\r?\n\s*", " ", text)


def test_single_label_pdf_is_one_100mm_page(client, produced):
    user_id, _batch_id, codes, _org, _district = produced
    _as_user(client, user_id)
    response = client.get(f"/containers/{codes[1]}/label.pdf?layout=single")
    assert response.status_code == 200
    assert [(round(width), round(height)) for width, height in pdf_page_sizes_mm(response.data)] == [(100, 100)]
    assert pdf_qr_codes(response.data) == [f"{BASE_URL}/t/{codes[1]}"]


def test_png_label_qr_decodes_to_the_trace_url(client, produced):
    user_id, _batch_id, codes, _org, _district = produced
    _as_user(client, user_id)
    response = client.get(f"/containers/{codes[0]}/label.png")
    assert response.status_code == 200 and response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (1200, 1200)
    assert image.getpixel((10, 10)) == (255, 212, 0)  # the label's yellow ground
    assert qr_codes(image) == [f"{BASE_URL}/t/{codes[0]}"]


def _rasterise_qr(svg_qr: ET.Element) -> Image.Image:
    """Draw the path of qrcode's SVG (only M/H/V/z commands) to pixels, so zxing-cpp can read it."""
    size = int(float(svg_qr.get("viewBox").split()[2]))
    scale = 10
    image = Image.new("L", ((size + 8) * scale, (size + 8) * scale), 255)
    draw = ImageDraw.Draw(image)
    for path in svg_qr.iter(f"{SVG}path"):
        for x, y, x2, y2 in re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H[\d.]+z", path.get("d")):
            left, top, right, bottom = (float(v) + 4 for v in (x, y, x2, y2))
            draw.rectangle([left * scale, top * scale, right * scale - 1, bottom * scale - 1], fill=0)
    return image


def test_svg_label_has_text_pictograms_and_a_readable_qr(client, produced):
    user_id, _batch_id, codes, org_name, _district = produced
    _as_user(client, user_id)
    response = client.get(f"/containers/{codes[2]}/label.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "危险废物" in texts and codes[2] in texts and any(org_name in (t or "") for t in texts)
    assert [g.find(f"{SVG}title").text for g in root.findall(f"{SVG}g")] == ["T", "I"]
    nested = root.find(f"{SVG}svg")
    assert qr_codes(_rasterise_qr(nested)) == [f"{BASE_URL}/t/{codes[2]}"]


def test_first_printout_by_the_producer_records_one_labelled_event_per_container(app, client, produced):
    user_id, batch_id, codes, _org, _district = produced
    _as_user(client, user_id)
    assert client.post(f"/containers/{codes[0]}/label.png").status_code == 200
    assert len(_labelled(app, batch_id)) == 1
    assert client.post(f"/batches/{batch_id}/labels.pdf").status_code == 200
    assert client.post(f"/batches/{batch_id}/labels.pdf").status_code == 200
    labelled = _labelled(app, batch_id)
    assert len(labelled) == 3 and len(set(labelled)) == 3
    with app.app_context():
        assert verify_batch(batch_id) == []
        event = events_for(batch_id, event_type="labelled")[0]
        assert event.actor_id == user_id and event.data["format"] == "png" and event.data["container"] == codes[0]


def test_regulator_of_the_district_downloads_without_labelling(app, client, factory, produced):
    _user_id, batch_id, codes, _org, district = produced
    login(client, factory.regulator(jurisdiction=district))
    assert client.post(f"/batches/{batch_id}/labels.pdf").status_code == 200
    assert client.post(f"/containers/{codes[0]}/label.svg").status_code == 200
    assert _labelled(app, batch_id) == []


def test_outsiders_cannot_download_labels(app, client, factory, produced):
    _user_id, batch_id, codes, _org, _district = produced
    assert client.get(f"/batches/{batch_id}/labels.pdf").status_code == 302  # to the sign-in page
    login(client, factory.regulator(jurisdiction="411202"))  # another district
    assert client.get(f"/batches/{batch_id}/labels.pdf").status_code == 404
    other = factory.user()
    factory.org(admin=other)
    login(client, other)
    for url in (f"/batches/{batch_id}/labels.pdf", f"/containers/{codes[0]}/label.png",
                f"/containers/{codes[0]}/label.svg", f"/containers/{codes[0]}/label.pdf"):
        assert client.get(url).status_code == 404
    assert _labelled(app, batch_id) == []


def test_bad_layout_and_unknown_container_are_refused(client, produced):
    user_id, batch_id, _codes, _org, _district = produced
    _as_user(client, user_id)
    response = client.get(f"/batches/{batch_id}/labels.pdf?layout=poster", headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "layout" in response.get_json()["error"]["fields"]
    assert client.get("/containers/914112000000000000900249082024010100X/label.png").status_code == 404
    assert client.get("/batches/999999/labels.pdf").status_code == 404


def test_general_industrial_waste_gets_no_hazardous_waste_label(app, client, factory):
    with app.app_context():
        gen = make_generator(factory)
        batch = services.create_batch(gen.org, gen.user, "SW01", "2", "t", "solid", "吨袋", site=gen.site)
        db.session.commit()
        user_id, batch_id = gen.user.id, batch.id
        assert db.session.get(Batch, batch_id).stream == "industrial"
        db.session.remove()
    _as_user(client, user_id)
    response = client.get(f"/batches/{batch_id}/labels.pdf")
    assert response.status_code == 409
    assert _labelled(app, batch_id) == []


def test_long_text_is_wrapped_and_cut_with_an_ellipsis():
    lines = wrap("含" * 200, 2.7, 57.0, first_indent=14.0, max_lines=3)
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert wrap("短", 2.7, 57.0) == ["短"]
