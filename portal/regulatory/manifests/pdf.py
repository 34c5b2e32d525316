"""The printable manifest (危险废物转移联单) in Chinese, with a QR code of its public trace URL.

Paragraph reads its text as markup (<img src>, <b>, entities): every value that comes from a user goes
through _plain first, so a name such as `<img src="/etc/hostname"/>` prints as typed and embeds nothing."""
import io
from xml.sax.saxutils import escape

from flask import current_app
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from ... import fonts
from ...clock import CHINA
from ...i18n import quantity
from ..labels.render import qr_matrix
from .models import Manifest

# the document is the Chinese form whatever the reader's interface language
STATE_ZH = {"draft": "草稿", "submitted": "已提交", "in_transit": "运输中", "handed_over": "已交接", "delivered": "已送达",
            "received": "已接收", "partly_received": "部分接收", "refused": "拒收", "treated": "已利用处置",
            "cancelled": "已作废"}
ACTION_ZH = {"submit": "移出人提交", "cancel": "移出人作废", "pick_up": "承运人起运", "hand_over": "承运人交接",
             "deliver": "承运人送达", "receive": "接受人接收", "treat": "接受人利用处置", "revise": "提出修改",
             "approve_revision": "同意修改", "reject_revision": "拒绝修改"}
FORM_ZH = {"solid": "固态", "semi_solid": "半固态", "liquid": "液态", "gas": "气态"}


def trace_url(manifest: Manifest) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + "/t/" + (manifest.number or "")


class QrCode(Flowable):
    def __init__(self, data: str, size: float):
        super().__init__()
        self.matrix, self.size = qr_matrix(data), size
        self.width = self.height = size

    def draw(self):
        n = len(self.matrix)
        cell = self.size / n
        self.canv.setFillColor(colors.black)
        for y, row in enumerate(self.matrix):
            for x, dark in enumerate(row):
                if dark:
                    self.canv.rect(x * cell, self.size - (y + 1) * cell, cell, cell, stroke=0, fill=1)


def _when(value) -> str:
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if value else "—"


def _plain(value) -> str:
    """A value as Paragraph text that shows exactly its characters (no markup, no entities)."""
    return escape(str(value))


def _styles():
    fonts.register_pdf_fonts()
    base = ParagraphStyle("zh", fontName=fonts.PDF_NAMES["regular"], fontSize=9, leading=12)
    return base, ParagraphStyle("title", parent=base, fontSize=16, leading=20, alignment=1)


def _table(rows, widths, style: ParagraphStyle, header: bool = False) -> Table:
    cells = [[Paragraph(_plain(c if c not in (None, "") else "—"), style) for c in row] for row in rows]
    table = Table(cells, colWidths=widths)
    commands = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(commands))
    return table


def render_manifest(m: Manifest) -> bytes:
    text, title = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=12 * mm,
                            bottomMargin=12 * mm, title=f"危险废物转移联单 {m.number or ''}")
    width = A4[0] - 30 * mm
    head = [[Paragraph("危险废物转移联单", title), QrCode(trace_url(m), 28 * mm) if m.number else ""],
            [Paragraph(_plain(f"联单编号：{m.number or '（草稿，未编号）'}　状态：{STATE_ZH.get(m.state, m.state)}"
                              f"　修订：{m.revision}"), text), ""]]
    story = [Table(head, colWidths=[width - 32 * mm, 32 * mm], style=[("SPAN", (1, 0), (1, 1)),
                                                                       ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]),
             Spacer(1, 4 * mm)]
    parties = [["移出人", f"{m.generator.name}（{m.generator.uscc}）", "起运地", m.origin],
               ["接受人", f"{m.receiver.name}（{m.receiver.uscc}）", "目的地", m.destination],
               ["计划起运", m.planned_pickup_on.isoformat(), "计划送达", m.planned_delivery_on.isoformat()],
               ["途经", m.via_points, "应急措施", m.emergency_measures]]
    story += [_table(parties, [20 * mm, width / 2 - 20 * mm, 20 * mm, width / 2 - 20 * mm], text), Spacer(1, 3 * mm)]
    carriers = [["序号", "承运人", "车牌号", "驾驶员", "电话", "押运员", "接管时间"]] + [
        [c.position + 1, f"{c.organisation.name}（{c.organisation.uscc}）", c.vehicle_plate, c.driver_name,
         c.driver_phone, c.escort_name, _when(c.took_over_at)] for c in m.carriers]
    story += [_table(carriers, [10 * mm, 52 * mm, 22 * mm, 18 * mm, 26 * mm, 18 * mm, width - 146 * mm], text, True),
              Spacer(1, 3 * mm)]
    lines = [["序号", "废物代码", "名称", "危险特性", "形态", "包装", "转移量", "接收量", "拒收量"]] + [
        [line.position + 1, line.waste_code, line.waste_name[:60], line.hazards, FORM_ZH.get(line.form, line.form),
         (line.container.code if line.container is not None else line.packaging), quantity(line.quantity_g),
         quantity(line.received_g), quantity(line.refused_g)] for line in m.lines]
    story += [_table(lines, [10 * mm, 20 * mm, 38 * mm, 14 * mm, 12 * mm, 30 * mm, 18 * mm, 18 * mm,
                             width - 160 * mm], text, True), Spacer(1, 3 * mm)]
    if m.treated_at:
        story += [Paragraph(_plain(f"利用处置方式：{m.treatment_method}　日期：{m.treated_on.isoformat()}"
                                   f"　数量：{quantity(m.treated_g)}"), text), Spacer(1, 3 * mm)]
    signed = [["步骤", "单位", "时间", "签章（SHA-256）"]] + [
        [ACTION_ZH.get(s.action, s.action), s.organisation.name, _when(s.signed_at), s.hash] for s in m.signatures]
    story.append(_table(signed, [26 * mm, 50 * mm, 30 * mm, width - 106 * mm], text, True))
    doc.build(story)
    return buffer.getvalue()
