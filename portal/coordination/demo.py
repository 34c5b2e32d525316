"""Cases for `wufei seed demo`: the duty matrix across the seven departments, the bundled time limits, the
officers of the 城市管理局 who lead illegal dumping, and 12345 orders walked to every state of the loop through
the services (one returned, one supervised, one closed with the caller's rating).

The orders are invented (order numbers SMX-DEMO-…); a second run finds them by number and adds nothing.
Registered before the public reports' seeder, so that the demo reports open cases the matrix dispatches."""
import io
from datetime import timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from ..accounts.models import Department, Regulator, User
from ..demo import DemoUser, _upsert_user
from ..extensions import db
from ..types import utcnow
from . import meetings, services
from .models import DutyRule, Meeting

ADMIN = "admin@demo.wufei.cn"
LINGBAO, HUBIN, LUSHI = "411282", "411202", "411224"
OFFICERS = (
    DemoUser("urban.lingbao@demo.wufei.cn", "王建国（灵宝市城市管理局局长）", regulator=(Department.URBAN, LINGBAO)),
    DemoUser("urban.officer@demo.wufei.cn", "陈晓（灵宝市城市管理局执法队）", regulator=(Department.URBAN, LINGBAO)),
    DemoUser("urban@demo.wufei.cn", "吴刚（市城市管理局）", regulator=(Department.URBAN, "411200")),
)
HEADS = ("urban.lingbao@demo.wufei.cn",)

U, E, H, A, W, T, P = (Department.URBAN, Department.ECOLOGY, Department.HOUSING, Department.AGRICULTURE,
                       Department.HEALTH, Department.TRANSPORT, Department.POLICE)
# (case type, district or None for every district, lead, co-handlers)
MATRIX = (
    ("illegal_dumping", None, U, (H, E)),
    ("illegal_dumping", LINGBAO, U, (E, P)),
    ("open_burning", None, E, (U, A)),
    ("open_burning", LUSHI, A, (E,)),  # straw burning in the mountain county: agriculture leads
    ("industrial_waste", None, E, (U,)),
    ("hazardous_waste", None, E, (P, T)),
    ("monitoring_alert", None, E, ()),
    ("inspection", None, E, (W,)),
    ("hotline", None, U, (H,)),
    ("emergency", None, E, (W, P, T)),
    ("meeting_task", None, E, ()),
    ("other", None, U, ()),
)
OFFICER, HEAD = "urban.officer@demo.wufei.cn", "urban.lingbao@demo.wufei.cn"
# (order number, title, description, district, urgency, the steps: (actor e-mail, action, values))
SUPERVISED = "SMX-DEMO-0008"
ORDERS = (
    ("SMX-DEMO-0001", "函谷关镇路口新倒建筑垃圾", "来电人反映函谷关镇物流园路口昨夜被倒了两车建筑垃圾，占了半幅路面。",
     LINGBAO, "ordinary", ()),
    ("SMX-DEMO-0002", "尹庄镇沟渠堆放生活垃圾", "来电人反映尹庄镇某村东沟渠内堆放大量生活垃圾，夏季异味明显。",
     LINGBAO, "ordinary", ((HEAD, "assign", {"assignee": OFFICER}),)),
    ("SMX-DEMO-0003", "城区工地夜间偷倒渣土", "来电人反映灵宝市城区某工地渣土车夜间将渣土倒在城郊空地。",
     LINGBAO, "ordinary", ((HEAD, "assign", {"assignee": OFFICER}),
                           (OFFICER, "reply", {"note": "已查明渣土来源工地，责令清运并立案处罚，现场已清理。"}))),
    ("SMX-DEMO-0004", "河滩倾倒装修垃圾", "来电人反映弘农涧河河滩有人倾倒装修垃圾。",
     LINGBAO, "ordinary", ((HEAD, "assign", {"assignee": OFFICER}),
                           (OFFICER, "reply", {"note": "装修垃圾已清运至建筑垃圾消纳场。", "photo": True}),
                           (OFFICER, "close", {}))),
    ("SMX-DEMO-0005", "高速出口旁堆放废弃轮胎", "来电人反映连霍高速灵宝西出口旁空地堆放大量废弃轮胎。",
     LINGBAO, "ordinary", ((HEAD, "assign", {"assignee": OFFICER}),
                           (OFFICER, "reply", {"note": "废旧轮胎已由再生资源回收企业拉走利用。"}),
                           (OFFICER, "close", {}),
                           (ADMIN, "visit", {"note": "已电话回访来电人，来电人确认已清理，待其评价。"}))),
    ("SMX-DEMO-0006", "小区门口建筑垃圾长期未清", "来电人反映某小区门口装修垃圾堆放半月无人清理。",
     LINGBAO, "ordinary", ((HEAD, "assign", {"assignee": OFFICER}),
                           (OFFICER, "reply", {"note": "已督促物业设置装修垃圾临时堆放点并清运。"}),
                           (OFFICER, "close", {}),
                           (ADMIN, "rate", {"rating": 5, "note": "来电人表示满意，处理及时。"}))),
    ("SMX-DEMO-0007", "工业园区企业外排污水", "来电人反映工业园区有企业夜间向雨水管道排放污水。",
     LINGBAO, "ordinary", ((HEAD, "return", {"note": "涉及水污染排放，属于生态环境部门职责，请重新派单。"}),)),
    ("SMX-DEMO-0008", "铁路桥下堆放大量垃圾", "来电人反映陇海铁路桥下长期堆放垃圾，多次反映未解决。",
     LINGBAO, "ordinary", ((ADMIN, "supervise", {"note": "该问题已被多次反映，请加快办理并于限期内反馈（督办）。"}),)),
    ("SMX-DEMO-0009", "咨询家庭装修垃圾如何处理", "来电人咨询装修垃圾应当送往何处。",
     HUBIN, "ordinary", ((ADMIN, "reject", {"note": "属于政策咨询，热线已直接答复来电人，不需部门办理。"}),)),
)


