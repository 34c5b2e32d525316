"""The one font of every printed document (PDF manifests, labels, receipts) and PNG label: Noto Sans SC.

It comes from PyPI, in the justmytype-intl-cjk wheel (Google Fonts' Noto Sans SC, SIL Open Font License
1.1), so no system package is needed. It has TrueType outlines, which reportlab can subset and embed
(Debian's Noto Sans CJK has CFF outlines, which reportlab cannot). Its 30,890 characters cover all of
GB 2312 and all of GBK's 21,791 but one symbol (≒), including the plate separator "·" (U+00B7) that
reportlab's built-in CID font STSong-Light drew as a missing glyph.

The wheel ships a variable font whose default instance is Thin, and reportlab embeds a font's default
outlines only: static Regular and Bold instances are cut from it once (about 15 s each) and kept in a cache
directory, FONT_CACHE_DIR (default ~/.cache/wufei/fonts). `make install` builds them with
`python -m portal.fonts`, so no request has to wait for them.
"""
import os
import tempfile
from functools import cache
from importlib.resources import files
from pathlib import Path

from fontTools.ttLib import TTFont
from fontTools.varLib import instancer
from reportlab.pdfbase import pdfmetrics, ttfonts

SOURCE = files("justmytype_intl_cjk") / "fonts/ofl/notosanssc/NotoSansSC[wght].ttf"
WEIGHTS = {"regular": 400, "bold": 700}
# the names under which reportlab knows the two faces (and writes into each PDF, behind a subset prefix)
PDF_NAMES = {"regular": "NotoSansSC-Regular", "bold": "NotoSansSC-Bold"}


def cache_dir() -> Path:
    configured = os.environ.get("FONT_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wufei" / "fonts"


def _cut_instance(weight: str, target: Path) -> None:
    """Write the static instance of one weight; written aside, then renamed, so a reader never sees half."""
    variable = TTFont(str(SOURCE))
    static = instancer.instantiateVariableFont(variable, {"wght": WEIGHTS[weight]}, updateFontNames=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(handle)
    try:
        static.save(temporary)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would hide it from a server running as another user
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)


@cache
def font_path(weight: str = "regular") -> Path:
    """The static TrueType file of that weight ("regular" or "bold"), cut on first use."""
    # the source's size in the name: a new wheel with another font file gets new instances
    target = cache_dir() / f"NotoSansSC-{weight}-{Path(str(SOURCE)).stat().st_size}.ttf"
    if not target.is_file():
        _cut_instance(weight, target)
    return target


@cache
def register_pdf_fonts() -> None:
    """Register both weights with reportlab as one family (so <b> in a Paragraph picks Bold); reportlab then
    embeds in each PDF a subset of the glyphs that document uses."""
    for weight, name in PDF_NAMES.items():
        pdfmetrics.registerFont(ttfonts.TTFont(name, str(font_path(weight))))
    regular, bold = PDF_NAMES["regular"], PDF_NAMES["bold"]
    pdfmetrics.registerFontFamily(regular, normal=regular, bold=bold, italic=regular, boldItalic=bold)


if __name__ == "__main__":
    for name in WEIGHTS:
        print(font_path(name))
