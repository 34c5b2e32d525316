"""Renderers of the label layout: PDF (reportlab, vector), PNG (Pillow) and SVG.

All three draw the same operations from layout.label_ops, so a label looks the same whichever is printed.
"""
import io
import xml.etree.ElementTree as ET
from functools import cache

import qrcode
import qrcode.image.svg
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from ... import fonts
from .layout import SIZE, WHITE, LabelData, label_ops

# PDF and PNG draw with the same embedded Noto Sans SC (portal/fonts.py)
PDF_FONT, PDF_FONT_BOLD = fonts.PDF_NAMES["regular"], fonts.PDF_NAMES["bold"]
SVG_NS = "http://www.w3.org/2000/svg"
SVG_FONTS = "'Noto Sans SC', 'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', sans-serif"
PNG_PX_PER_MM = 12  # ≈ 300 dpi, enough for a phone to read the QR from a printout


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR modules without quiet zone; error correction M survives a scuffed label."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(data)
    qr.make(fit=True)
    return qr.get_matrix()


def _runs(row: list[bool]):
    """(start, length) of each run of dark modules in a row, so a QR is drawn with few rectangles."""
    start = None
    for i, dark in enumerate([*row, False]):
        if dark and start is None:
            start = i
        elif not dark and start is not None:
            yield start, i - start
            start = None


# --- PDF ---------------------------------------------------------------------------------------

class _PdfLabel:
    def __init__(self, c: canvas.Canvas, left: float, top: float):
        self.c, self.left, self.top = c, left, top

    def xy(self, x: float, y: float) -> tuple[float, float]:
        return self.left + x * mm, self.top - y * mm

    def draw(self, ops) -> None:
        for op in ops:
            getattr(self, "op_" + op[0])(*op[1:])

    def op_rect(self, x, y, w, h, fill, stroke, width):
        c = self.c
        if fill:
            c.setFillColor(fill)
        if stroke:
            c.setStrokeColor(stroke)
            c.setLineWidth(width * mm)
        px, py = self.xy(x, y + h)
        c.rect(px, py, w * mm, h * mm, fill=1 if fill else 0, stroke=1 if stroke else 0)

    def op_line(self, x1, y1, x2, y2, width, colour="#000000"):
        self.c.setStrokeColor(colour)
        self.c.setLineWidth(width * mm)
        self.c.line(*self.xy(x1, y1), *self.xy(x2, y2))

    def op_text(self, x, y, size, text, bold, anchor):
        c = self.c
        font, font_size = (PDF_FONT_BOLD if bold else PDF_FONT), size * mm
        width = pdfmetrics.stringWidth(text, font, font_size)
        px, py = self.xy(x, y)
        if anchor == "middle":
            px -= width / 2
        c.setFillColor("#000000")
        obj = c.beginText(px, py)
        obj.setFont(font, font_size)
        obj.textOut(text)
        c.drawText(obj)

    def op_pictogram(self, _letter, x, y, size, primitives):
        for prim in primitives:
            kind, *args = prim
            if kind == "polygon":
                points, fill = args
                path = self.c.beginPath()
                path.moveTo(*self.xy(x + points[0][0] * size, y + points[0][1] * size))
                for px, py in points[1:]:
                    path.lineTo(*self.xy(x + px * size, y + py * size))
                path.close()
                self.c.setFillColor(fill)
                self.c.drawPath(path, fill=1, stroke=0)
            elif kind == "circle":
                cx, cy, r, fill = args
                self.c.setFillColor(fill)
                self.c.circle(*self.xy(x + cx * size, y + cy * size), r * size * mm, fill=1, stroke=0)
            elif kind == "line":
                x1, y1, x2, y2, width, colour = args
                self.c.setLineCap(1)
                self.op_line(x + x1 * size, y + y1 * size, x + x2 * size, y + y2 * size, width * size, colour)
                self.c.setLineCap(0)

    def op_qr(self, x, y, size, data):
        matrix = qr_matrix(data)
        n = len(matrix)
        quiet = 2
        module = size / (n + 2 * quiet)
        self.op_rect(x, y, size, size, WHITE, None, 0)
        self.c.setFillColor("#000000")
        for row_index, row in enumerate(matrix):
            for start, length in _runs(row):
                px, py = self.xy(x + (quiet + start) * module, y + (quiet + row_index + 1) * module)
                self.c.rect(px, py, length * module * mm, module * mm, fill=1, stroke=0)


