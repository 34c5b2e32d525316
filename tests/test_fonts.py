"""The document font: Noto Sans SC from PyPI, cut into static weights, covering what documents print; and
the glyph check the document tests rely on, shown to catch a missing glyph."""
import io

from fontTools.ttLib import TTFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from portal import fonts
from tests.documents import missing_glyphs, pdf_text

PRINTED = "豫A·12345 危险废物转移联单（草稿，未编号）：移出人—接受人　3,000 kg ≤ 5%"


def _pdf(font: str, text: str) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.setFont(font, 12)
    page.drawString(72, 720, text)
    page.save()
    return out.getvalue()


def test_both_weights_are_static_truetype_fonts_that_cover_the_printed_characters():
    for weight, wght in fonts.WEIGHTS.items():
        font = TTFont(str(fonts.font_path(weight)), lazy=True)
        assert "glyf" in font and "fvar" not in font  # TrueType outlines, one weight
        assert font["OS/2"].usWeightClass == wght
        cmap = font.getBestCmap()
        assert {char for char in PRINTED if ord(char) not in cmap} == set()


def test_an_embedded_pdf_gives_back_its_text_and_every_glyph():
    fonts.register_pdf_fonts()
    pdf = _pdf(fonts.PDF_NAMES["regular"], PRINTED)
    assert pdf_text(pdf).strip() == PRINTED
    assert missing_glyphs(pdf, PRINTED) == set()


def test_the_glyph_check_catches_a_character_the_font_lacks_and_a_font_not_embedded():
    fonts.register_pdf_fonts()
    assert missing_glyphs(_pdf(fonts.PDF_NAMES["regular"], "豫A\U0001f600"), "豫A\U0001f600") == {"\U0001f600"}
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))  # the former font: referenced, never embedded
    assert missing_glyphs(_pdf("STSong-Light", "豫A·1"), "豫A·1") == set("豫A·1")
