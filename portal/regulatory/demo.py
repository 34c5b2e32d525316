"""The regulatory core's part of `wufei seed demo`: one gold smelter's hazardous waste from cradle to grave.

Everything is created through the services a user's clicks reach — sites, facilities, the licence (recorded
by the city regulator), batches with their HJ 1276 container codes, storage, labels, two manifests signed
step by step by their parties, a declaration — so every rule, audit entry and ledger event is the real one.

The story, dated from ANCHOR (1 October 2026) so that it reads the same whenever it is seeded:
- 灵宝豫金冶炼 generated 5.0 t of copper-smelting flue dust (321-002-48) on 10 September and stored it; the
  manifest for it is taken all the way: submitted, picked up, handed over between two of 安达's vehicles,
  delivered, received with 4.6 t of 5.0 t (the weight-mismatch alert), and utilised (R4) by 豫西环保;
- 0.8 t of waste mineral oil (900-249-08) from 24 September is on the road under a second manifest;
- 1.2 t of arsenic residue (321-032-48) has been in storage since August 2025 (the storage alert, raised by
  `wufei alerts scan`);
- the smelter's September declaration waits as a draft;
- the storage clock and capacities (seed_storage_clock_and_capacity): used rags merged from an old and a new
  batch keep the old batch's year and were never put into storage (the scan raises the over-year alert); a
  2 m³ waste-oil tank holds batches with a recorded volume; a 1 t drum cabinet filled to 95 % raised the 90 %
  alert at intake; 0.6 t of waste oil received by 豫西环保 sits in its own store with a clock from receipt.
- the dust's 4.6 t is the net weight 豫西环保's weighbridge sent for the truck at its gate (the device API);
- 0.6 t of oily rags in three bags (900-041-49) is handed over at the relay depot with one bag's label
  unreadable: the exception is recorded and alerted to the regulators of both ends.
Manifest steps carry the time they are signed (the state machine stamps them), so the two manifests are
dated on the day of seeding, after the batches and their storage.

Idempotent: every object is found again by a stable marker (a site's name, a licence's number, a batch's
first container code, the manifests on a batch, a declaration's period) and nothing is created twice.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from ..accounts.models import Organisation, User
from ..clock import CHINA, china_today
from ..extensions import db
from .batches import services as batches
from .batches.models import Batch, Site, StorageFacility
from .declarations import services as declarations
from .declarations.models import Declaration
from .general.demo import seed_general_waste_demo
from .labels.services import record_labelled
from .licences import services as licences
from .licences.models import Licence
from .manifests import custody, followups
from .manifests import services as manifests
from .manifests.models import Manifest, ManifestLine
from .manifests.states import apply_action
from .plans.demo import seed_plan_demo
from .signing import services as signing
from .transport.demo import ensure_demo_fleet
from .weighing.models import Device
from .weighing.services import register_device

ANCHOR = date(2026, 10, 1)
TONNE = 1_000_000

GENERATOR, RECEIVER, CARRIER = "gold_smelter", "hw_facility", "hw_transport"
SMELTER_LOGIN = "smelter@demo.wufei.cn"
RECEIVER_LOGIN = "receiver@demo.wufei.cn"
TRANSPORTER_LOGIN = "transporter@demo.wufei.cn"
DRIVER_LOGIN = "driver@demo.wufei.cn"
REGULATOR_LOGIN = "regulator@demo.wufei.cn"
# who records each organisation's sites and storage facilities
KEEPER = {GENERATOR: SMELTER_LOGIN, RECEIVER: RECEIVER_LOGIN}


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment of a day in China, as the aware datetime the ledger stores."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA)


@dataclass(frozen=True)
class SiteSpec:
    key: str
    org: str
    name: str
    kind: str
    address: str
    district: str
    lat: str
    lon: str


@dataclass(frozen=True)
class FacilitySpec:
    site: str
    name: str
    capacity_t: int


@dataclass(frozen=True)
class BatchSpec:
    key: str
    waste_code: str
    quantity: str  # tonnes, as typed
    containers: int
    form: str
    packaging: str
    main_components: str
    harmful_components: str
    generated_on: date
    generated_hour: int
    stored_hour: int


SITES = (
    SiteSpec("smelter_works", GENERATOR, "熔炼车间", "generation", "河南省三门峡市灵宝市城关镇函谷路西段 豫金冶炼厂区北区",
             "411282", "34.515400", "110.869600"),
    SiteSpec("smelter_store", GENERATOR, "危险废物贮存库", "storage", "河南省三门峡市灵宝市城关镇函谷路西段 豫金冶炼厂区东南角",
             "411282", "34.514200", "110.871300"),
    SiteSpec("plant", RECEIVER, "综合利用处置中心", "treatment", "河南省三门峡市陕州区大营镇环保产业园8号",
             "411203", "34.730300", "111.150400"),
)
FACILITIES = (
    FacilitySpec("smelter_store", "一号危废贮存库（防渗、分区）", 200),
    FacilitySpec("plant", "入场待检暂存库", 1000),
)
LICENCE = {
    "number": "豫环许可危废字41120318号", "kind": "comprehensive", "issuing_authority": "河南省生态环境厅",
    "issued_on": date(2024, 12, 20), "valid_from": date(2025, 1, 1), "valid_until": date(2029, 12, 31),
    "annual_capacity_g": 30_000 * TONNE,
    "notes": "核准经营方式：收集、贮存、利用、处置。冶炼烟尘回收铜铅锌（R4），砷渣稳定化后安全填埋（D1）。",
}
# HW08 and HW48 as whole categories, the smelter's arsenic residue with its own, smaller capacity
LICENCE_SCOPES = "HW08 R9 D10 5000t\nHW48 R4 D1 20000t\n321-032-48 D1 1000t\nHW49 D10"
BATCHES = (
    BatchSpec("dust", "321-002-48", "5.0", 5, "solid", "吨袋（内衬防渗膜）", "铜、铅、锌氧化物烟尘",
              "砷、铅、镉", ANCHOR - timedelta(days=21), 10, 15),
    BatchSpec("oil", "900-249-08", "0.8", 4, "liquid", "200 L 闭口铁桶", "废液压油、废齿轮油",
              "石油烃", ANCHOR - timedelta(days=7), 9, 14),
    BatchSpec("arsenic", "321-032-48", "1.2", 1, "solid", "吨桶（HDPE，加盖）", "砷酸钙、硫酸钙",
              "砷", ANCHOR - timedelta(days=420), 11, 16),
)
STORAGE = "一号危废贮存库（防渗、分区）"
EMERGENCY = ("车辆配备灭火器、吸附棉、防渗布和防毒面具；发生泄漏立即停车设置警示，用防渗布覆盖、吸附棉围堵，"
             "拨打 119 并报告三门峡市生态环境局（0398-12369）。")
CARRIERS = {
    "relay": [
        {"organisation_id": None, "vehicle_plate": "豫M·D1234", "driver_name": "刘师傅", "driver_phone": "13903981234",
         "escort_name": "张押运"},
        {"organisation_id": None, "vehicle_plate": "豫M05678D", "driver_name": "王建军", "driver_phone": "13903985678",
         "escort_name": "李押运"},
    ],
    "single": [
        {"organisation_id": None, "vehicle_plate": "豫M·D1234", "driver_name": "刘师傅", "driver_phone": "13903981234",
         "escort_name": "张押运"},
    ],
}
RECEIVED_OF_DUST_G = 4_600_000  # of 5 000 000 shipped: beyond the 5 % tolerance
DECLARATION_PERIOD = (ANCHOR - timedelta(days=1)).strftime("%Y-%m")


def seed_regulatory_demo(users: dict[str, User], orgs: dict[str, Organisation]) -> dict:
    """Create what is missing of the story; returns how many of each thing exist and were created."""
    counts: dict[str, int] = {}

    def tally(name: str, is_new: bool) -> None:
        counts[name] = counts.get(name, 0) + 1
        counts[f"{name}_created"] = counts.get(f"{name}_created", 0) + is_new

    smelter = users[SMELTER_LOGIN]
    sites = {}
    for spec in SITES:
        sites[spec.key], is_new = _ensure_site(spec, orgs[spec.org], users[KEEPER[spec.org]])
        tally("sites", is_new)
    facilities = {}
    site_orgs = {spec.key: spec.org for spec in SITES}
    for spec in FACILITIES:
        keeper = users[KEEPER[site_orgs[spec.site]]]
        facilities[spec.name], is_new = _ensure_facility(spec, sites[spec.site], keeper)
        tally("storage_facilities", is_new)
    tally("licences", _ensure_licence(users[REGULATOR_LOGIN], orgs[RECEIVER]))
    stored_in = facilities[STORAGE]
    found, works = {}, sites["smelter_works"]
    for spec in BATCHES:
        found[spec.key], is_new = _ensure_batch(spec, orgs[GENERATOR], smelter, works, stored_in)
        tally("batches", is_new)
    # the legs below name the transport company's vehicles and drivers, which must be on record first
    counts["transport_records_created"] = ensure_demo_fleet(users[TRANSPORTER_LOGIN], orgs[CARRIER])
    tally("manifests", _ensure_treated_manifest(found["dust"], orgs, users))
    tally("rotated_keys", _ensure_rotated_carrier_key(orgs, users))
    tally("manifests", _ensure_manifest_in_transit(found["oil"], orgs, users))
    tally("manifests", seed_handover_exception_demo(orgs, users, sites, stored_in))
    tally("declarations", _ensure_declaration(smelter, orgs[GENERATOR]))
    for is_new in seed_refusals(users, orgs, sites, stored_in):
        tally("manifests", is_new)
    counts.update(seed_general_waste_demo(users, orgs))
    for name, is_new in seed_storage_clock_and_capacity(users, orgs, sites):
        tally(name, is_new)
    # 危险废物管理计划 (issue 14 point 13): accepted this year, awaiting acceptance next year
    for is_new in seed_plan_demo(smelter, orgs[GENERATOR], orgs[RECEIVER], users[REGULATOR_LOGIN], stored_in):
        tally("management_plans", is_new)
    db.session.flush()
    return counts


# --- places and the licence ----------------------------------------------------------------------



def _ensure_site(spec: SiteSpec, org: Organisation, actor: User) -> tuple[Site, bool]:
    site = db.session.scalar(select(Site).where(Site.organisation_id == org.id, Site.name == spec.name))
    if site is not None:
        return site, False
    site = batches.create_site(org, actor, name=spec.name, kind=spec.kind, address=spec.address,
                               district_code=spec.district, lat=spec.lat, lon=spec.lon)
    db.session.flush()
    return site, True


def _ensure_facility(spec: FacilitySpec, site: Site, actor: User) -> tuple[StorageFacility, bool]:
    facility = db.session.scalar(select(StorageFacility).where(StorageFacility.site_id == site.id,
                                                               StorageFacility.name == spec.name))
    if facility is not None:
        return facility, False
    facility = batches.create_facility(site.organisation, actor, name=spec.name,
                                       site_id=site.id, capacity_g=spec.capacity_t * TONNE, streams="hazardous",
                                       hazardous_allowed=True)
    db.session.flush()
    return facility, True


def _ensure_licence(regulator: User, receiver: Organisation) -> bool:
    if db.session.scalar(select(Licence.id).where(Licence.number == LICENCE["number"])) is not None:
        return False
    licences.record_licence(regulator, receiver, scopes=licences.parse_scope_text(LICENCE_SCOPES), **LICENCE)
    return True


# --- batches and storage -------------------------------------------------------------------------

def first_container_code(spec: BatchSpec, generator: Organisation) -> str:
    """The stable marker of a demo batch: its first container's 37-digit code."""
    return batches.container_code(generator.uscc, spec.waste_code, spec.generated_on, 1)


