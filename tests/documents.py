"""Reading generated documents back as a person or a scanner would, with libraries whose wheels carry their
native code (no poppler, no zbar on the machine): PDFium renders and extracts text, pypdf walks the PDF's
objects, fontTools opens the embedded font subsets, zxing-cpp decodes QR codes."""
import io
import re

import pypdfium2 as pdfium
import zxingcpp
from fontTools.ttLib import TTFont
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfgen import canvas

BFCHAR_BLOCK = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")


def small_pdf(text: str = "lab report") -> bytes:
    """A real one-page PDF, as a scanner or a bank's website would send."""
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, text)
    page.save()
    return out.getvalue()


def qr_codes(image: Image.Image) -> list[str]:
    """The text of every QR code in the image."""
    return [barcode.text for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def pdf_text(pdf: bytes) -> str:
    """All text of the PDF, page after page, as a reader's copy and paste gives it."""
    document = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def pdf_pages(pdf: bytes, dpi: int = 200) -> list[Image.Image]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72).to_pil() for page in document]
    finally:
        document.close()


def pdf_page_sizes_mm(pdf: bytes) -> list[tuple[float, float]]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [(page.get_width() / 72 * 25.4, page.get_height() / 72 * 25.4) for page in document]
    finally:
        document.close()


def pdf_qr_codes(pdf: bytes, dpi: int = 200) -> list[str]:
    """Every QR code on every page, rendered at dpi."""
    return [text for page in pdf_pages(pdf, dpi) for text in qr_codes(page)]


def _entry(dictionary, key: str) -> dict:
    """A dictionary entry resolved, or an empty dict (entries may be direct or indirect objects)."""
    value = dictionary.get(key)
    return value.get_object() if value is not None else {}


def _xobjects(resources) -> list:
    found = []
    for ref in _entry(resources, "/XObject").values():
        xobject = ref.get_object()
        found.append(xobject)
        if xobject.get("/Subtype") == "/Form":
            found += _xobjects(_entry(xobject, "/Resources"))
    return found


def pdf_image_count(pdf: bytes) -> int:
    """How many image XObjects the pages draw (a file pulled in by <img src=…> would be one)."""
    reader = PdfReader(io.BytesIO(pdf))
    return sum(1 for page in reader.pages for x in _xobjects(_entry(page, "/Resources"))
               if x.get("/Subtype") == "/Image")


def _fonts(pdf: bytes) -> list:
    reader = PdfReader(io.BytesIO(pdf))
    return [ref.get_object() for page in reader.pages
            for ref in _entry(_entry(page, "/Resources"), "/Font").values()]


def embedded_glyphs(pdf: bytes) -> dict[str, set[str]]:
    """For each embedded font subset (by BaseFont): the characters it carries a real glyph for.

    A character the font lacks is drawn with .notdef (the missing-glyph box): its code then maps to
    .notdef in the subset, so it is not counted. Fonts that are not embedded map to an empty set."""
    result: dict[str, set[str]] = {}
    for font in _fonts(pdf):
        name = str(font["/BaseFont"]).lstrip("/")
        descriptor = font.get("/FontDescriptor")
        file = descriptor.get_object().get("/FontFile2") if descriptor is not None else None
        glyphs = result.setdefault(name, set())
        if file is None or "/ToUnicode" not in font:
            continue
        subset = TTFont(io.BytesIO(file.get_object().get_data()))
        code_to_glyph = {code: glyph for table in subset["cmap"].tables for code, glyph in table.cmap.items()}
        cmap = font["/ToUnicode"].get_object().get_data()
        pairs = [pair for block in BFCHAR_BLOCK.findall(cmap) for pair in BFCHAR.findall(block)]
        for code, unicode in pairs:
            char = bytes.fromhex(unicode.decode()).decode("utf-16-be")
            if char != "\0" and code_to_glyph.get(int(code, 16), ".notdef") != ".notdef":
                glyphs.add(char)
    return result


def missing_glyphs(pdf: bytes, *texts: str) -> set[str]:
    """The characters of texts (whitespace aside) that no embedded font of the PDF draws."""
    drawn = set().union(*embedded_glyphs(pdf).values())
    return {char for text in texts for char in text if not char.isspace() and char not in drawn}
