"""Public reports for `wufei seed demo`: five citizens' reports of illegal dumping in five districts, each at
another point of its lifecycle, filed and handled through the reports services (routing, deadlines,
timeline, audit and photo re-encoding are the real ones).

The photos are drawn with Pillow — a scene of the dump, and for the resolved report the cleared place —
and go through clean_photo() like any upload. A report is found again by its description, so a second
run files nothing.
"""
import io
import random
from dataclasses import dataclass
from decimal import Decimal

from PIL import Image, ImageDraw
from sqlalchemy import select

from portal.extensions import db

from .reports import services
from .reports.models import Moderation, Report
from .reports.photos import CleanPhoto, clean_photo

HANDLER = "regulator@demo.wufei.cn"  # 生态环境局, whole city: the department the ecology categories go to
SIZE = (960, 720)


@dataclass(frozen=True)
class DemoReport:
    category: str
    description: str
    lat: str
    lon: str
    address: str
    # the handler's steps in order: (action, public note); 'resolve' attaches a photo of the cleared place
    steps: tuple[tuple[str, str | None], ...] = ()
    # cleared for the public map by the handler; the new report (and the one routed to 城管局, which has no
    # demo login) still wait for moderation
    publish: bool = True


REPORTS = (
    DemoReport("hazardous", "国道边的排水沟里扔了十几个废机油桶，有的桶口在漏油，沟底发黑，气味刺鼻。",
               "34.778000", "111.742000", "渑池县英豪镇 G310 国道北侧排水沟",
               steps=(("accept", "已受理，执法人员将于两个工作日内到现场核查。"),)),
    DemoReport("industrial", "河滩上被倒了三四车煤矸石，堆在河道里，下雨时黑水往河里流。",
               "34.733000", "111.862000", "义马市东区街道涧河河滩（石河路桥下游）",
               steps=(("accept", None), ("start", "已查明倾倒车辆所属单位，责令限期清运。"),
                      ("resolve", "倾倒单位已将煤矸石全部清运至其矸石场，河滩已平整，并依法处以罚款。"))),
    DemoReport("burning", "晚上有人在空地上露天焚烧电缆皮，黑烟很大，整条街都是焦糊味。",
               "34.521000", "110.889000", "灵宝市函谷关镇物流园南侧空地", publish=False),
    DemoReport("industrial", "工厂围墙外堆着一大片红色的渣土，怀疑是赤泥被偷偷倒在外面。",
               "34.708000", "111.130000", "陕州区原店镇建材园西门外",
               steps=(("reject", "经现场核查，该处为建材企业备案的原料露天堆场（已苫盖），不属于非法倾倒。"),)),
    DemoReport("household", "小区后面的空地上堆满了生活垃圾和旧家具，已经一个多星期没人清理。",
               "34.779000", "111.201000", "湖滨区湖滨街道和平路东段某小区北侧空地", publish=False),
)


def seed_demo_reports(users: dict, orgs: dict) -> dict:
    """File and handle the demo reports that do not exist yet; returns how many exist and were created."""
    created = 0
    for number, spec in enumerate(REPORTS):
        if db.session.scalar(select(Report.id).where(Report.description == spec.description)) is None:
            _file(spec, number, users[HANDLER])
            created += 1
    db.session.flush()
    return {"reports": len(REPORTS), "reports_created": created}


def _file(spec: DemoReport, number: int, handler) -> Report:
    report, _secret = services.submit_report(services.NewReport(
        category=spec.category, description=spec.description, lat=Decimal(spec.lat), lon=Decimal(spec.lon),
        address=spec.address, photos=[demo_photo(spec.category, number, cleared=False)]))
    db.session.flush()
    for action, note in spec.steps:
        photo = demo_photo(spec.category, number, cleared=True) if action == "resolve" else None
        services.apply_action(report, action, "staff", user=handler, note=note, photo=photo)
    if spec.publish:
        services.moderate_report(report, handler, Moderation.PUBLIC)
    return report


# --- photos --------------------------------------------------------------------------------------

PILES = {  # the colours of what was dumped
    "hazardous": ((40, 60, 120), (25, 25, 25)),
    "industrial": ((45, 45, 48), (150, 60, 40)),
    "burning": ((90, 90, 90), (230, 120, 30)),
    "household": ((200, 200, 190), (110, 80, 50)),
    "construction": ((170, 160, 150), (120, 110, 100)),
}


def demo_photo(category: str, number: int, *, cleared: bool) -> CleanPhoto:
    """A drawn scene (the same on every run), re-encoded as an upload would be."""
    rng = random.Random(f"{number}:{category}:{cleared}")
    image = Image.new("RGB", SIZE, (168, 196, 222))
    draw = ImageDraw.Draw(image)
    horizon = SIZE[1] * 5 // 12
    draw.rectangle((0, horizon, SIZE[0], SIZE[1]), fill=(150, 135, 105))
    for x in range(0, SIZE[0], 120):  # a row of trees on the horizon
        height = rng.randint(40, 90)
        draw.ellipse((x, horizon - height, x + 100, horizon + 10), fill=(70, 110, 60))
    if cleared:
        for _ in range(60):  # bare, levelled ground with a little fresh grass
            x, y = rng.randint(0, SIZE[0]), rng.randint(horizon + 20, SIZE[1])
            draw.line((x, y, x + rng.randint(-6, 6), y - rng.randint(8, 18)), fill=(90, 140, 70), width=3)
    else:
        first, second = PILES.get(category, PILES["household"])
        for _ in range(18):
            x, y = rng.randint(180, SIZE[0] - 260), rng.randint(horizon + 60, SIZE[1] - 140)
            w, h = rng.randint(60, 160), rng.randint(40, 110)
            draw.ellipse((x, y, x + w, y + h), fill=rng.choice((first, second)))
        if category == "burning":
            draw.polygon([(420, 330), (470, 120), (520, 250), (560, 90), (600, 330)], fill=(90, 90, 95))
    out = io.BytesIO()
    image.save(out, "PNG")
    out.seek(0)
    return clean_photo(out)
