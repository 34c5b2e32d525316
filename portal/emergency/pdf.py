"""The closing report of an incident (突发环境事件处置总结报告) in Chinese: the facts, the issued scheme, the
timeline and the closing summary. User text goes through _plain, as in the manifest's PDF."""
import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .. import fonts
from ..clock import CHINA
from ..i18n import quantity
from .models import Incident

# the document is Chinese whatever the reader's interface language
EVENT_TYPE_ZH = {"leak": "泄漏", "fire_explosion": "火灾爆炸", "illegal_dumping": "非法倾倒", "transport_accident": "运输事故",
                 "water_pollution": "水污染", "other": "其他"}
LEVEL_ZH = {"I": "特别重大（Ⅰ级）", "II": "重大（Ⅱ级）", "III": "较大（Ⅲ级）", "IV": "一般（Ⅳ级）"}
STATUS_ZH = {"open": "处置中", "issued": "方案已下达", "closed": "已结束"}
EVENT_ZH = {"recorded": "登记事件", "drafted": "生成方案", "edited": "修改方案", "issued": "下达方案", "note": "记录",
            "closed": "结束处置"}
DEPARTMENT_ZH = {"ecology": "生态环境局", "urban": "城市管理局", "housing": "住房和城乡建设局", "agriculture": "农业农村局",
                 "health": "卫生健康委员会", "transport": "交通运输局", "police": "公安局"}


def _plain(value) -> str:
    return escape(str(value))


def _when(value) -> str:
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if value else "—"


def _styles():
    fonts.register_pdf_fonts()
    base = ParagraphStyle("zh", fontName=fonts.PDF_NAMES["regular"], fontSize=9, leading=13)
    return (base, ParagraphStyle("title", parent=base, fontSize=16, leading=20, alignment=1),
            ParagraphStyle("h2", parent=base, fontName=fonts.PDF_NAMES["bold"], fontSize=11, leading=16))


def _table(rows, widths, style, header: bool = False) -> Table:
    cells = [[Paragraph(_plain(c if c not in (None, "") else "—"), style) for c in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0)
    commands = [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    table.setStyle(TableStyle(commands))
    return table


def _km(metres: int) -> str:
    return f"{metres / 1000:.1f} km"


def _facts(incident: Incident, width, text) -> list:
    rows = [["事件", incident.title, "类型", EVENT_TYPE_ZH.get(incident.event_type, incident.event_type)],
            ["发生时间", _when(incident.occurred_at), "状态", STATUS_ZH.get(incident.status, incident.status)],
            ["地点", f"{incident.address or ''}（{incident.lat}, {incident.lon}）", "报告人", incident.reporter],
            ["涉事企业", incident.organisation.name if incident.organisation else "—", "结束时间", _when(incident.closed_at)]]
    return [_table(rows, [20 * mm, width / 2 - 20 * mm, 20 * mm, width / 2 - 20 * mm], text), Spacer(1, 3 * mm)]


def _scheme(incident: Incident, width, text, h2) -> list:
    issued = [s for s in incident.schemes if s.status == "issued"] or incident.schemes[-1:]
    if not issued:
        return [Paragraph("尚未生成处置方案。", text)]
    scheme = issued[-1]
    facts = scheme.drafted or {}
    story = [Paragraph(_plain(f"处置方案（第 {scheme.version} 版，{'下达于 ' + _when(scheme.issued_at) if scheme.issued_at else '未下达'}）"), h2),
             Paragraph(_plain(f"响应级别：{LEVEL_ZH.get(scheme.response_level, '未确定')}　责任部门："
                              + "、".join(DEPARTMENT_ZH.get(d, d) for d in scheme.department_list)), text),
             Paragraph(_plain(scheme.instructions or "—").replace("\n", "<br/>"), text), Spacer(1, 3 * mm)]
    wastes = [["废物代码", "危险特性", "估计量", "最近的持证单位（许可证、方式、距离）"]] + [
        [w["waste_code"], ",".join(w.get("hazards") or []) or "—",
         quantity(w["estimated_g"]) if w.get("estimated_g") is not None else "—",
         "；".join(f"{f['name']}（{f['licence']}，{','.join(f['methods'])}，{_km(f['distance_m'])}）"
                  for f in w.get("facilities", [])[:3]) or "无"] for w in facts.get("wastes", [])]
    story += [_table(wastes, [22 * mm, 18 * mm, 20 * mm, width - 60 * mm], text, True), Spacer(1, 3 * mm)]
    plans = "；".join(f"{p['title']}（{p.get('filing_number') or '—'}）" for p in facts.get("plans", [])) or "无"
    places = "；".join(f"{p['name']}（{_km(p['distance_m'])}）" for p in facts.get("places", [])) or "无"
    story += [Paragraph(_plain(f"适用预案：{plans}"), text), Paragraph(_plain(f"敏感目标：{places}"), text),
              Spacer(1, 3 * mm)]
    return story


def render_report(incident: Incident) -> bytes:
    """The closing report as a PDF (A4)."""
    text, title, h2 = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=12 * mm,
                            bottomMargin=12 * mm, title=f"突发环境事件处置总结报告 {incident.id}")
    width = A4[0] - 30 * mm
    story = [Paragraph("突发环境事件处置总结报告", title), Spacer(1, 4 * mm)]
    story += _facts(incident, width, text)
    story += _scheme(incident, width, text, h2)
    story.append(Paragraph("处置过程", h2))
    timeline = [["时间", "事项", "人员", "说明"]] + [
        [_when(e.at), EVENT_ZH.get(e.kind, e.kind), e.actor.name if e.actor else "—", e.note or ""]
        for e in incident.events]
    story += [_table(timeline, [30 * mm, 22 * mm, 30 * mm, width - 82 * mm], text, True), Spacer(1, 3 * mm),
              Paragraph("总结", h2), Paragraph(_plain(incident.closing_summary or "尚未结束。").replace("\n", "<br/>"), text)]
    doc.build(story)
    return buffer.getvalue()
