"""The marketplace's part of `wufei seed demo`: what Sanmenxia's enterprises put on the exchange.

Through the real services (validation, audit entries, matching and its notices, the search outbox):
- listings from the demo enterprises — fly ash and desulfurisation gypsum from 崤山热电 (continuous supply),
  red mud and, as hazardous waste at a gate fee, waste mineral oil from 崤函氧化铝, coal gangue and spent
  lead-acid batteries from 石河煤业, flotation tailings from 秦岭金矿;
- demand posts from the licensed facility 豫西环保 and the building-materials recycler 绿建再生建材;
- one accepted deal: 绿建 buys 200 t of the fly ash; the power plant has entered its bank account and the
  offline payment waits for 绿建's proof of transfer.

Idempotent: a listing or demand post is found again by its organisation and title, the deal by its listing
and buyer, the bank account and the payment by their organisation and deal; nothing is created twice.
Listing changes reach Meilisearch through the search outbox once the caller has committed.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from portal.accounts.models import Organisation, User
from portal.clock import china_today
from portal.extensions import db

from .deals.models import Deal
from .deals.services import accept_offer, make_offer
from .listings.models import Demand, Listing
from .listings.services import create_demand, create_listing
from .payments import services as payments


@dataclass(frozen=True)
class DemoListing:
    org: str
    login: str
    title: str
    description: str
    waste_code: str
    form: str
    quantity: str  # in unit, as typed
    price: int | None  # fen per unit; negative: the generator pays a gate fee
    unit: str = "t"
    monthly: str | None = None  # continuous supply: amount per month and duration
    duration_months: int | None = None
    quality: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DemoDemand:
    org: str
    login: str
    title: str
    description: str
    waste_codes: tuple[str, ...]
    quantity: str
    price_min: int | None
    price_max: int | None
    radius_km: int


LISTINGS = (
    DemoListing("power_plant", "powerplant@demo.wufei.cn", "崤山热电 Ⅱ级粉煤灰（长期供应）",
                "2×300 MW 机组电除尘收集的干排粉煤灰，符合 GB/T 1596-2017 Ⅱ级灰要求，适用于水泥混合材、混凝土掺合料、"
                "蒸压加气块。厂内灰库罐车装车，可提供每批次检测报告。",
                "SW02", "powder", "6000", 3_500, monthly="500", duration_months=12,
                quality={"细度（45 μm 筛余）": "≤ 25 %", "烧失量": "≤ 5 %", "含水量": "≤ 1 %", "SO₃": "≤ 3 %"}),
    DemoListing("power_plant", "powerplant@demo.wufei.cn", "湿法脱硫石膏（连续供应）",
                "石灰石—石膏湿法烟气脱硫副产，经真空皮带脱水，可用于水泥缓凝剂、纸面石膏板和石膏砌块。",
                "SW06", "powder", "3000", 1_000, monthly="250", duration_months=12,
                quality={"CaSO₄·2H₂O": "≥ 90 %", "附着水": "≤ 10 %", "Cl⁻": "≤ 0.1 %"}),
    DemoListing("alumina", "alumina@demo.wufei.cn", "拜耳法赤泥（压滤后）",
                "氧化铝生产拜耳法赤泥，经板框压滤，含水率约 30 %，pH 约 10.5。适用于路基材料、赤泥砖及有价金属回收；"
                "我方承担处置费用。",
                "SW09", "sludge", "20000", -1_500,
                quality={"Fe₂O₃": "约 28 %", "Al₂O₃": "约 18 %", "Na₂O": "约 6 %", "含水率": "约 30 %"}),
    DemoListing("alumina", "alumina@demo.wufei.cn", "废矿物油 900-249-08（设备检修废液压油、废齿轮油）",
                "设备检修更换的废液压油和废齿轮油，200 L 闭口铁桶盛装，贮存于厂内危废库。仅交有 HW08 经营许可的单位"
                "利用处置，按危险废物转移联单转移；我方支付处置费。",
                "900-249-08", "liquid", "12", -80_000,
                quality={"含水率": "≤ 5 %", "闪点": "≥ 150 ℃", "包装": "200 L 闭口铁桶，60 桶"}),
    DemoListing("coal_yima", "coal@demo.wufei.cn", "洗选煤矸石（制砖、路基用）",
                "洗煤厂排出的矸石，粒度 0–150 mm，热值约 800 kcal/kg，适合烧结砖、路基填料和矸石电厂掺烧。",
                "SW04", "solid", "50000", 1_500,
                quality={"热值": "约 800 kcal/kg", "硫分": "≤ 1.5 %", "粒度": "0–150 mm"}),
    DemoListing("coal_yima", "coal@demo.wufei.cn", "矿用电机车废铅蓄电池 900-052-31",
                "井下电机车更换的废铅蓄电池，完整未拆解、无破损漏液，防酸托盘存放。须由持 HW31 经营许可证的单位收购。",
                "900-052-31", "solid", "8", 650_000,
                quality={"类型": "矿用牵引铅酸蓄电池", "状态": "完整、未拆解"}),
    DemoListing("gold_mine", "generator@demo.wufei.cn", "金矿浮选尾矿（尾砂）",
                "浮选工艺尾砂，未经氰化，粒度 −200 目约 60 %，可用于充填、建材骨料和免烧砖。自提免费。",
                "SW05", "solid", "10000", 0,
                quality={"SiO₂": "约 65 %", "含水率": "约 12 %", "−200 目": "约 60 %"}),
)

DEMANDS = (
    DemoDemand("hw_facility", "receiver@demo.wufei.cn", "长期接收废矿物油（HW08）",
               "持危险废物经营许可证（HW08 R9/D10），常年接收废矿物油及含矿物油废物，负责转移联单和运输安排。",
               ("900-249-08", "900-214-08"), "500", None, None, 200),
    DemoDemand("recycler", "recycler@demo.wufei.cn", "收购粉煤灰、脱硫石膏、煤矸石（新型建材原料）",
               "新型墙材和水泥掺合料生产线，常年收购Ⅱ级以上粉煤灰、脱硫石膏和煤矸石，可自派罐车、自卸车提货。",
               ("SW02", "SW06", "SW04"), "20000", 0, 5_000, 100),
)

DEAL_LISTING = "崤山热电 Ⅱ级粉煤灰（长期供应）"
DEAL_BUYER, DEAL_BUYER_LOGIN = "recycler", "recycler@demo.wufei.cn"
DEAL_TERMS = {"quantity": "200", "unit": "t", "price": 3_500, "currency": "CNY", "transport_by": "buyer",
              "transport_paid_by": "buyer", "note": "首批 200 吨试用于加气块生产线，我方罐车到厂提货。"}
PAYEE_BANK = {"account_name": "三门峡崤山热电有限公司", "bank_name": "中国工商银行三门峡湖滨支行",
              "account_number": "1714020009200188886"}


def seed_marketplace_demo(users: dict[str, User], orgs: dict[str, Organisation]) -> dict:
    """Create what is missing of the marketplace's demo; returns how many exist and were created."""
    listings, created = {}, 0
    for spec in LISTINGS:
        listings[spec.title], is_new = _ensure_listing(spec, orgs[spec.org], users[spec.login])
        created += is_new
    demands_created = sum(_ensure_demand(spec, orgs[spec.org], users[spec.login]) for spec in DEMANDS)
    deal, deal_new = _ensure_deal(listings[DEAL_LISTING], orgs[DEAL_BUYER], users)
    db.session.flush()
    return {"listings": len(LISTINGS), "listings_created": created, "demand_posts": len(DEMANDS),
            "demand_posts_created": demands_created, "deals": 1, "deals_created": int(deal_new),
            "payments_awaiting_proof": int(payments.payment_for(deal).status == "pending")}


