"""The document readers of tests/documents.py notice what they are meant to notice."""
import io

from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from tests.documents import pdf_image_count, pdf_text, small_pdf


def test_an_image_drawn_into_a_pdf_is_counted():
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawImage(ImageReader(Image.new("RGB", (8, 8), "red")), 72, 72, 20, 20)
    page.save()
    assert pdf_image_count(out.getvalue()) == 1
    assert pdf_image_count(small_pdf()) == 0


def test_text_comes_back_as_drawn():
    assert pdf_text(small_pdf("lab report 42")).strip() == "lab report 42"
