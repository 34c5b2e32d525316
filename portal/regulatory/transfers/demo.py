"""The demo of transfers over the city's boundary, through the services like the rest of the demo:

- 灵宝豫金冶炼 sends 2.0 t of arsenic residue from its waste-acid treatment (321-032-48; the story's flue dust,
  321-002-48, keeps its 5.0 t of the year) to 渭南秦东环保 in Shaanxi: the city
  regulator records the receiver's licence and the cross-province approval (10 t), the smelter submits the
  manifest, which draws 2.0 t of it; 渭南市生态环境局's demo regulator sees the manifest arrive in its area;
- 豫西环保 records 1.5 t of waste mineral oil (900-249-08) that arrived from 运城市 (Shanxi) under a manifest
  of the national system, by its external number.

Idempotent: the licence, the approval and the arrival are found by their numbers, the batch by its first
container code. Dates count from the day of the first seeding, so the approval is valid when it is used.
"""
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ...accounts.models import Organisation, User
from ...clock import CHINA, china_today
from ...extensions import db
from ..batches import services as batches
from ..batches.models import Site, StorageFacility
from ..labels.services import record_labelled
from ..licences import services as licences
from ..licences.models import Licence
from ..manifests import services as manifests
from ..manifests.models import ManifestLine
from ..manifests.states import apply_action
from . import services
from .models import IncomingTransfer, TransferApproval

TONNE = 1_000_000
SMELTER, RECEIVER_HERE, RECEIVER_WEST, CARRIER = "gold_smelter", "hw_facility", "weinan_receiver", "hw_transport"
SMELTER_LOGIN, RECEIVER_LOGIN, REGULATOR_LOGIN = ("smelter@demo.wufei.cn", "receiver@demo.wufei.cn",
                                                  "regulator@demo.wufei.cn")
WEST_LICENCE = {
    "number": "陕危废经第610502-07号（演示）", "kind": "comprehensive", "issuing_authority": "陕西省生态环境厅",
    "issued_on": date(2025, 3, 1), "valid_from": date(2025, 3, 1), "valid_until": date(2030, 2, 28),
    "annual_capacity_g": 20_000 * TONNE, "notes": "演示数据：冶炼烟尘回收有价金属（R4）。",
}
WEST_SCOPES = "HW48 R4 10000t"
APPROVAL_NUMBER = "豫环危跨审〔2026〕018号（演示）"
APPROVED = "321-002-48 10t\n321-032-48 5t"
RESIDUE_CODE, RESIDUE_TONNES, RESIDUE_CONTAINERS = "321-032-48", "2.0", 2
RESIDUE_GENERATED = date(2026, 9, 20)
EMERGENCY = ("车辆配备灭火器、吸附棉、防渗布；发生泄漏立即停车设置警示，拨打 119 并报告三门峡市生态环境局"
             "（0398-12369）和渭南市生态环境局。")
CARRIER_LEG = {"vehicle_plate": "豫M·D1234", "driver_name": "刘师傅", "driver_phone": "13903981234",
               "escort_name": "张押运"}
ARRIVAL = {"external_number": "20261408000123", "issuing_system": "全国固体废物管理信息系统",
           "origin_district_code": "140802", "generator_name": "运城盐湖精工机械有限公司（演示）",
           "generator_uscc": None}
ARRIVAL_LINES = "900-249-08 1.5t"