def seed_demo_cases(users: dict, _orgs: dict) -> dict:
    """The matrix, the time limits, the officers and the walked orders that do not exist yet."""
    admin = users[ADMIN]
    services.load_default_time_limits()
    for case_type, district, lead, co in MATRIX:
        if _duty_missing(case_type, district):
            services.set_duty(admin, case_type, district, lead.value, [d.value for d in co])
    people = {ADMIN: admin}
    for spec in OFFICERS:
        people[spec.email], _new = _upsert_user(spec)
    db.session.flush()
    for email in HEADS:
        db.session.scalars(select(Regulator).where(Regulator.user_id == people[email].id)).one().is_head = True
    created = sum(_walk(order, people) for order in ORDERS)
    db.session.flush()
    _meeting(people)
    return {"cases": len(ORDERS), "cases_created": created}


def _meeting(people: dict[str, User]) -> None:
    """A coordination meeting on the supervised case, two days ahead, with the departments it concerns."""
    case = services.existing_case("hotline", SUPERVISED)
    if db.session.scalar(select(Meeting.id).where(Meeting.case_id == case.id)) is not None:
        return
    invited = [people[HEAD].id, people[OFFICER].id] + [
        u.id for u in services.department_users(Department.ECOLOGY, case.district_code)]
    meetings.schedule_meeting(people[ADMIN], title="铁路桥下垃圾长期堆放问题协调会",
                              starts_at=utcnow() + timedelta(days=2), place="灵宝市城市管理局三楼会议室",
                              agenda="一、通报群众多次反映情况；二、明确铁路、城管、生态环境部门职责分工；三、确定清运时限。",
                              participant_ids=invited, case=case)


def _photo_of_cleared_ground(number: str) -> FileStorage:
    """A drawn photo of the cleared place (the same on every run), sent like an upload."""
    image = Image.new("RGB", (640, 480), (168, 196, 222))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 200, 640, 480), fill=(150, 135, 105))
    for x in range(0, 640, 40):  # fresh grass on levelled ground
        draw.line((x + 10, 400, x + 14, 380), fill=(90, 140, 70), width=3)
    out = io.BytesIO()
    image.save(out, "PNG")
    out.seek(0)
    return FileStorage(out, filename=f"{number}-现场.png", content_type="image/png")


def _duty_missing(case_type: str, district: str | None) -> bool:
    query = select(DutyRule.id).where(DutyRule.case_type == case_type)
    query = query.where(DutyRule.district_code.is_(None) if district is None else DutyRule.district_code == district)
    return db.session.scalar(query) is None


def _walk(order: tuple, people: dict[str, User]) -> bool:
    number, title, description, district, urgency, steps = order
    if services.existing_case("hotline", number) is not None:
        return False
    case, _created = services.open_hotline_order(people[ADMIN], {
        "order_number": number, "title": title, "description": description, "district_code": district,
        "urgency": urgency})
    for email, action, values in steps:
        values = dict(values)
        if "assignee" in values:
            values["assignee_id"] = people[values.pop("assignee")].id
        if values.pop("photo", False):
            values["files"] = [_photo_of_cleared_ground(number)]
        services.apply_action(case, action, people[email], **values)
    return True