def _ensure_batch(spec: BatchSpec, generator: Organisation, actor: User, site: Site,
                  facility: StorageFacility | None, volume: str | None = None) -> tuple[Batch, bool]:
    """The demo batch of spec, created at site (and stored in facility, when given) unless it exists."""
    existing = batches.container_by_code(first_container_code(spec, generator))
    if existing is not None:
        return existing.batch, False
    batch = batches.create_batch(
        generator, actor, spec.waste_code, spec.quantity, "t", spec.form, spec.packaging,
        main_components=spec.main_components, harmful_components=spec.harmful_components,
        generated_on=spec.generated_on, site=site, containers=spec.containers, volume=volume,
        occurred_at=at(spec.generated_on, spec.generated_hour))
    db.session.flush()
    for container in batch.containers if facility is not None else ():
        batches.store_container(container, facility, actor=actor, occurred_at=at(spec.generated_on, spec.stored_hour))
    return batch, True


def _retrieve_all(batch: Batch, actor: User) -> None:
    for container in batch.containers:
        if container.status == "stored":
            batches.retrieve_container(container, container.facility, actor=actor)


# --- manifests -----------------------------------------------------------------------------------

def _on_a_manifest(batch: Batch) -> bool:
    return db.session.scalar(select(ManifestLine.id).where(ManifestLine.batch_id == batch.id).limit(1)) is not None


