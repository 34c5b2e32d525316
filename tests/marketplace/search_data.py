"""Fixed listings for the shared search suite. Ids are fixed so a Meilisearch index built once per session
stays valid while the database rows are recreated for every test."""
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from marketplace.listings.models import UNITS, Listing
from marketplace.listings.services import touch_listing
from portal.accounts.models import Organisation, OrgStatus
from portal.extensions import db
from portal.regulatory.catalogue import lookup_waste_code
from tests.factories import make_uscc

ORG_ID = 9001
BASE_ID = 9100
T0 = datetime(2025, 1, 1, tzinfo=UTC)

# key: (title, description, code or stream, form, quantity, unit, price_fen per unit, district, lat, lon, status)
LISTINGS = {
    "oil1": ("废矿物油 20吨 出售", "汽车维修厂产生的废润滑油，桶装", "900-214-08", "liquid", 20, "t", 150000,
             "411202", "34.772000", "111.200000", "published"),
    "oil2": ("含油废抹布及包装桶", "沾染矿物油的废弃包装物", "900-041-49", "solid", 2, "t", -80000,
             "411203", "34.720000", "111.100000", "published"),
    "battery1": ("废铅蓄电池 回收料", "汽车启动用蓄电池，已拆除外壳", "900-052-31", "solid", 35, "t", 600000,
                 "411281", "34.747000", "111.869000", "published"),
    "battery2": ("报废蓄电池外壳塑料", "破碎后的聚丙烯塑料", "SW17", "solid", 5, "t", 120000,
                 "411221", "34.767000", "111.762000", "published"),
    "flyash_inc": ("生活垃圾焚烧飞灰", "螯合稳定化处理前", "772-002-18", "powder", 100, "t", -120000,
                   "411282", "34.521000", "110.894000", "published"),
    "flyash_coal": ("电厂粉煤灰 二级灰", "燃煤电厂除尘收集，可用于水泥掺合料", "SW02", "powder", 5000, "t", 3000,
                    "411203", "34.701000", "111.150000", "published"),
    "redmud": ("氧化铝厂赤泥", "拜耳法工艺，含水率35%", "SW09", "sludge", 20000, "t", -1500,
               "411221", "34.800000", "111.750000", "published"),
    "gypsum": ("脱硫石膏 长期供应", "电厂湿法脱硫副产品", "SW06", "powder", 3000, "t", 1000,
               "411202", "34.790000", "111.180000", "published"),
    "slag": ("钢厂冶炼废渣", "转炉钢渣，粒度均匀", "SW01", "solid", 800, "t", 2500,
             "411281", "34.740000", "111.880000", "published"),
    "cinder": ("锅炉炉渣", "燃煤锅炉排渣", "SW03", "solid", 400, "t", None,
               "411224", "34.054000", "111.048000", "published"),
    "gangue": ("煤矸石 大量", "洗煤厂排出", "SW04", "solid", 10000, "t", 500,
               "411281", "34.760000", "111.890000", "published"),
    "tailings": ("金矿尾矿砂", "可用作建材原料", "SW05", "solid", 50000, "t", 0,
                 "411282", "34.530000", "110.870000", "published"),
    "construction": ("拆迁建筑垃圾", "混凝土块和砖瓦", "construction", "solid", 2000, "t", -500,
                     "411202", "34.775000", "111.210000", "published"),
    "straw": ("玉米秸秆", "打捆，可作饲料或燃料", "agricultural", "solid", 300, "t", 20000,
              "411224", "34.060000", "111.030000", "published"),
    "catalyst": ("加氢废催化剂", "含镍钼，桶装", "251-016-50", "solid", 5000, "kg", 500,
                 "411203", "34.710000", "111.120000", "published"),
    "plastic": ("废塑料 PE 膜", "农膜回收清洗后", "SW17", "solid", 10, "t", 150000,
                "411202", "34.765000", "111.195000", "published"),
    "sludge": ("污水处理厂污泥", "工业废水处理", "SW07", "sludge", 1000, "t", -20000,
               "411203", "34.730000", "111.150000", "published"),
    "acid": ("酸洗废酸液", "钢材酸洗", "900-300-34", "liquid", 30, "t", 10000,
             "411281", "34.750000", "111.860000", "published"),
    "paused": ("暂停的废矿物油", "暂时不卖", "900-214-08", "liquid", 10, "t", 100000,
               "411202", "34.771000", "111.201000", "paused"),
    "draft": ("草稿 粉煤灰", "尚未发布", "SW02", "powder", 100, "t", 1000,
              "411203", "34.702000", "111.151000", "draft"),
}
KEYS = list(LISTINGS)
ID = {key: BASE_ID + i for i, key in enumerate(KEYS)}
KEY = {v: k for k, v in ID.items()}
PUBLISHED = [k for k, v in LISTINGS.items() if v[-1] == "published"]
HAZARDOUS = ["oil1", "oil2", "battery1", "flyash_inc", "catalyst", "acid"]


def create_search_data() -> None:
    """Insert the organisation and the listings with their fixed ids, and commit."""
    org = Organisation(id=ORG_ID, uscc=make_uscc(ORG_ID), name="三门峡测试再生资源有限公司", address="三门峡市湖滨区",
                       district_code="411202", contact_name="张三", contact_phone="0398-1234567",
                       status=OrgStatus.VERIFIED, is_generator=True)
    db.session.add(org)
    db.session.flush()
    for i, (key, row) in enumerate(LISTINGS.items()):
        title, description, code, form, quantity, unit, price, district, lat, lon, status = row
        entry = lookup_waste_code(code) if code not in ("construction", "agricultural") else None
        listing = Listing(
            id=ID[key], organisation_id=ORG_ID, title=title, description=description,
            waste_code_id=entry.id if entry else None, waste_code=entry.code if entry else None,
            catalogue_entry=entry, category_code=entry.category.code if entry else None,
            stream=("hazardous" if entry.hazardous else "industrial") if entry else code,
            hazardous=bool(entry and entry.hazardous), form=form, quantity_g=quantity * UNITS[unit], reserved_g=0,
            unit=unit, supply="one_off", district_code=district, lat=Decimal(lat), lon=Decimal(lon),
            price_fen=price, price_unit=unit, currency="CNY", status=status,
            published_at=T0 + timedelta(days=i) if status != "draft" else None, created_at=T0 + timedelta(days=i))
        db.session.add(listing)
        db.session.flush()
        touch_listing(listing)
    db.session.commit()
