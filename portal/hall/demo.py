"""The hall's demo documents for `wufei seed demo`, written and published through the services by the city's
生态环境局 regulator (so the audit trail and the search index are the real ones).

The titles and document numbers are those of real national policies; the bodies are short summaries written
for the demo, not the legal text, and say so. The service guide and the notice describe this platform itself.
A document is found again by its title, so a second run creates nothing.
"""
import io
from datetime import date

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
from sqlalchemy import select

from ..extensions import db
from ..fonts import PDF_NAMES, register_pdf_fonts
from .models import HallDocument
from .services import DocumentData, add_attachment, create_document, ensure_default_kinds, take_step

PUBLISHER = "regulator@demo.wufei.cn"  # 生态环境局, whole city
SUMMARY_NOTE = "（以下为本平台编写的内容摘要，不是法律文本；请以发布机关公布的正式文本为准。）"
SUMMARY_NOTE_EN = "(A summary written for this platform, not the legal text; the issuing authority's official text prevails.)"

# (kind, title, English title, document number, date, summary, English summary, publish?)
DOCUMENTS = (
    ("policy", "中华人民共和国固体废物污染环境防治法",
     "Law of the People's Republic of China on the Prevention and Control of Environmental Pollution by Solid Wastes",
     "中华人民共和国主席令第四十三号", date(2020, 4, 29),
     "2020年修订的固体废物污染环境防治法自2020年9月1日起施行。它规定了工业固体废物、生活垃圾、建筑垃圾、"
     "农业固体废物和危险废物的污染防治责任，要求产生危险废物的单位建立管理台账、如实申报，转移危险废物"
     "应当执行电子转移联单，并提出推进“无废城市”建设。",
     "The law as revised in 2020 took effect on 1 September 2020. It sets the duties for industrial solid waste, "
     "household, construction and agricultural waste and hazardous waste, requires producers of hazardous waste to "
     "keep registers and declare them, and requires electronic transfer manifests.", True),
    ("policy", "“无废城市”建设试点工作方案", "Work plan for the pilot construction of zero-waste cities",
     "国办发〔2018〕128号", date(2018, 12, 29),
     "国务院办公厅印发的试点工作方案，提出在全国选择城市开展“无废城市”建设试点，推动固体废物源头减量和"
     "资源化利用，最大限度减少填埋量。",
     "The State Council's plan for pilot zero-waste cities: reduce solid waste at source, use it as a resource "
     "and keep landfill to a minimum.", True),
    ("policy", "“十四五”时期“无废城市”建设工作方案",
     "Work plan for building zero-waste cities during the 14th Five-Year Plan period",
     "环固体〔2021〕114号", date(2021, 12, 15),
     "生态环境部等部门印发的工作方案，推动100个左右地级及以上城市开展“无废城市”建设，涵盖工业固体废物、"
     "农业废弃物、建筑垃圾、生活垃圾和危险废物的减量化、资源化和无害化。",
     "The ministries' plan for about one hundred cities to build zero-waste cities during 2021–2025, covering "
     "industrial, agricultural, construction, household and hazardous waste.", True),
    ("policy", "国家危险废物名录（2021年版）", "National Catalogue of Hazardous Wastes (2021 edition)",
     "生态环境部令第15号", date(2020, 11, 25),
     "名录自2021年1月1日起施行，列出46大类467种危险废物及其废物代码和危险特性，并附危险废物豁免管理清单。"
     "本平台的废物代码即取自该名录。",
     "In force since 1 January 2021: 467 hazardous wastes in 46 categories with their codes and hazard "
     "characteristics, and the exemption list. This platform's waste codes come from it.", True),
    ("policy", "危险废物转移管理办法", "Measures for the administration of hazardous waste transfers",
     "生态环境部令第23号", date(2021, 11, 30),
     "办法自2022年1月1日起施行，规定危险废物转移应当运行电子转移联单，明确移出人、承运人和接受人的责任，"
     "以及跨省转移的审批要求。本平台的电子转移联单按此办法设计。",
     "In force since 1 January 2022: hazardous waste is transferred under electronic manifests; the duties of "
     "the consignor, carriers and receiver; approval of transfers across provinces.", True),
    ("guide", "危险废物电子转移联单办理指南", "How to process an electronic hazardous waste manifest",
     None, date(2026, 11, 2),
     "一、产废单位在平台上登记批次并打印带二维码的标签。\n二、新建转移联单，填写接受单位和运输单位，提交后"
     "承运人接单。\n三、司机扫描标签确认装车，送达后接受单位称重并在5个工作日内确认接收。\n四、接受单位记录"
     "利用或处置方式，联单办结。",
     "1. The generator registers the batch and prints labels with QR codes.\n2. It creates a manifest naming the "
     "receiver and the carrier; the carrier takes it over.\n3. The driver scans the labels at pickup; the receiver "
     "weighs the delivery and confirms receipt within 5 working days.\n4. The receiver records the treatment.", True),
    ("notice", "关于通过本平台举报非法倾倒固体废物的说明",
     "How to report illegal dumping of solid waste on this platform", None, date(2026, 11, 20),
     "发现非法倾倒、焚烧固体废物的，无需注册即可在平台首页“我要举报”提交位置、照片和说明。平台按类别将举报"
     "分派给责任部门，您可凭跟踪码查看办理进度。",
     "Anyone who sees illegal dumping or burning of waste can report it from the home page without an account. "
     "The platform routes the report to the department responsible; follow it with its tracking code.", False),
)


def seed_demo_documents(users: dict, _orgs: dict) -> dict:
    """Create the demo documents that do not exist yet (the last one stays a draft)."""
    ensure_default_kinds()
    publisher = users[PUBLISHER]
    created = 0
    for kind, title, title_en, number, issued_on, body, body_en, publish in DOCUMENTS:
        if db.session.scalar(select(HallDocument.id).where(HallDocument.title_zh == title)) is not None:
            continue
        policy = kind == "policy"
        document = create_document(publisher, DocumentData(
            kind=kind, title_zh=title, title_en=title_en, document_number=number, issued_on=issued_on,
            body_zh=f"{SUMMARY_NOTE}\n{body}" if policy else body,
            body_en=f"{SUMMARY_NOTE_EN}\n{body_en}" if policy else body_en))
        if kind == "guide":  # the guide also as a printable PDF, attached as a department would
            add_attachment(publisher, document, io.BytesIO(printable(title, body)), f"{title}.pdf")
        if publish:
            take_step(publisher, document, "publish")
        created += 1
    db.session.flush()
    return {"hall_documents": len(DOCUMENTS), "hall_documents_created": created}


def printable(title: str, body: str) -> bytes:
    """A one-page A4 PDF of a short text, in the platform's font."""
    register_pdf_fonts()
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    page.setFont(PDF_NAMES["bold"], 16)
    page.drawString(60, 770, title)
    page.setFont(PDF_NAMES["regular"], 11)
    y = 735
    for paragraph in body.split("\n"):
        for start in range(0, len(paragraph), 40):  # 40 CJK characters fill a line of A4 at 11 pt
            page.drawString(60, y, paragraph[start:start + 40])
            y -= 20
    page.save()
    return out.getvalue()