def _carriers(kind: str, carrier: Organisation) -> list[dict]:
    return [{**leg, "organisation_id": carrier.id} for leg in CARRIERS[kind]]


def _submitted_draft(batch: Batch, orgs: dict, users: dict, carriers: str, method: str, **plan) -> Manifest:
    """Draft and submit a manifest for the whole batch, treated by method (within the receiver's licence),
    labels printed and containers taken out of storage."""
    smelter, generator = users[SMELTER_LOGIN], orgs[GENERATOR]
    record_labelled(list(batch.containers), actor=smelter, file_format="pdf")
    manifest = manifests.create_manifest_draft(
        generator_org=generator, receiver_org=orgs[RECEIVER], carriers=_carriers(carriers, orgs[CARRIER]),
        lines=[{"batch": batch, "planned_method": method}], actor=smelter, emergency_measures=EMERGENCY, **plan)
    apply_action(manifest, "submit", smelter, generator)
    _retrieve_all(batch, smelter)
    return manifest


def _codes(batch: Batch) -> list[str]:
    return [c.code for c in batch.containers]


def _ensure_treated_manifest(batch: Batch, orgs: dict, users: dict) -> bool:
    """The full journey, each step signed by its party: the driver, the second vehicle's company, the receiver."""
    if _on_a_manifest(batch):
        return False
    today = china_today()
    carrier, receiver = orgs[CARRIER], orgs[RECEIVER]
    manifest = _submitted_draft(batch, orgs, users, "relay", "R4", planned_pickup_on=today, planned_delivery_on=today,
                                via_points="G310 国道 → 三门峡安达危货停车场（湖滨区货运路）换车 → 陕州区大营镇")
    codes = _codes(batch)
    apply_action(manifest, "pick_up", users[DRIVER_LOGIN], carrier, scanned=codes,
                 place="灵宝豫金冶炼有限公司 危险废物贮存库")
    apply_action(manifest, "hand_over", users[TRANSPORTER_LOGIN], carrier, scanned=codes,
                 place="三门峡安达危货停车场（湖滨区货运路）")
    apply_action(manifest, "deliver", users[TRANSPORTER_LOGIN], carrier, scanned=codes,
                 place="三门峡豫西环保科技有限公司 地磅房")
    weigh_at_the_gate(manifest, receiver, users[RECEIVER_LOGIN])  # the receipt counts this weighbridge weighing
    apply_action(manifest, "receive", users[RECEIVER_LOGIN], receiver, scanned=codes,
                 lines=[{"position": 0, "received_g": RECEIVED_OF_DUST_G, "refused_g": 0}])
    apply_action(manifest, "treat", users[RECEIVER_LOGIN], receiver, method="R4", treated_on=today.isoformat(),
                 quantity_g=RECEIVED_OF_DUST_G)
    return True