def _ensure_listing(spec: DemoListing, org: Organisation, user: User) -> tuple[Listing, bool]:
    found = db.session.scalar(select(Listing).where(Listing.organisation_id == org.id, Listing.title == spec.title))
    if found is not None:
        return found, False
    data = {"title": spec.title, "description": spec.description, "waste_code": spec.waste_code, "form": spec.form,
            "quantity": spec.quantity, "unit": spec.unit, "price": spec.price, "currency": "CNY",
            "district": org.district_code, "lat": str(org.lat), "lon": str(org.lon), "quality": spec.quality,
            "status": "published"}
    if spec.monthly:
        data.update(supply="continuous", monthly=spec.monthly, duration_months=spec.duration_months)
    return create_listing(org, data, user), True


def _ensure_demand(spec: DemoDemand, org: Organisation, user: User) -> bool:
    if db.session.scalar(select(Demand.id).where(Demand.organisation_id == org.id, Demand.title == spec.title)):
        return False
    create_demand(org, {"title": spec.title, "description": spec.description, "waste_codes": list(spec.waste_codes),
                        "quantity": spec.quantity, "unit": "t", "price_min": spec.price_min,
                        "price_max": spec.price_max, "currency": "CNY" if spec.price_min is not None else None,
                        "district": org.district_code, "lat": str(org.lat), "lon": str(org.lon),
                        "radius_km": spec.radius_km, "status": "published"}, user)
    return True


def _ensure_deal(listing: Listing, buyer: Organisation, users: dict[str, User]) -> tuple[Deal, bool]:
    """The recycler's offer on the fly ash, accepted by the power plant, and its payment waiting for proof."""
    seller_user, buyer_user = users["powerplant@demo.wufei.cn"], users[DEAL_BUYER_LOGIN]
    deal = db.session.scalar(select(Deal).where(Deal.listing_id == listing.id, Deal.buyer_org_id == buyer.id))
    is_new = deal is None
    if is_new:
        start = china_today() + timedelta(days=3)
        offer = make_offer(listing, buyer, buyer_user, {**DEAL_TERMS, "delivery_from": start.isoformat(),
                                                        "delivery_until": (start + timedelta(days=14)).isoformat()})
        deal = accept_offer(offer, seller_user, listing.organisation)
    if payments.payee_profile(listing.organisation_id) is None:
        payments.save_bank_account(seller_user, listing.organisation, **PAYEE_BANK)
    if payments.payment_for(deal) is None:
        payments.start_payment(buyer_user, deal, "offline")  # the buyer chose the bank transfer
    return deal, is_new
