"""The emergency part of the demo, through the services:

- the templates and the event-level thresholds shipped with their sources;
- handling guidance the demo city wrote for toxic, ignitable and infectious waste and for oily rags;
- resources and sensitive places around 陕州区大营镇, where the licensed facility 豫西环保 stands;
- 灵宝豫金冶炼's enterprise plan, filed by the 灵宝 regulator; 陕州区's district plan and the city plan, filed;
- last spring's waste-oil leak at the alumina plant, closed; and today's dumping of oily rags (900-041-49)
  near 豫西环保, with its scheme issued to ecology and the police (each department's case opened).
"""
from datetime import timedelta

from sqlalchemy import select

from ..accounts.models import Organisation, User
from ..clock import china_today
from ..extensions import db
from ..types import utcnow
from . import incidents, services
from .models import EmergencyPlan, EmergencyResource, HazardGuidance, Incident, SensitivePlace

CITY_LOGIN = "regulator@demo.wufei.cn"
LINGBAO_LOGIN = "regulator.lingbao@demo.wufei.cn"
TONNE = 1_000_000

GUIDANCE = (
    ("T", None, "毒性废物现场处置要点", "人员佩戴防护手套、防护服和呼吸防护用品；用沙袋、吸附棉围堵，防止进入雨水管网和地表水体；"
     "收集物装入防渗容器并贴危险废物标签，交持证单位处置。"),
    ("I", None, "易燃废物现场处置要点", "设置警戒区，切断火源，禁止明火和非防爆工具；备干粉灭火器；泄漏液体用不燃吸附材料吸收。"),
    ("In", None, "感染性废物现场处置要点", "划定隔离区；人员穿戴一次性防护用品；用含氯消毒剂喷洒消毒后双层包装，交医疗废物处置单位。"),
    (None, "900-041-49", "含油抹布、包装物", "装入防渗吨袋或编织袋密封，远离火源和水体；清点数量，拍照留证，按危险废物转移联单交持证单位。"),
)
RESOURCES = (
    ("store", "陕州区环境应急物资储备库", "34.741000", "111.162000", "吸附棉2吨、围油栏200米、防渗吨袋300个、防护服100套",
     "陕州区生态环境分局", "0398-3301100"),
    ("team", "三门峡市危险废物应急处置队", "34.770000", "111.190000", "队员12人，危废转运车2辆", "韩环保", "0398-3302110"),
    ("equipment", "便携式有毒气体检测仪（4台）", "34.765000", "111.205000", "市环境监测站存放", "市环境监测站", "0398-2800110"),
)
PLACES = (
    ("school", "大营镇第一初级中学", "34.736000", "111.158000"),
    ("residential", "大营镇大营村居民区", "34.724000", "111.143000"),
    ("water_source", "陕州区大营镇集中式饮用水水源地", "34.752000", "111.132000"),
    ("hospital", "陕州区大营镇卫生院", "34.733500", "111.166000"),
)


def _text(template, prefix: str) -> dict:
    return {s["key"]: f"{prefix}：{s['title']}。（演示文本，按模板章节编写。）" for s in template.sections}


def _ensure_plan(author: User, filer: User, kind: str, title: str, org: Organisation | None, **fields) -> bool:
    if db.session.scalar(select(EmergencyPlan.id).where(EmergencyPlan.title == title)) is not None:
        return False
    plan = services.create_plan(author, kind, organisation=org, title=title, **fields)
    plan.sections = _text(plan.template, title)
    services.take_action(author, plan, "submit")
    # the form of a filing number differs by county: the demo's is code-year-sequence
    services.take_action(filer, plan, "file", filing_number=f"{plan.district_code}-{china_today().year}-{plan.id:03d}")
    return True