def seed_transfers_demo(users: dict[str, User], orgs: dict[str, Organisation]) -> dict:
    """Create what is missing of the cross-boundary story; returns counts like the other seeders."""
    regulator, smelter = users[REGULATOR_LOGIN], users[SMELTER_LOGIN]
    counts = {"transfer_approvals_created": 0, "cross_province_manifests_created": 0,
              "incoming_transfers_created": 0}
    if db.session.scalar(select(Licence.id).where(Licence.number == WEST_LICENCE["number"])) is None:
        licences.record_licence(regulator, orgs[RECEIVER_WEST], scopes=licences.parse_scope_text(WEST_SCOPES),
                                **WEST_LICENCE)
    if db.session.scalar(select(TransferApproval.id).where(TransferApproval.number == APPROVAL_NUMBER)) is None:
        today = china_today()
        services.record_approval(
            regulator, generator=orgs[SMELTER], receiver=orgs[RECEIVER_WEST], number=APPROVAL_NUMBER,
            approving_authority="河南省生态环境厅（经商陕西省生态环境厅同意）", valid_from=today - timedelta(days=30),
            valid_until=today + timedelta(days=335), lines=services.parse_quantity_lines(APPROVED, "lines"),
            notes="演示数据：跨省转移至陕西省渭南市，综合利用（R4）。")
        counts["transfer_approvals_created"] = 1
    counts["cross_province_manifests_created"] = int(_ensure_cross_province_manifest(smelter, orgs))
    if db.session.scalar(select(IncomingTransfer.id).where(
            IncomingTransfer.external_number == ARRIVAL["external_number"])) is None:
        services.record_incoming(users[RECEIVER_LOGIN], orgs[RECEIVER_HERE], **ARRIVAL,
                                 received_on=china_today() - timedelta(days=3),
                                 lines=services.parse_quantity_lines(ARRIVAL_LINES, "lines"),
                                 notes="演示数据：外市转入，按原联单编号登记。")
        counts["incoming_transfers_created"] = 1
    db.session.flush()
    return counts


def _ensure_cross_province_manifest(smelter: User, orgs: dict) -> bool:
    """The smelter's 2.0 t of arsenic residue for Shaanxi: a batch of its own, labelled and submitted."""
    generator = orgs[SMELTER]
    code = batches.container_code(generator.uscc, RESIDUE_CODE, RESIDUE_GENERATED, 1)
    existing = batches.container_by_code(code)
    if existing is not None and db.session.scalar(
            select(ManifestLine.id).where(ManifestLine.batch_id == existing.batch_id).limit(1)) is not None:
        return False
    batch = existing.batch if existing is not None else _residue_batch(generator, smelter)
    record_labelled(list(batch.containers), actor=smelter, file_format="pdf")
    today = china_today()
    manifest = manifests.create_manifest_draft(
        generator_org=generator, receiver_org=orgs[RECEIVER_WEST], actor=smelter, emergency_measures=EMERGENCY,
        carriers=[{**CARRIER_LEG, "organisation_id": orgs[CARRIER].id}],
        lines=[{"batch": batch, "planned_method": "R4"}], planned_pickup_on=today + timedelta(days=1),
        planned_delivery_on=today + timedelta(days=1), via_points="G30 连霍高速 → 潼关 → 渭南市临渭区")
    apply_action(manifest, "submit", smelter, generator)
    return True


def _residue_batch(generator: Organisation, smelter: User):
    works = db.session.scalar(select(Site).where(Site.organisation_id == generator.id, Site.kind == "generation"))
    store = db.session.scalar(select(StorageFacility).join(Site).where(Site.organisation_id == generator.id)
                              .order_by(StorageFacility.id))
    # entered after the fact: its ledger dates it on the day it arose, where the city's statistics count it
    arose = datetime.combine(RESIDUE_GENERATED, time(10), CHINA)
    batch = batches.create_batch(generator, smelter, RESIDUE_CODE, RESIDUE_TONNES, "t", "solid", "吨袋（内衬防渗膜）",
                                 main_components="砷酸钙、硫酸钙", harmful_components="砷、铅、镉",
                                 generated_on=RESIDUE_GENERATED, site=works, containers=RESIDUE_CONTAINERS,
                                 occurred_at=arose)
    db.session.flush()
    for container in batch.containers:
        batches.store_container(container, store, actor=smelter, occurred_at=arose + timedelta(hours=1))
    return batch