def _ensure_manifest_in_transit(batch: Batch, orgs: dict, users: dict) -> bool:
    if _on_a_manifest(batch):
        return False
    today = china_today()
    manifest = _submitted_draft(batch, orgs, users, "single", "R9", planned_pickup_on=today,
                                planned_delivery_on=today + timedelta(days=1))
    apply_action(manifest, "pick_up", users[DRIVER_LOGIN], orgs[CARRIER], scanned=_codes(batch),
                 place="灵宝豫金冶炼有限公司 危险废物贮存库")
    return True


# --- signing keys ------------------------------------------------------------------------------

def _ensure_rotated_carrier_key(orgs: dict, users: dict) -> bool:
    """The carrier rotates its key between the two journeys: the treated manifest's transport steps stay
    signed by the retired key (and still verify), the manifest in transit is signed by the new one."""
    carrier = orgs[CARRIER]
    keys = db.session.scalars(signing.organisation_keys(carrier.id)).all()
    if any(key.retired_at is not None for key in keys):
        return False
    signing.rotate_key(carrier, users[TRANSPORTER_LOGIN])
    return True


# --- complete hand-overs and gate weights (issue 14, points 4 and 6) -----------------------------------

WEIGHBRIDGE = {"kind": "weighbridge", "name": "入厂地磅（SCS-100）", "serial": "YXHB-DB-2024-01"}
# the truck with the flue dust: 19.8 t on the bridge, 15.2 t empty, so 4.6 t net of the 5.0 t declared
GATE_WEIGHING = {"gross_g": 19_800_000, "tare_g": 15_200_000, "ticket_no": "DB20261001-0037"}
RAGS = BatchSpec("rags", "900-041-49", "0.6", 3, "solid", "吨袋", "沾染矿物油的废弃包装物、过滤吸附介质",
                 "石油烃", ANCHOR - timedelta(days=3), 8, 11)
