"""Demo data for `wufei seed demo`: Sanmenxia enterprises in their real industries and districts, and one
user for every role, with stable logins that the README, scripts and tests use.

The enterprises are invented: their names are realistic, but their 统一社会信用代码 carry the marker "WF"
where the organisation code starts, so that no demo code can be a real registered company's. Industry codes
follow GB/T 4754-2017. Coordinates are WGS-84 and lie inside the enterprise's district.

Idempotent: organisations are matched by USCC, users by e-mail, and brought back to their demo values;
a second run adds no row. The caller commits.
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from sqlalchemy import select

from . import audit
from .accounts import services as accounts
from .accounts.models import Department, Membership, Organisation, OrgStatus, Regulator, Role, User
from .accounts.uscc import check_character
from .extensions import db
from .jurisdiction import jurisdiction_code
from .types import utcnow

DEMO_PASSWORD = "demo12345"
# Shared by every demo regulator and admin, so that one authenticator entry (or a script using pyotp)
# produces their second factor. Demo data only: never use a published secret on a real account.
DEMO_TOTP_SECRET = "WUFEIDEMOSANMENXIAZEROWASTECITY2"
REJECTION_REASON = "营业执照上的注册地址与填写的地址不一致，请核对营业执照后修改地址并重新提交。"


def demo_uscc(district: str, number: int) -> str:
    """A valid 统一社会信用代码 (企业, registered by 市场监管) that cannot collide with a real one."""
    body = f"91{district}WF{number:07d}"
    return body + check_character(body)


@dataclass(frozen=True)
class DemoOrg:
    key: str
    number: int
    name: str
    industry: str
    address: str
    district: str
    lat: str
    lon: str
    contact_name: str
    contact_phone: str
    capabilities: tuple[str, ...]
    status: OrgStatus = OrgStatus.VERIFIED
    rejection_reason: str | None = None

    @property
    def uscc(self) -> str:
        return demo_uscc(self.district, self.number)


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    admin: bool = False
    regulator: tuple[Department, str] | None = None  # department, jurisdiction
    memberships: tuple[tuple[str, Role], ...] = field(default_factory=tuple)  # (org key, role)

    @property
    def needs_totp(self) -> bool:
        return self.admin or self.regulator is not None


GEN, TRANS, COLL, RECV = "is_generator", "is_transporter", "is_collector", "is_receiver"

ORGANISATIONS = (
    DemoOrg("gold_mine", 1, "灵宝秦岭金矿有限公司", "金矿采选（0921）：氰化尾渣、尾矿",
            "河南省三门峡市灵宝市阳平镇秦岭矿区", "411282", "34.405000", "110.650000", "赵金山",
            "0398-8861201", (GEN,)),
    DemoOrg("gold_smelter", 2, "灵宝豫金冶炼有限公司", "金冶炼（3211）：冶炼废渣、含砷烟尘、废酸",
            "河南省三门峡市灵宝市城关镇函谷路西段", "411282", "34.515000", "110.870000", "孙冶华",
            "0398-8862302", (GEN,)),
    DemoOrg("alumina", 3, "三门峡崤函氧化铝有限公司", "铝冶炼·氧化铝（3216）：赤泥、废矿物油",
            "河南省三门峡市陕州区观音堂镇工业园", "411203", "34.718000", "111.465000", "周铝生",
            "0398-3301403", (GEN,)),
    DemoOrg("coal_yima", 4, "义马市石河煤业有限公司", "烟煤和无烟煤开采洗选（0610）：煤矸石、矿井水污泥",
            "河南省三门峡市义马市东区街道石河路", "411281", "34.742000", "111.875000", "钱煤林",
            "0398-5801504", (GEN,)),
    DemoOrg("coal_mianchi", 5, "渑池县仰韶煤业有限公司", "烟煤和无烟煤开采洗选（0610）：煤矸石",
            "河南省三门峡市渑池县英豪镇仰韶工业区", "411221", "34.790000", "111.680000", "吴仰韶",
            "0398-4811605", (GEN,)),
    DemoOrg("power_plant", 6, "三门峡崤山热电有限公司", "热电联产（4412）：粉煤灰、脱硫石膏、废脱硝催化剂",
            "河南省三门峡市湖滨区高庙乡电厂路1号", "411202", "34.765000", "111.240000", "郑电明",
            "0398-2901706", (GEN,)),
    DemoOrg("hospital_central", 7, "三门峡崤山路医院", "综合医院（8411）：医疗废物",
            "河南省三门峡市湖滨区崤山路中段", "411202", "34.776000", "111.195000", "冯医生",
            "0398-2802807", (GEN,)),
    DemoOrg("hospital_tcm", 8, "三门峡湖滨中医医院", "中医医院（8412）：医疗废物、废显影液",
            "河南省三门峡市湖滨区和平路东段", "411202", "34.780000", "111.205000", "陈中和",
            "0398-2803908", (GEN,)),
    DemoOrg("hospital_lushi", 9, "卢氏县洛河医院", "综合医院（8411）：医疗废物",
            "河南省三门峡市卢氏县城关镇洛河路", "411224", "34.056000", "111.047000", "卫洛河",
            "0398-7201009", (GEN,)),
    DemoOrg("hw_facility", 10, "三门峡豫西环保科技有限公司", "危险废物治理（7724）：持危险废物经营许可证，收集、贮存、利用、处置",
            "河南省三门峡市陕州区大营镇环保产业园", "411203", "34.730000", "111.150000", "韩环保",
            "0398-3302110", (COLL, RECV)),
    DemoOrg("hw_transport", 11, "三门峡安达危险货物运输有限公司", "危险货物道路运输（5435）",
            "河南省三门峡市湖滨区车站街道货运路", "411202", "34.770000", "111.175000", "杨安达",
            "0398-2804211", (TRANS,)),
    DemoOrg("bulk_transport", 12, "灵宝市金通物流有限公司", "普通货物道路运输（5431）：尾矿、煤矸石、粉煤灰",
            "河南省三门峡市灵宝市函谷关镇物流园", "411282", "34.530000", "110.895000", "朱金通",
            "0398-8863312", (TRANS,)),
    DemoOrg("recycler", 13, "三门峡绿建再生建材有限公司", "非金属废料和碎屑加工处理（4220）：粉煤灰、脱硫石膏、煤矸石、赤泥制建材",
            "河南省三门峡市陕州区原店镇建材园", "411203", "34.700000", "111.120000", "秦绿建",
            "0398-3303413", (COLL, RECV)),
    DemoOrg("pending_molybdenum", 14, "灵宝市朱阳钼业有限公司", "钼矿采选（0932）：尾矿",
            "河南省三门峡市灵宝市朱阳镇", "411282", "34.330000", "110.840000", "许钼",
            "0398-8864414", (GEN,), status=OrgStatus.PENDING),
    DemoOrg("returned_chemical", 15, "义马市义安新材料有限公司", "有机化学原料制造（2614）：精馏残渣、废催化剂",
            "河南省三门峡市义马市新区化工园", "411281", "34.755000", "111.915000", "何义安",
            "0398-5802515", (GEN,), status=OrgStatus.REJECTED, rejection_reason=REJECTION_REASON),
    # a receiver in another province (陕西省渭南市): the cross-province transfer of the demo goes there
    DemoOrg("weinan_receiver", 16, "渭南秦东环保科技有限公司", "危险废物治理（7724）：有色冶炼废物综合利用",
            "陕西省渭南市临渭区双王街道环保产业园", "610502", "34.520000", "109.530000", "梁秦东",
            "0913-2101616", (COLL, RECV)),
)

USERS = (
    DemoUser("admin@demo.wufei.cn", "平台管理员（演示）", admin=True),
    DemoUser("regulator@demo.wufei.cn", "张明（市生态环境局）", regulator=(Department.ECOLOGY, jurisdiction_code())),
    DemoUser("regulator.lingbao@demo.wufei.cn", "李静（灵宝市生态环境分局）",
             regulator=(Department.ECOLOGY, "411282")),
    # a regulator of a destination outside the city: reads the transfers arriving in 渭南市, nothing else
    DemoUser("regulator.weinan@demo.wufei.cn", "高远（渭南市生态环境局）", regulator=(Department.ECOLOGY, "610500")),
    DemoUser("generator@demo.wufei.cn", "赵金山", memberships=(("gold_mine", Role.ADMIN),)),
    DemoUser("smelter@demo.wufei.cn", "孙冶华", memberships=(("gold_smelter", Role.ADMIN),)),
    DemoUser("receiver@demo.wufei.cn", "韩环保", memberships=(("hw_facility", Role.ADMIN),)),
    # the marketplace's sellers and buyer (marketplace/demo.py)
    DemoUser("powerplant@demo.wufei.cn", "郑电明", memberships=(("power_plant", Role.ADMIN),)),
    DemoUser("alumina@demo.wufei.cn", "周铝生", memberships=(("alumina", Role.ADMIN),)),
    DemoUser("coal@demo.wufei.cn", "钱煤林", memberships=(("coal_yima", Role.ADMIN),)),
    DemoUser("recycler@demo.wufei.cn", "秦绿建", memberships=(("recycler", Role.ADMIN),)),
    DemoUser("transporter@demo.wufei.cn", "杨安达", memberships=(("hw_transport", Role.ADMIN),)),
    DemoUser("driver@demo.wufei.cn", "刘师傅", memberships=(("hw_transport", Role.DRIVER),)),
    DemoUser("applicant@demo.wufei.cn", "许钼", memberships=(("pending_molybdenum", Role.ADMIN),)),
    DemoUser("returned@demo.wufei.cn", "何义安", memberships=(("returned_chemical", Role.ADMIN),)),
)
REVIEWER = "regulator@demo.wufei.cn"

# Areas outside portal add their demo content here (participation.init_app appends its seeder), so that
# portal never imports them. A seeder gets the demo users by e-mail and the organisations by key, creates
# what is missing through its services, and returns counts to print; it must add nothing on a second run.
DEMO_SEEDERS: list[Callable[[dict[str, User], dict[str, Organisation]], dict]] = []


def seed_demo() -> dict:
    """Create or restore the demo users and organisations, then the demo story of the regulatory core and of
    the registered areas; returns what exists and what was created."""
    from .command.statistics.aggregate import refresh as refresh_statistics
    from .emergency.demo import seed_emergency_demo
    from .regulatory.demo import seed_regulatory_demo
    from .regulatory.transfers.demo import seed_transfers_demo

    created = {"users": 0, "organisations": 0}
    users = {}
    for spec in USERS:
        users[spec.email], is_new = _upsert_user(spec)
        created["users"] += is_new
    orgs = {}
    for spec in ORGANISATIONS:
        orgs[spec.key], is_new = _upsert_org(spec, users[REVIEWER])
        created["organisations"] += is_new
    for spec in USERS:
        for org_key, role in spec.memberships:
            _ensure_membership(users[spec.email], orgs[org_key], role)
    db.session.flush()
    summary = {"organisations": len(orgs), "organisations_created": created["organisations"],
               "users": len(users), "users_created": created["users"],
               "regulators": sum(1 for s in USERS if s.regulator)}
    summary.update(seed_regulatory_demo(users, orgs))
    summary.update(seed_transfers_demo(users, orgs))
    summary.update(seed_emergency_demo(users, orgs))
    for seeder in DEMO_SEEDERS:
        summary.update(seeder(users, orgs))
    refresh_statistics()  # last: the city's figures are derived from all of the demo's events
    return summary


@cache
def _demo_password_hash() -> str:
    """One (salted) hash shared by the demo users: hashing is deliberately slow, the password the same."""
    return accounts.hash_password(DEMO_PASSWORD)


def _upsert_user(spec: DemoUser) -> tuple[User, bool]:
    user = accounts.find_user(spec.email)
    is_new = user is None
    if is_new:
        user = User(email=spec.email, name=spec.name, password_hash=_demo_password_hash())
        db.session.add(user)
    elif user.password_hash != _demo_password_hash() and not accounts.check_password(user, DEMO_PASSWORD):
        user.password_hash = _demo_password_hash()
    # the stable logins must work after every run, whatever happened to the accounts meanwhile
    user.name, user.active, user.is_platform_admin = spec.name, True, spec.admin
    user.failed_logins, user.locked_until = 0, None
    if spec.needs_totp:
        user.totp_secret, user.totp_enabled = DEMO_TOTP_SECRET, True
    if spec.regulator:
        _ensure_regulator(user, *spec.regulator)
    if is_new:
        audit.record("user.created", user, after={"email": spec.email, "name": spec.name})
    return user, is_new


def _ensure_regulator(user: User, department: Department, jurisdiction: str) -> None:
    regulator = user.regulator
    if regulator is None:
        regulator = Regulator(user=user)
        db.session.add(regulator)
    regulator.department, regulator.jurisdiction_code = department, jurisdiction


def _upsert_org(spec: DemoOrg, reviewer: User) -> tuple[Organisation, bool]:
    org = db.session.scalar(select(Organisation).where(Organisation.uscc == spec.uscc))
    is_new = org is None
    if is_new:
        org = Organisation(uscc=spec.uscc, status=OrgStatus.PENDING)
        db.session.add(org)
    org.name, org.industry, org.address, org.district_code = spec.name, spec.industry, spec.address, spec.district
    org.lat, org.lon = Decimal(spec.lat), Decimal(spec.lon)
    org.contact_name, org.contact_phone = spec.contact_name, spec.contact_phone
    for capability in Organisation.CAPABILITIES:
        setattr(org, capability, capability in spec.capabilities)
    if is_new:
        audit.record("organisation.registered", org, after=audit.snapshot(org, accounts.ORG_FIELDS))
    # A regulator working through the demo queue may verify or return the pending ones; only the
    # enterprises that the demo logins act for are put back to verified.
    if is_new or (spec.status == OrgStatus.VERIFIED and org.status != OrgStatus.VERIFIED):
        _review(org, spec, reviewer)
    return org, is_new


def _review(org: Organisation, spec: DemoOrg, reviewer: User) -> None:
    if spec.status == OrgStatus.PENDING:
        return
    before = audit.snapshot(org, ("status", "rejection_reason"))
    org.status, org.rejection_reason = spec.status, spec.rejection_reason
    org.reviewed_at, org.reviewed_by_id = utcnow(), reviewer.id
    action = "organisation.verified" if spec.status == OrgStatus.VERIFIED else "organisation.rejected"
    audit.record(action, org, before=before, after=audit.snapshot(org, ("status", "rejection_reason")),
                 actor=reviewer, organisation_id=org.id)


def _ensure_membership(user: User, org: Organisation, role: Role) -> None:
    member = next((m for m in user.memberships if m.organisation_id == org.id), None)
    if member is None:
        db.session.add(Membership(user=user, organisation=org, role=role))
    elif member.role != role:
        member.role = role
