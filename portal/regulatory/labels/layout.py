"""The HJ 1276-2022 label as drawing operations in millimetres (x right, y down).

One layout feeds three renderers (PDF, PNG, SVG). The wording is the standard's: the label is a regulated
document that must read in Chinese whatever the language of the person printing it, so these strings are
fixed here and not translated.
"""
import unicodedata
from dataclasses import dataclass, field

from .pictograms import HAZARD_NAMES, pictogram

SIZE = 100.0  # mm; HJ 1276-2022 allows 100×100 mm as the smallest container label
YELLOW = "#ffd400"
BLACK = "#000000"
WHITE = "#ffffff"

TITLE = "危险废物"
FORMS = {"solid": "固态", "semi_solid": "半固态", "liquid": "液态", "gas": "气态"}
# The precautions follow from the hazard characteristics (HJ 1276-2022 lets the producer word them).
PRECAUTIONS = {
    "T": "防止泄漏和扬散，避免吸入和皮肤接触",
    "C": "避免接触皮肤和眼睛，不得与碱或酸混存",
    "I": "远离火源和热源，严禁烟火",
    "R": "避免撞击、摩擦和与其他物质混合",
    "In": "密闭包装，防止扩散，作业时佩戴防护用品",
}
GENERAL_PRECAUTION = "按规定贮存于专用设施，禁止混入非危险废物"


@dataclass(frozen=True)
class LabelData:
    """What one container label shows."""

    code: str  # the 37-digit 数字识别码
    url: str  # BASE_URL/t/<code>, inside the QR code
    waste_name: str
    category: str  # 'HW08'
    category_name: str
    waste_code: str  # '900-249-08'
    form: str
    hazards: tuple[str, ...]
    main_components: str
    harmful_components: str
    producer: str
    contact: str
    generated_on: str
    weight: str
    remark: str = ""
    precautions: str = field(default="")

    def precaution_text(self) -> str:
        return self.precautions or "；".join([PRECAUTIONS[h] for h in self.hazards if h in PRECAUTIONS]
                                             + [GENERAL_PRECAUTION])


def text_width(text: str, size: float) -> float:
    """A renderer-independent, slightly generous width estimate: CJK glyphs are one em, others ~0.6."""
    return sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text)


def wrap(text: str, size: float, width: float, first_indent: float = 0.0, max_lines: int = 3) -> list[str]:
    """Break text into at most max_lines lines fitting width; the last line ends in … when cut."""
    lines, current, available = [], "", width - first_indent
    for ch in text.replace("\n", " "):
        if text_width(current + ch, size) > available:
            lines.append(current)
            current, available = ch.lstrip(), width
        else:
            current += ch
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and text_width(last + "…", size) > (width if max_lines > 1 else available):
            last = last[:-1]
        lines[-1] = last + "…"
    return lines or [""]


def label_ops(data: LabelData) -> list[tuple]:
    """The drawing operations of one 100×100 mm label."""
    ops: list[tuple] = [
        ("rect", 0.0, 0.0, SIZE, SIZE, YELLOW, None, 0),
        ("rect", 1.5, 1.5, SIZE - 3, SIZE - 3, None, BLACK, 0.6),
        ("text", SIZE / 2, 11.5, 8.5, TITLE, True, "middle"),
        ("line", 1.5, 15.0, SIZE - 1.5, 15.0, 0.4),
        ("line", 63.0, 15.0, 63.0, 64.0, 0.3),
        ("line", 1.5, 64.0, SIZE - 1.5, 64.0, 0.4),
    ]
    ops += _fields(4.0, 19.5, 57.0, 62.5, [
        ("废物名称", data.waste_name, 3),
        ("废物类别", f"{data.category} {data.category_name}".strip(), 2),
        ("废物代码", data.waste_code, 1),
        ("废物形态", FORMS.get(data.form, data.form), 1),
        ("主要成分", data.main_components or "—", 2),
        ("有害成分", data.harmful_components or "—", 2),
        ("注意事项", data.precaution_text(), 3),
    ])
    ops += _hazard_block(data.hazards)
    ops += _fields(4.0, 68.0, 63.0, 97.0, [
        ("数字识别码", "", 1),
    ])
    ops.append(("text", 4.0, 71.6, 2.6, data.code, False, "start"))
    ops += _fields(4.0, 75.6, 63.0, 97.0, [
        ("产生/收集单位", data.producer, 1),
        ("联系人和联系方式", data.contact, 1),
        ("产生日期", data.generated_on, 1),
        ("废物重量", data.weight, 1),
        ("备注", data.remark or "—", 1),
    ], size=2.5, leading=3.4)
    ops.append(("qr", 70.0, 67.0, 27.0, data.url))
    return ops


def _fields(x: float, y: float, width: float, bottom: float, rows, size: float = 2.7,
            leading: float = 3.5) -> list[tuple]:
    """Rows of 'label：value' wrapped inside width, stopping before bottom."""
    ops = []
    for label, value, max_lines in rows:
        if y > bottom:
            break
        caption = label + "："
        indent = text_width(caption, size)
        ops.append(("text", x, y, size, caption, True, "start"))
        if not value:
            y += leading
            continue
        for i, line in enumerate(wrap(value, size, width, indent, max_lines)):
            if y > bottom:
                break
            ops.append(("text", x + (indent if i == 0 else 0), y, size, line, False, "start"))
            y += leading
    return ops


def _hazard_block(hazards: tuple[str, ...]) -> list[tuple]:
    """The 危险特性 column: up to five pictograms, two a row, each with its letter and name."""
    ops: list[tuple] = [("text", 81.0, 19.5, 2.9, "危险特性", True, "middle")]
    known = [h for h in hazards if h in HAZARD_NAMES]
    if not known:
        ops.append(("text", 81.0, 30.0, 2.7, "—", False, "middle"))
        return ops
    size = 14.0 if len(known) <= 4 else 10.0
    step = size + 4.0
    for i, letter in enumerate(known):
        row, col = divmod(i, 2)
        alone = i == len(known) - 1 and col == 0
        cx = 81.0 if alone else (72.5 if col == 0 else 89.5)
        top = 21.5 + row * step
        ops.append(("pictogram", letter, cx - size / 2, top, size, pictogram(letter)))
        ops.append(("text", cx, top + size + 2.8, 2.4, f"{letter} {HAZARD_NAMES[letter]}", False, "middle"))
    return ops