MISSING_REASON = "第3袋在三门峡安达危货停车场换车时标签被雨水浸湿无法识别，经核对袋数、重量与联单一致后随车转运，到厂后补贴标签。"


def _weighbridge(receiver: Organisation, admin: User) -> Device:
    device = db.session.scalar(select(Device).where(Device.organisation_id == receiver.id,
                                                    Device.serial == WEIGHBRIDGE["serial"]))
    if device is None:
        device = register_device(admin, receiver, **WEIGHBRIDGE)[0]
    return device


def weigh_at_the_gate(manifest: Manifest, receiver: Organisation, admin: User) -> None:
    """The receiver's weighbridge sends the arriving truck's weight through the device API's service."""
    custody.record_device_gate_weighing(_weighbridge(receiver, admin),
                                        {"manifest_number": manifest.number, **GATE_WEIGHING})


def seed_handover_exception_demo(orgs: dict, users: dict, sites: dict, stored_in: StorageFacility) -> bool:
    """Three bags of oily rags, taken over at the relay depot with one bag's label unreadable: the second
    vehicle records the exception (the regulators of Lingbao and Shanzhou are alerted) and the manifest is on
    its way to the receiver."""
    works = sites["smelter_works"]
    batch, _created = _ensure_batch(RAGS, orgs[GENERATOR], users[SMELTER_LOGIN], works, stored_in)
    if _on_a_manifest(batch):
        return False
    today = china_today()
    carrier = orgs[CARRIER]
    manifest = _submitted_draft(batch, orgs, users, "relay", "D10", planned_pickup_on=today,
                                planned_delivery_on=today + timedelta(days=1),
                                via_points="G310 国道 → 三门峡安达危货停车场（湖滨区货运路）换车")
    codes = _codes(batch)
    apply_action(manifest, "pick_up", users[DRIVER_LOGIN], carrier, scanned=codes,
                 place="灵宝豫金冶炼有限公司 危险废物贮存库")
    apply_action(manifest, "hand_over", users[TRANSPORTER_LOGIN], carrier, scanned=codes[:2],
                 exceptions=[{"container_code": codes[2], "reason": MISSING_REASON}],
                 place="三门峡安达危货停车场（湖滨区货运路）")
    return True


# --- declaration ---------------------------------------------------------------------------------

def _ensure_declaration(actor: User, generator: Organisation) -> bool:
    start = declarations.parse_period("monthly", DECLARATION_PERIOD)[0]
    if db.session.scalar(select(Declaration.id).where(
            Declaration.organisation_id == generator.id, Declaration.kind == "monthly",
            Declaration.period_start == start)) is not None:
        return False
    declarations.create_declaration(actor, generator, "monthly", DECLARATION_PERIOD)
    return True


# --- refused waste: a load being returned, and one awaiting return or forwarding ---------------------

REFUSED_BATCHES = (
    BatchSpec("oil_refused", "900-249-08", "0.6", 3, "liquid", "200 L 闭口铁桶", "废切削液、废乳化液",
              "石油烃", ANCHOR - timedelta(days=14), 9, 14),
    BatchSpec("rags_partly", "900-041-49", "1.0", 2, "solid", "吨袋", "含油抹布、废包装物", "石油烃",
              ANCHOR - timedelta(days=10), 10, 15),
)
REFUSAL_REASON = "桶体锈蚀渗漏，内容物含水率与联单不符，拒收。"
PARTLY_ACCEPTED_G = 600_000  # of the 1.0 t of rags: 0.4 t refused and still at the receiver's gate


