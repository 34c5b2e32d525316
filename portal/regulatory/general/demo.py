"""The general waste part of `wufei seed demo`: fly ash leaving a power plant on a transfer record.

- 崤山热电 generated 30 t of fly ash (SW02 粉煤灰) on 29 September 2026; a transfer record (一般工业固体废物转移
  记录, its own YB… number) takes it with 灵宝金通物流 to 绿建再生建材, which received 29.86 t: the power plant's
  general waste register shows it generated and transferred out, 绿建's shows it received;
- 0.6 t of spent SCR denitrification catalyst (772-007-50, hazardous) waits on a record of its own to 豫西环保,
  because item 29 of the exemption list exempts its transport when the vehicle is rain-, seepage- and
  spill-proof, which the power plant declared.
Everything goes through the services; found again by the batch's first container code, nothing is made twice.
"""
from datetime import date, datetime

from sqlalchemy import select

from ...accounts.models import Organisation, User
from ...clock import CHINA
from ...extensions import db
from ..batches import services as batches
from ..batches.models import Batch
from . import services
from .models import GeneralTransfer

PLANT, RECYCLER, HW_FACILITY, HAULIER = "power_plant", "recycler", "hw_facility", "bulk_transport"
PLANT_LOGIN, RECYCLER_LOGIN = "powerplant@demo.wufei.cn", "recycler@demo.wufei.cn"
GENERATED_ON = date(2026, 9, 29)
FLY_ASH_RECEIVED_G = 29_860_000


def _batch(plant: Organisation, actor: User, code: str, tonnes: str, containers: int, form: str,
           packaging: str, components: str) -> tuple[Batch, bool]:
    existing = batches.container_by_code(batches.container_code(plant.uscc, code, GENERATED_ON, 1))
    if existing is not None:
        return existing.batch, False
    batch = batches.create_batch(plant, actor, code, tonnes, "t", form, packaging, main_components=components,
                                 generated_on=GENERATED_ON, containers=containers, occurred_at=datetime(2026, 9, 29, 8, tzinfo=CHINA))
    db.session.flush()
    return batch, True


def _record_of(batch: Batch) -> GeneralTransfer | None:
    return db.session.scalar(select(GeneralTransfer).where(GeneralTransfer.batch_id == batch.id).limit(1))


def seed_general_waste_demo(users: dict[str, User], orgs: dict[str, Organisation]) -> dict:
    """Create what is missing of the general waste story; returns how many records exist and were created."""
    plant, actor = orgs[PLANT], users[PLANT_LOGIN]
    created = 0
    ash, _new = _batch(plant, actor, "SW02", "30", 3, "solid", "罐车散装", "二氧化硅、氧化铝（Ⅱ级粉煤灰）")
    if _record_of(ash) is None:
        record = services.create_general_transfer(
            generator_org=plant, actor=actor, batch=ash, receiver_org=orgs[RECYCLER], purpose="utilisation",
            carrier_name=orgs[HAULIER].name, vehicle_plate="豫M·G3721")
        services.ship_general_transfer(record, actor)
        services.receive_general_transfer(record, users[RECYCLER_LOGIN], FLY_ASH_RECEIVED_G)
        created += 1
    catalyst, _new = _batch(plant, actor, "772-007-50", "0.6", 2, "solid", "木箱（防雨布包覆）",
                            "钒钛系蜂窝式脱硝催化剂")
    if _record_of(catalyst) is None:
        (item,) = [i for i in services.transport_exemptions(catalyst) if i.item_no == 29]
        services.create_general_transfer(
            generator_org=plant, actor=actor, batch=catalyst, receiver_org=orgs[HW_FACILITY], purpose="utilisation",
            carrier_name=orgs[HAULIER].name, vehicle_plate="豫M·G3721", exemption_item_id=item.id,
            exemption_condition_met=True)
        created += 1
    db.session.flush()
    return {"general_transfers": 2, "general_transfers_created": created}