def _ensure_reference(city: User) -> int:
    created = services.load_templates() + services.load_event_rules()
    for hazard, code, title, text in GUIDANCE:
        if db.session.scalar(select(HazardGuidance.id).where(HazardGuidance.title == title)) is None:
            services.save_guidance(city, None, hazard=hazard, waste_code=code, title=title, text=text)
            created += 1
    for kind, name, lat, lon, details, contact, phone in RESOURCES:
        if db.session.scalar(select(EmergencyResource.id).where(EmergencyResource.name == name)) is None:
            services.register_resource(city, kind=kind, name=name, lat=lat, lon=lon, details=details,
                                       contact=contact, phone=phone)
            created += 1
    for kind, name, lat, lon in PLACES:
        if db.session.scalar(select(SensitivePlace.id).where(SensitivePlace.name == name)) is None:
            services.register_place(city, kind=kind, name=name, lat=lat, lon=lon)
            created += 1
    db.session.flush()
    return created


def _ensure_incident(city: User, title: str, **fields) -> Incident | None:
    if db.session.scalar(select(Incident.id).where(Incident.title == title)) is not None:
        return None
    incident = incidents.record_incident(city, title=title, **fields)
    incidents.draft_scheme(city, incident)
    return incident


def seed_emergency_demo(users: dict[str, User], orgs: dict[str, Organisation]) -> dict:
    city, lingbao, smelter = users[CITY_LOGIN], users[LINGBAO_LOGIN], users["smelter@demo.wufei.cn"]
    created = _ensure_reference(city)
    plans = [
        _ensure_plan(smelter, lingbao, "enterprise", "灵宝豫金冶炼有限公司突发环境事件应急预案", orgs["gold_smelter"],
                     waste_codes="321-002-48 321-032-48 900-249-08", event_types=["leak", "fire_explosion"],
                     risk_q="0.8", risk_m=20, risk_e="E2", risk_level="general",
                     valid_until=china_today() + timedelta(days=60)),
        _ensure_plan(city, city, "district", "陕州区突发环境事件应急预案", None, district_code="411203",
                     event_types=["leak", "illegal_dumping", "transport_accident", "water_pollution"],
                     response_levels=["IV"]),
        _ensure_plan(city, city, "city", "三门峡市突发环境事件应急预案", None,
                     event_types=["leak", "fire_explosion", "illegal_dumping", "transport_accident",
                                  "water_pollution"], response_levels=["III", "IV"]),
    ]
    past = _ensure_incident(
        city, "氧化铝厂废矿物油桶泄漏", event_type="leak", lat="34.718000", lon="111.465000", reporter="企业值班室电话",
        occurred_at=utcnow() - timedelta(days=200), organisation_id=orgs["alumina"].id, address="陕州区观音堂镇工业园",
        wastes=[{"waste_code": "900-249-08", "estimated_g": TONNE // 2}])
    if past is not None:
        incidents.edit_scheme(city, past, response_level="IV", instructions="围堵泄漏油品，吸附棉回收，清理污染土壤。",
                              departments=["ecology"], organisation_ids=[orgs["alumina"].id])
        incidents.issue_scheme(city, past)
        incidents.close_incident(city, past, "泄漏约0.3吨废矿物油已全部回收，污染土壤1.2吨交豫西环保处置，未进入水体。")
    today = _ensure_incident(
        city, "大营镇路边倾倒含油抹布", event_type="illegal_dumping", lat="34.732000", lon="111.160000",
        reporter="群众 12345 来电", occurred_at=utcnow() - timedelta(hours=3), address="陕州区大营镇环保产业园东侧道路",
        wastes=[{"waste_code": "900-041-49", "estimated_g": TONNE // 2}], description="路边发现约20袋含油抹布、手套。")
    if today is not None:
        incidents.edit_scheme(city, today, response_level=None,
                              instructions="1. 生态环境局封控现场、清点取证；\n2. 公安局调查倾倒来源；\n"
                                           "3. 就近交豫西环保处置（D10），办理转移联单；\n4. 排查学校、水源地一侧的渗漏。",
                              departments=["ecology", "police"], organisation_ids=[orgs["hw_facility"].id])
        incidents.issue_scheme(city, today)
    db.session.flush()
    return {"emergency_reference_created": created, "emergency_plans_created": sum(plans),
            "emergency_incidents_created": (past is not None) + (today is not None)}