def seed_refusals(users: dict, orgs: dict, sites: dict, stored_in: StorageFacility) -> list[bool]:
    """A load of drums refused whole and on its way back to the smelter under a return manifest; a load of
    rags partly refused, its refused 0.4 t awaiting return or forwarding. One marker each: the batch."""
    smelter, generator = users[SMELTER_LOGIN], orgs[GENERATOR]
    works = sites["smelter_works"]
    found = {spec.key: _ensure_batch(spec, generator, smelter, works, stored_in)[0] for spec in REFUSED_BATCHES}
    return [_ensure_refused_and_returning(found["oil_refused"], orgs, users),
            _ensure_partly_refused(found["rags_partly"], orgs, users)]


def _delivered(batch: Batch, orgs: dict, users: dict, method: str) -> Manifest:
    today = china_today()
    manifest = _submitted_draft(batch, orgs, users, "single", method, planned_pickup_on=today,
                                planned_delivery_on=today)
    for action in ("pick_up", "deliver"):
        apply_action(manifest, action, users[DRIVER_LOGIN], orgs[CARRIER], scanned=_codes(batch))
    return manifest


def _typed_gate_weight(manifest: Manifest, ticket: str) -> dict:
    """The gate weight the receiver's clerk types from the weighing ticket: here the load as declared."""
    return {"gate_net_g": manifest.total_g, "gate_ticket_no": f"{china_today():%Y%m%d}-{ticket}"}


def _ensure_refused_and_returning(batch: Batch, orgs: dict, users: dict) -> bool:
    if _on_a_manifest(batch):
        return False
    manifest = _delivered(batch, orgs, users, "R9")
    apply_action(manifest, "receive", users[RECEIVER_LOGIN], orgs[RECEIVER], reason=REFUSAL_REASON,
                 lines=[{"position": 0, "received_g": 0, "refused_g": manifest.lines[0].quantity_g}],
                 **_typed_gate_weight(manifest, "DB-0041"))
    today = china_today()
    back = followups.create_follow_up(
        manifest, users[SMELTER_LOGIN], orgs[GENERATOR], kind="return", carriers=_carriers("single", orgs[CARRIER]),
        planned_pickup_on=today, planned_delivery_on=today + timedelta(days=1), emergency_measures=EMERGENCY)
    apply_action(back, "submit", users[SMELTER_LOGIN], orgs[GENERATOR])
    apply_action(back, "pick_up", users[DRIVER_LOGIN], orgs[CARRIER], scanned=_codes(batch),
                 place="三门峡豫西环保科技有限公司 地磅房")
    return True


def _ensure_partly_refused(batch: Batch, orgs: dict, users: dict) -> bool:
    if _on_a_manifest(batch):
        return False
    manifest = _delivered(batch, orgs, users, "D10")
    shipped = manifest.lines[0].quantity_g
    apply_action(manifest, "receive", users[RECEIVER_LOGIN], orgs[RECEIVER], reason="部分吨袋破损，含液体渗出。",
                 lines=[{"position": 0, "received_g": PARTLY_ACCEPTED_G, "refused_g": shipped - PARTLY_ACCEPTED_G}],
                 **_typed_gate_weight(manifest, "DB-0042"))
    return True


# --- the storage clock and declared capacities ---------------------------------------------------

RAGS_OLD = BatchSpec("rags_old", "900-041-49", "0.3", 1, "solid", "编织袋", "含油抹布、手套", "矿物油",
                     ANCHOR - timedelta(days=400), 9, 0)
RAGS_NEW = BatchSpec("rags_new", "900-041-49", "0.2", 1, "solid", "编织袋", "含油抹布、手套", "矿物油",
                     ANCHOR - timedelta(days=30), 9, 0)
# a demo batch is found again by its first container's code (producer, code, day, sequence 1): no two demo
# batches of one code share a day
TANK_OIL = BatchSpec("tank_oil", "900-249-08", "1.7", 2, "liquid", "储罐", "废切削液、废乳化液", "石油烃",
                     ANCHOR - timedelta(days=15), 8, 9)