def render_pdf(labels: list[LabelData], *, layout: str = "sheet", title: str = "危险废物标签") -> bytes:
    """Labels as a PDF: 'sheet' puts four 100 mm labels on each A4 page, 'single' one label per page."""
    fonts.register_pdf_fonts()
    buffer = io.BytesIO()
    single = layout == "single"
    page = (SIZE * mm, SIZE * mm) if single else A4
    c = canvas.Canvas(buffer, pagesize=page, pageCompression=1)
    c.setTitle(title)
    c.setCreator("wufei")
    per_page = 1 if single else 4
    gap_x = (A4[0] - 2 * SIZE * mm) / 3
    gap_y = (A4[1] - 2 * SIZE * mm) / 3
    for index, data in enumerate(labels):
        slot = index % per_page
        if index and slot == 0:
            c.showPage()
        if single:
            left, top = 0.0, SIZE * mm
        else:
            row, col = divmod(slot, 2)
            left = gap_x + col * (SIZE * mm + gap_x)
            top = A4[1] - gap_y - row * (SIZE * mm + gap_y)
        _PdfLabel(c, left, top).draw(label_ops(data))
    c.showPage()
    c.save()
    return buffer.getvalue()


# --- PNG ---------------------------------------------------------------------------------------

@cache
def _png_font(size_px: int, bold: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(fonts.font_path("bold" if bold else "regular")), size_px)


class _PngLabel:
    def __init__(self, image: Image.Image, k: int):
        self.draw_ = ImageDraw.Draw(image)
        self.k = k

    def p(self, v: float) -> int:
        return round(v * self.k)

    def draw(self, ops) -> None:
        for op in ops:
            getattr(self, "op_" + op[0])(*op[1:])

    def op_rect(self, x, y, w, h, fill, stroke, width):
        p = self.p
        self.draw_.rectangle([p(x), p(y), p(x + w) - 1, p(y + h) - 1], fill=fill, outline=stroke,
                             width=max(1, p(width)) if stroke else 0)

    def op_line(self, x1, y1, x2, y2, width, colour="#000000"):
        p = self.p
        self.draw_.line([p(x1), p(y1), p(x2), p(y2)], fill=colour, width=max(1, p(width)))

    def op_text(self, x, y, size, text, bold, anchor):
        self.draw_.text((self.p(x), self.p(y)), text, fill="#000000", font=_png_font(self.p(size), bool(bold)),
                        anchor="ms" if anchor == "middle" else "ls")

    def op_pictogram(self, _letter, x, y, size, primitives):
        p, d = self.p, self.draw_
        for kind, *args in primitives:
            if kind == "polygon":
                points, fill = args
                d.polygon([(p(x + u * size), p(y + v * size)) for u, v in points], fill=fill)
            elif kind == "circle":
                cx, cy, r, fill = args
                d.ellipse([p(x + (cx - r) * size), p(y + (cy - r) * size), p(x + (cx + r) * size),
                           p(y + (cy + r) * size)], fill=fill)
            elif kind == "line":
                x1, y1, x2, y2, width, colour = args
                self.op_line(x + x1 * size, y + y1 * size, x + x2 * size, y + y2 * size, width * size, colour)

    def op_qr(self, x, y, size, url):
        p = self.p
        matrix = qr_matrix(url)
        module = size / (len(matrix) + 4)
        self.draw_.rectangle([p(x), p(y), p(x + size), p(y + size)], fill="#ffffff")
        for r, row in enumerate(matrix):
            for start, length in _runs(row):
                left, top = x + (2 + start) * module, y + (2 + r) * module
                self.draw_.rectangle([p(left), p(top), p(left + length * module) - 1, p(top + module) - 1],
                                     fill="#000000")


