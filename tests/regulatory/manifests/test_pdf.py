"""The printable manifest: user text printed literally (never read as markup), every glyph in the embedded
font, read back with PDFium as a reader's copy and paste would."""
import re

from portal.accounts.models import Organisation
from portal.extensions import db
from tests.documents import missing_glyphs, pdf_image_count, pdf_qr_codes, pdf_text
from tests.factories import login
from tests.regulatory.manifests.test_pages import create_and_submit, form_data

HOSTILE_NAME = '<img src="/etc/hostname"/> & <b>x'
PLATE = "豫A·12345"


def _rename(app, org_id: int, name: str) -> None:
    with app.app_context():
        db.session.get(Organisation, org_id).name = name
        db.session.commit()


def _flat(text: str) -> str:
    """PDFium ends each drawn line with CR LF; a table cell may wrap a long name over two lines."""
    return re.sub(r"\s+", "", text)


def test_a_name_with_markup_prints_literally_and_embeds_no_file(app, page_parties, client):
    p = page_parties
    _rename(app, p.generator.id, HOSTILE_NAME)
    _rename(app, p.receiver.id, "灵宝市危废处置有限公司 &amp; <font size=40>大</font>")
    manifest_id = create_and_submit(client, p)
    login(client, p.generator_user)
    response = client.get(f"/manifests/{manifest_id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _flat(pdf_text(response.data))
    assert _flat(HOSTILE_NAME) in text
    assert _flat("灵宝市危废处置有限公司 &amp; <font size=40>大</font>") in text
    # the QR code is drawn as vector rectangles: any image in the file would be one a name pulled in
    assert pdf_image_count(response.data) == 0
    assert len(pdf_qr_codes(response.data)) == 1


def test_plate_separator_and_chinese_text_are_drawn_with_the_embedded_font(app, page_parties, client):
    p = page_parties
    login(client, p.generator_user)
    response = client.post("/manifests/new", data={**form_data(p), "carriers-0-vehicle_plate": PLATE})
    assert response.status_code == 302, response.text
    manifest_id = int(response.headers["Location"].rsplit("/", 1)[1])
    pdf = client.get(f"/manifests/{manifest_id}.pdf").data
    text = pdf_text(pdf)
    for words in (PLATE, "危险废物转移联单", "移出人", "接受人", "承运人", "义马市危险货物运输有限公司", "张师傅",
                  "泄漏时用吸附棉围堵。", "（草稿，未编号）"):
        assert words in text, words
    # the text came back, and each of its characters has a real glyph in the embedded subset: no box
    assert missing_glyphs(pdf, text) == set()
    assert b"STSong" not in pdf