TANK_OIL_M3 = "1.8"
CABINET_OIL = BatchSpec("cabinet_oil", "900-249-08", "0.95", 5, "liquid", "200 L 闭口铁桶", "废润滑油", "石油烃",
                        ANCHOR - timedelta(days=10), 8, 10)
RECEIVED_OIL = BatchSpec("received_oil", "900-249-08", "0.6", 3, "liquid", "200 L 闭口铁桶", "废液压油", "石油烃",
                         ANCHOR - timedelta(days=5), 8, 9)
TANK = ("废液储罐（2 m³）", "m3", 2000)  # name, unit, litres
CABINET = ("废油桶暂存柜（1 t）", "t", TONNE)  # name, unit, grams
RECEIVER_STORE = "入场待检暂存库"


def _ensure_capacity_facility(site: Site, actor: User, name: str, unit: str, amount: int) -> tuple[StorageFacility,
                                                                                                  bool]:
    facility = db.session.scalar(select(StorageFacility).where(StorageFacility.site_id == site.id,
                                                               StorageFacility.name == name))
    if facility is not None:
        return facility, False
    declared = {"capacity_g": amount} if unit == "t" else {"capacity_l": amount}
    facility = batches.create_facility(site.organisation, actor, name=name, site_id=site.id, capacity_unit=unit,
                                       streams="hazardous", hazardous_allowed=True, **declared)
    db.session.flush()
    return facility, True


def _ensure_received_and_stored(batch: Batch, orgs: dict, users: dict) -> bool:
    """The receiver takes the waste over and puts it into its own store: a new year from the receipt."""
    if _on_a_manifest(batch):
        return False
    today, receiver = china_today(), orgs[RECEIVER]
    manifest = _submitted_draft(batch, orgs, users, "single", "R9", planned_pickup_on=today,
                                planned_delivery_on=today)
    codes = _codes(batch)
    apply_action(manifest, "pick_up", users[DRIVER_LOGIN], orgs[CARRIER], scanned=codes,
                 place="灵宝豫金冶炼有限公司 危险废物贮存库")
    apply_action(manifest, "deliver", users[DRIVER_LOGIN], orgs[CARRIER], scanned=codes,
                 place="三门峡豫西环保科技有限公司 地磅房")
    apply_action(manifest, "receive", users[RECEIVER_LOGIN], receiver, scanned=codes,
                 lines=[{"position": 0, "received_g": batch.quantity_g, "refused_g": 0}],
                 **_typed_gate_weight(manifest, "DB-0043"))
    store = db.session.scalar(select(StorageFacility).where(StorageFacility.organisation_id == receiver.id,
                                                            StorageFacility.name == RECEIVER_STORE))
    for container in batch.containers:
        batches.store_container(container, store, actor=users[RECEIVER_LOGIN])
    return True


def seed_storage_clock_and_capacity(users: dict[str, User], orgs: dict[str, Organisation], sites: dict):
    """Each state of the storage rules, as (counter name, created?) pairs for the seeding summary."""
    smelter, generator = users[SMELTER_LOGIN], orgs[GENERATOR]
    store_site = sites["smelter_store"]
    tank, is_new = _ensure_capacity_facility(store_site, smelter, *TANK)
    yield "storage_facilities", is_new
    cabinet, is_new = _ensure_capacity_facility(store_site, smelter, *CABINET)
    yield "storage_facilities", is_new
    old, old_new = _ensure_batch(RAGS_OLD, generator, smelter, sites["smelter_works"], None)
    new, new_new = _ensure_batch(RAGS_NEW, generator, smelter, sites["smelter_works"], None)
    yield "batches", old_new
    yield "batches", new_new
    if old_new or new_new:
        batches.merge_containers(generator, [*old.containers, *new.containers], actor=smelter,
                                 site=sites["smelter_works"], packaging="吨袋",
                                 occurred_at=at(ANCHOR - timedelta(days=1), 16))
    yield "batches", old_new or new_new
    yield "batches", _ensure_batch(TANK_OIL, generator, smelter, store_site, tank, volume=TANK_OIL_M3)[1]
    yield "batches", _ensure_batch(CABINET_OIL, generator, smelter, store_site, cabinet)[1]
    received, is_new = _ensure_batch(RECEIVED_OIL, generator, smelter, sites["smelter_works"], None)
    yield "batches", is_new
    yield "manifests", _ensure_received_and_stored(received, orgs, users)