def render_png(data: LabelData, *, px_per_mm: int = PNG_PX_PER_MM) -> bytes:
    """One label as a PNG of 100 mm at px_per_mm pixels per millimetre."""
    image = Image.new("RGB", (int(SIZE * px_per_mm), int(SIZE * px_per_mm)), "#ffffff")
    _PngLabel(image, px_per_mm).draw(label_ops(data))
    buffer = io.BytesIO()
    dpi = round(px_per_mm * 25.4)
    image.save(buffer, "PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


# --- SVG ---------------------------------------------------------------------------------------

def _el(tag: str, parent=None, **attrs) -> ET.Element:
    attrs = {k.rstrip("_").replace("_", "-"): _fmt(v) for k, v in attrs.items() if v is not None}
    return ET.SubElement(parent, tag, attrs) if parent is not None else ET.Element(tag, attrs)


def _fmt(value) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def render_svg(data: LabelData) -> bytes:
    """One label as a standalone SVG, 100 mm square, text kept as text."""
    root = _el("svg", xmlns=SVG_NS, width=f"{SIZE:g}mm", height=f"{SIZE:g}mm", viewBox=f"0 0 {SIZE:g} {SIZE:g}")
    _el("title", root).text = f"危险废物标签 {data.code}"
    for kind, *args in label_ops(data):
        if kind == "rect":
            x, y, w, h, fill, stroke, width = args
            _el("rect", root, x=x, y=y, width=w, height=h, fill=fill or "none", stroke=stroke,
                stroke_width=width if stroke else None)
        elif kind == "line":
            x1, y1, x2, y2, width = args[:5]
            _el("line", root, x1=x1, y1=y1, x2=x2, y2=y2, stroke="#000000", stroke_width=width)
        elif kind == "text":
            x, y, size, text, bold, anchor = args
            _el("text", root, x=x, y=y, font_size=size, font_family=SVG_FONTS,
                font_weight="bold" if bold else None, text_anchor=anchor).text = text
        elif kind == "pictogram":
            letter, x, y, size, primitives = args
            group = _el("g", root, transform=f"translate({_fmt(float(x))} {_fmt(float(y))}) scale({_fmt(float(size))})")
            _el("title", group).text = letter
            _svg_pictogram(group, primitives)
        elif kind == "qr":
            _svg_qr(root, *args)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _svg_pictogram(group: ET.Element, primitives) -> None:
    for kind, *args in primitives:
        if kind == "polygon":
            points, fill = args
            _el("polygon", group, points=" ".join(f"{_fmt(u)},{_fmt(v)}" for u, v in points), fill=fill)
        elif kind == "circle":
            cx, cy, r, fill = args
            _el("circle", group, cx=float(cx), cy=float(cy), r=float(r), fill=fill)
        elif kind == "line":
            x1, y1, x2, y2, width, colour = args
            _el("line", group, x1=float(x1), y1=float(y1), x2=float(x2), y2=float(y2), stroke=colour,
                stroke_width=float(width), stroke_linecap="round")


def _svg_qr(root: ET.Element, x: float, y: float, size: float, url: str) -> None:
    """The QR from qrcode's SVG path factory, nested as an <svg> placed on the label."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, border=2,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    generated = ET.fromstring(image.to_string())
    nested = _el("svg", root, x=float(x), y=float(y), width=float(size), height=float(size),
                 viewBox=generated.get("viewBox"))
    _el("rect", nested, width="100%", height="100%", fill=WHITE)
    for path in generated.iter(f"{{{SVG_NS}}}path"):
        _el("path", nested, d=path.get("d"), fill="#000000")
