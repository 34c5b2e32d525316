"""The management plans of the demo (危险废物管理计划), through the services like the rest of the story:

- the smelter's plan for this year, accepted by the city regulator: its flue dust and arsenic residue go to
  豫西环保; waste mineral oil (900-249-08) was not foreseen, so the oil manifest on the road warns that its
  code is outside the accepted plan;
- the smelter's plan for next year, submitted in December and awaiting the regulator's acceptance.
"""
from sqlalchemy import select

from ...accounts.models import Organisation, User
from ...clock import china_today
from ...extensions import db
from ..batches.models import StorageFacility
from . import services
from .models import ManagementPlan

TONNE = 1_000_000
MEASURES = ("烟尘、砷渣于一号危废贮存库分区贮存，贮存期不超过一年；委托持证单位利用、处置；"
            "改进收尘系统，力争烟尘产生量下降5%。")


def _lines(receiver: Organisation, facility: StorageFacility, dust_t: int) -> list[dict]:
    return [
        {"waste_code": "321-002-48", "expected_g": dust_t * TONNE, "facility_id": facility.id,
         "max_stored_g": 10 * TONNE, "receiver_ids": [receiver.id]},
        {"waste_code": "321-032-48", "expected_g": 2 * TONNE, "facility_id": facility.id,
         "max_stored_g": 2 * TONNE, "receiver_ids": [receiver.id]},
    ]


def _ensure_plan(year: int, smelter: User, generator: Organisation, lines: list[dict],
                 regulator: User | None) -> bool:
    exists = select(ManagementPlan.id).where(ManagementPlan.organisation_id == generator.id,
                                             ManagementPlan.year == year)
    if db.session.scalar(exists) is not None:
        return False
    plan = services.create_plan(smelter, generator, year, lines, MEASURES)
    services.submit_plan(smelter, plan)
    if regulator is not None:
        services.review_plan(regulator, plan, "accept")
    return True


def seed_plan_demo(smelter: User, generator: Organisation, receiver: Organisation, regulator: User,
                   facility: StorageFacility) -> list[bool]:
    """This year's accepted plan and next year's submitted one; whether each was created now."""
    year = china_today().year
    return [_ensure_plan(year, smelter, generator, _lines(receiver, facility, 60), regulator),
            _ensure_plan(year + 1, smelter, generator, _lines(receiver, facility, 57), None)]
